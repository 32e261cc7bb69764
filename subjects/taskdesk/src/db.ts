import path from 'path';
import fs from 'fs';
import { Sequelize } from 'sequelize';

const dataDir = path.join(__dirname, '..', 'data');
fs.mkdirSync(dataDir, { recursive: true });

export const sequelize = new Sequelize({
  dialect: 'sqlite',
  storage: path.join(dataDir, 'taskdesk.sqlite'),
  logging: false,
});
