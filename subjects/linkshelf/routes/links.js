const express = require('express');
const db = require('../lib/db');
const cache = require('../lib/cache');

const router = express.Router();

function parseTags(input) {
  if (!Array.isArray(input)) return [];
  return [...new Set(input.map((t) => String(t).trim().toLowerCase()).filter(Boolean))];
}

async function tagsOf(linkId) {
  const rows = await db('link_tags').join('tags', 'tags.id', 'link_tags.tag_id').where('link_tags.link_id', linkId).select('tags.name');
  return rows.map((r) => r.name);
}

router.get('/', async (req, res, next) => {
  try {
    let q = db('links').select('id', 'url', 'title', 'visits', 'created_at').orderBy('id', 'desc');
    if (req.query.tag) {
      q = q.whereIn('id', db('link_tags').join('tags', 'tags.id', 'link_tags.tag_id').where('tags.name', req.query.tag).select('link_tags.link_id'));
    }
    const links = await q;
    res.json({ count: links.length, links });
  } catch (err) {
    next(err);
  }
});

router.get('/:id', async (req, res, next) => {
  try {
    const id = Number(req.params.id);
    const key = `link:${id}`;
    let link = cache.get(key);
    if (!link) {
      const row = await db('links').where({ id }).first();
      if (!row) return res.status(404).json({ error: 'no such link' });
      link = { ...row, tags: await tagsOf(id) };
      cache.set(key, link);
    }
    res.json(link);
  } catch (err) {
    next(err);
  }
});

router.post('/', async (req, res, next) => {
  try {
    const { url, title } = req.body || {};
    if (typeof url !== 'string' || !/^https?:\/\//.test(url)) return res.status(400).json({ error: 'url must start with http:// or https://' });
    const tags = parseTags(req.body.tags);
    const [id] = await db('links').insert({ url, title: title || url, visits: 0, created_at: new Date().toISOString().slice(0, 10) });
    for (const name of tags) {
      let tag = await db('tags').where({ name }).first();
      if (!tag) {
        const [tagId] = await db('tags').insert({ name });
        tag = { id: tagId };
      }
      await db('link_tags').insert({ link_id: id, tag_id: tag.id });
    }
    cache.del('stats');
    res.status(201).json({ id, url, title: title || url, visits: 0, tags });
  } catch (err) {
    next(err);
  }
});

router.post('/:id/visits', async (req, res, next) => {
  try {
    const id = Number(req.params.id);
    const n = await db('links').where({ id }).increment('visits', 1);
    if (!n) return res.status(404).json({ error: 'no such link' });
    cache.del(`link:${id}`);
    const { visits } = await db('links').where({ id }).first('visits');
    res.json({ id, visits });
  } catch (err) {
    next(err);
  }
});

router.delete('/:id', async (req, res, next) => {
  try {
    const id = Number(req.params.id);
    await db('link_tags').where({ link_id: id }).del();
    const n = await db('links').where({ id }).del();
    if (!n) return res.status(404).json({ error: 'no such link' });
    cache.del([`link:${id}`, 'stats']);
    res.status(204).end();
  } catch (err) {
    next(err);
  }
});

module.exports = router;
