// Donut shop REST API: donuts, shops and employees.
const express = require('express');
const { stmts } = require('./db');
const donuts = require('./routes/donuts');
const shops = require('./routes/shops');
const employees = require('./routes/employees');

const PORT = Number(process.env.PORT) || 3101;

const app = express();
app.use(express.json());

app.use('/donuts', donuts.router);
app.use('/shops', shops.router);
app.use('/employees', employees.router);

app.get('/stats', (req, res) => {
  const counts = stmts.counts.get();
  res.json({ ...counts, ordersServed: donuts.getOrdersServed(), cachedDonuts: donuts.cachedDonuts() });
});

app.use((err, req, res, next) => {
  if (err.type === 'entity.parse.failed') return res.status(400).json({ error: 'body is not valid JSON' });
  console.error(err);
  res.status(500).json({ error: 'internal error' });
});

app.listen(PORT, () => {
  console.log(`donutshop listening on http://127.0.0.1:${PORT}`);
});
