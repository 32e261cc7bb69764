const express = require('express');
const db = require('../lib/db');
const cache = require('../lib/cache');

const router = express.Router();

router.get('/tags', async (req, res, next) => {
  try {
    const tags = await db('tags')
      .leftJoin('link_tags', 'link_tags.tag_id', 'tags.id')
      .groupBy('tags.id')
      .orderBy('tags.name')
      .select('tags.name')
      .count({ links: 'link_tags.link_id' });
    res.json({ tags });
  } catch (err) {
    next(err);
  }
});

router.get('/stats', async (req, res, next) => {
  try {
    let stats = cache.get('stats');
    if (!stats) {
      const [{ links }] = await db('links').count({ links: '*' });
      const [{ visits }] = await db('links').sum({ visits: 'visits' });
      stats = { links, visits: visits || 0 };
      cache.set('stats', stats, 60);
    }
    res.json(stats);
  } catch (err) {
    next(err);
  }
});

module.exports = router;
