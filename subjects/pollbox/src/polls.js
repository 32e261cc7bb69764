const crypto = require('crypto');
const express = require('express');
const { db } = require('./db');
const { requireUser } = require('./auth');

const router = express.Router();

function loadPoll(id) {
  const poll = db.prepare('SELECT id, owner_id, question, closed FROM polls WHERE id = ?').get(id);
  if (!poll) return null;
  const choices = db
    .prepare('SELECT choices.id, choices.label, COUNT(votes.user_id) AS votes FROM choices LEFT JOIN votes ON votes.choice_id = choices.id WHERE choices.poll_id = ? GROUP BY choices.id ORDER BY choices.id')
    .all(id);
  return { id: poll.id, ownerId: poll.owner_id, question: poll.question, closed: poll.closed === 1, choices };
}

router.get('/', (req, res) => {
  const rows = db.prepare('SELECT polls.id, polls.question, polls.closed, COUNT(votes.user_id) AS votes FROM polls LEFT JOIN votes ON votes.poll_id = polls.id GROUP BY polls.id ORDER BY polls.rowid').all();
  res.json(rows.map((r) => ({ id: r.id, question: r.question, closed: r.closed === 1, votes: r.votes })));
});

router.post('/', requireUser, (req, res) => {
  const { question, choices } = req.body || {};
  if (typeof question !== 'string' || !question.trim() || !Array.isArray(choices) || choices.length < 2) {
    return res.status(400).json({ error: 'a poll needs a question and at least two choices' });
  }
  const id = crypto.randomUUID();
  const create = db.transaction(() => {
    db.prepare('INSERT INTO polls (id, owner_id, question) VALUES (?, ?, ?)').run(id, req.user.id, question.trim());
    const add = db.prepare('INSERT INTO choices (poll_id, label) VALUES (?, ?)');
    for (const label of choices) add.run(id, String(label));
  });
  create();
  res.status(201).json(loadPoll(id));
});

router.get('/:id', (req, res) => {
  const poll = loadPoll(req.params.id);
  if (!poll) return res.status(404).json({ error: 'no such poll' });
  res.json(poll);
});

router.post('/:id/votes', requireUser, (req, res) => {
  const poll = db.prepare('SELECT id, closed FROM polls WHERE id = ?').get(req.params.id);
  if (!poll) return res.status(404).json({ error: 'no such poll' });
  if (poll.closed) return res.status(409).json({ error: 'this poll is closed' });
  const choiceId = Number(req.body && req.body.choiceId);
  const choice = db.prepare('SELECT id FROM choices WHERE id = ? AND poll_id = ?').get(choiceId, poll.id);
  if (!choice) return res.status(400).json({ error: 'no such choice in this poll' });
  db.prepare('INSERT OR REPLACE INTO votes (poll_id, choice_id, user_id) VALUES (?, ?, ?)').run(poll.id, choice.id, req.user.id);
  res.status(201).json(loadPoll(poll.id));
});

router.post('/:id/close', requireUser, (req, res) => {
  const poll = db.prepare('SELECT id, owner_id FROM polls WHERE id = ?').get(req.params.id);
  if (!poll) return res.status(404).json({ error: 'no such poll' });
  if (poll.owner_id !== req.user.id) return res.status(403).json({ error: 'only the owner can close a poll' });
  db.prepare('UPDATE polls SET closed = 1 WHERE id = ?').run(poll.id);
  res.json(loadPoll(poll.id));
});

router.delete('/:id', requireUser, (req, res) => {
  const poll = db.prepare('SELECT id, owner_id FROM polls WHERE id = ?').get(req.params.id);
  if (!poll) return res.status(404).json({ error: 'no such poll' });
  if (poll.owner_id !== req.user.id) return res.status(403).json({ error: 'only the owner can delete a poll' });
  db.prepare('DELETE FROM votes WHERE poll_id = ?').run(poll.id);
  db.prepare('DELETE FROM choices WHERE poll_id = ?').run(poll.id);
  db.prepare('DELETE FROM polls WHERE id = ?').run(poll.id);
  res.status(204).end();
});

module.exports = router;
