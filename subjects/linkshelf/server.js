const path = require('path');
const express = require('express');
const links = require('./routes/links');
const tags = require('./routes/tags');

const app = express();
app.use(express.json());
app.use(express.static(path.join(__dirname, 'client', 'dist')));

app.use('/api/links', links);
app.use('/api', tags);

app.use((err, req, res, next) => {
  console.error(err);
  res.status(500).json({ error: 'internal error' });
});

const port = process.env.PORT || 3107;
app.listen(port, () => console.log(`linkshelf listening on ${port}`));
