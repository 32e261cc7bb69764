const express = require('express');
const { requireUser, login, logout } = require('./auth');
const polls = require('./polls');

const app = express();
app.use(express.json());

app.post('/api/login', login);
app.post('/api/logout', requireUser, logout);
app.get('/api/me', requireUser, (req, res) => {
  res.json({ id: req.user.id, name: req.user.name });
});
app.use('/api/polls', polls);

const port = process.env.PORT || 3110;
app.listen(port, () => console.log(`pollbox listening on ${port}`));
