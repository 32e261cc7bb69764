// SQLite access for the donut shop. better-sqlite3 is synchronous, so every helper returns
// plain values and the route handlers stay simple.
const fs = require('fs');
const path = require('path');
const Database = require('better-sqlite3');

const DATA_DIR = path.join(__dirname, '..', 'data');
const DB_FILE = path.join(DATA_DIR, 'donuts.db');

fs.mkdirSync(DATA_DIR, { recursive: true });
const db = new Database(DB_FILE);
db.pragma('journal_mode = WAL');

db.exec(`
  CREATE TABLE IF NOT EXISTS shops (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    city TEXT NOT NULL,
    opens_at TEXT NOT NULL DEFAULT '07:00'
  );
  CREATE TABLE IF NOT EXISTS donuts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    price_cents INTEGER NOT NULL,
    stock INTEGER NOT NULL DEFAULT 0,
    shop_id INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS employees (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    shop_id INTEGER NOT NULL
  );
`);

function seed() {
  const count = db.prepare('SELECT COUNT(*) AS n FROM shops').get().n;
  if (count > 0) return;
  const addShop = db.prepare('INSERT INTO shops (name, city, opens_at) VALUES (?, ?, ?)');
  const addDonut = db.prepare('INSERT INTO donuts (name, price_cents, stock, shop_id) VALUES (?, ?, ?, ?)');
  const addEmployee = db.prepare('INSERT INTO employees (name, role, shop_id) VALUES (?, ?, ?)');
  const shops = [
    ['Glazed & Confused', 'Portland', '06:30'],
    ['Hole Foods', 'Seattle', '07:00'],
    ['The Donut Hole', 'Boise', '08:00'],
  ];
  const flavours = ['Glazed', 'Chocolate', 'Maple Bar', 'Boston Cream', 'Jelly', 'Old Fashioned', 'Cruller', 'Bear Claw'];
  const roles = ['baker', 'cashier', 'manager'];
  db.transaction(() => {
    shops.forEach((s) => addShop.run(...s));
    flavours.forEach((name, i) => addDonut.run(name, 150 + i * 25, 20 + i * 5, (i % 3) + 1));
    ['Ana', 'Ben', 'Chloe', 'Dev', 'Eli', 'Fay', 'Gus'].forEach((name, i) => addEmployee.run(name, roles[i % 3], (i % 3) + 1));
  })();
}
seed();

// Prepared statements are created once; they are configuration, not state.
const stmts = {
  donutById: db.prepare('SELECT * FROM donuts WHERE id = ?'),
  insertDonut: db.prepare('INSERT INTO donuts (name, price_cents, stock, shop_id) VALUES (@name, @price_cents, @stock, @shop_id)'),
  updateDonut: db.prepare('UPDATE donuts SET name = @name, price_cents = @price_cents, stock = @stock, shop_id = @shop_id WHERE id = @id'),
  deleteDonut: db.prepare('DELETE FROM donuts WHERE id = ?'),
  takeStock: db.prepare('UPDATE donuts SET stock = stock - ? WHERE id = ? AND stock >= ?'),
  shopWithDonuts: db.prepare(`SELECT s.*, COUNT(d.id) AS donut_count
    FROM shops s LEFT JOIN donuts d ON d.shop_id = s.id WHERE s.id = ? GROUP BY s.id`),
  shopById: db.prepare('SELECT * FROM shops WHERE id = ?'),
  insertShop: db.prepare('INSERT INTO shops (name, city, opens_at) VALUES (@name, @city, @opens_at)'),
  updateShop: db.prepare('UPDATE shops SET name = @name, city = @city, opens_at = @opens_at WHERE id = @id'),
  deleteShop: db.prepare('DELETE FROM shops WHERE id = ?'),
  deleteShopStaff: db.prepare('DELETE FROM employees WHERE shop_id = ?'),
  employeeById: db.prepare('SELECT * FROM employees WHERE id = ?'),
  insertEmployee: db.prepare('INSERT INTO employees (name, role, shop_id) VALUES (@name, @role, @shop_id)'),
  updateEmployee: db.prepare('UPDATE employees SET name = @name, role = @role, shop_id = @shop_id WHERE id = @id'),
  deleteEmployee: db.prepare('DELETE FROM employees WHERE id = ?'),
  counts: db.prepare(`SELECT (SELECT COUNT(*) FROM donuts) AS donuts,
    (SELECT COUNT(*) FROM shops) AS shops, (SELECT COUNT(*) FROM employees) AS employees`),
};

function listDonuts({ shop, maxPrice, limit }) {
  const where = [];
  const params = [];
  if (shop !== undefined) {
    where.push('shop_id = ?');
    params.push(shop);
  }
  if (maxPrice !== undefined) {
    where.push('price_cents <= ?');
    params.push(maxPrice);
  }
  const sql = `SELECT * FROM donuts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`;
  return db.prepare(sql).all(...params, limit);
}

function listShops(city) {
  if (city) return db.prepare('SELECT * FROM shops WHERE city = ? ORDER BY id').all(city);
  return db.prepare('SELECT * FROM shops ORDER BY id').all();
}

function listEmployees({ shop, role }) {
  let sql = 'SELECT * FROM employees WHERE 1 = 1';
  const params = [];
  if (shop !== undefined) {
    sql += ' AND shop_id = ?';
    params.push(shop);
  }
  if (role) {
    sql += ' AND role = ?';
    params.push(role);
  }
  return db.prepare(`${sql} ORDER BY id`).all(...params);
}

// Removing a shop also lets its staff go; both deletes commit together.
const deleteShopAndStaff = db.transaction((id) => {
  stmts.deleteShopStaff.run(id);
  return stmts.deleteShop.run(id).changes;
});

module.exports = { db, stmts, listDonuts, listShops, listEmployees, deleteShopAndStaff };
