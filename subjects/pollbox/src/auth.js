const crypto = require('crypto');
const { db, hashPassword } = require('./db');

function readCookie(req, name) {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return null;
}

function tokenOf(req) {
  const auth = req.headers.authorization || '';
  if (auth.startsWith('Bearer ')) return auth.slice(7);
  return readCookie(req, 'sid');
}

// Attaches req.user when the request carries a valid session; 401 otherwise.
function requireUser(req, res, next) {
  const token = tokenOf(req);
  const row = token && db.prepare('SELECT users.id, users.name FROM sessions JOIN users ON users.id = sessions.user_id WHERE sessions.token = ?').get(token);
  if (!row) return res.status(401).json({ error: 'log in first' });
  req.user = row;
  req.token = token;
  next();
}

function login(req, res) {
  const { name, password } = req.body || {};
  const user = db.prepare('SELECT id, name, password_hash FROM users WHERE name = ?').get(String(name || ''));
  if (!user || user.password_hash !== hashPassword(String(password || ''))) {
    return res.status(401).json({ error: 'wrong name or password' });
  }
  const token = crypto.randomBytes(24).toString('hex');
  db.prepare('INSERT INTO sessions (token, user_id, created_at) VALUES (?, ?, ?)').run(token, user.id, new Date().toISOString());
  res.cookie('sid', token, { httpOnly: true, sameSite: 'lax' });
  res.json({ token, user: { id: user.id, name: user.name } });
}

function logout(req, res) {
  db.prepare('DELETE FROM sessions WHERE token = ?').run(req.token);
  res.clearCookie('sid');
  res.status(204).end();
}

module.exports = { requireUser, login, logout };
