// /employees: staff CRUD, filterable by shop and role.
const express = require('express');
const { stmts, listEmployees } = require('../db');
const { toInt, badRequest, notFound, employeeFromBody } = require('../validate');

const router = express.Router();

router.get('/', (req, res) => {
  const shop = toInt(req.query.shop, undefined);
  if (Number.isNaN(shop)) return badRequest(res, 'shop must be an integer');
  const employees = listEmployees({ shop, role: req.query.role });
  res.json({ count: employees.length, employees });
});

router.get('/:id', (req, res) => {
  const employee = stmts.employeeById.get(Number(req.params.id));
  if (!employee) return notFound(res, 'employee', req.params.id);
  res.json(employee);
});

router.post('/', (req, res) => {
  const employee = employeeFromBody(req.body);
  if (typeof employee === 'string') return badRequest(res, employee);
  const shop = stmts.shopById.get(employee.shop_id);
  if (!shop) return badRequest(res, `shop ${employee.shop_id} does not exist`);
  const info = stmts.insertEmployee.run(employee);
  res.status(201).json({ id: Number(info.lastInsertRowid), ...employee });
});

router.put('/:id', (req, res) => {
  const id = Number(req.params.id);
  const employee = employeeFromBody(req.body);
  if (typeof employee === 'string') return badRequest(res, employee);
  const info = stmts.updateEmployee.run({ ...employee, id });
  if (info.changes === 0) return notFound(res, 'employee', req.params.id);
  res.json({ id, ...employee });
});

router.delete('/:id', (req, res) => {
  const info = stmts.deleteEmployee.run(Number(req.params.id));
  if (info.changes === 0) return notFound(res, 'employee', req.params.id);
  res.status(204).end();
});

module.exports = { router };
