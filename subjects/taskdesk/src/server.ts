import express from 'express';
import { sequelize } from './db';
import { Project, Task } from './models';
import { router } from './routes/api';

const app = express();
app.use(express.json());
app.use('/api', router);

const port = Number(process.env.PORT ?? 3120);

async function seed() {
  if ((await Project.count()) > 0) return;
  const home = await Project.create({ name: 'Home' });
  const work = await Project.create({ name: 'Work' });
  await Task.bulkCreate([
    { projectId: home.id, title: 'Fix the bike' },
    { projectId: home.id, title: 'Water the plants' },
    { projectId: work.id, title: 'Write the report' },
  ]);
}

async function main() {
  await sequelize.sync();
  await seed();
  app.listen(port, () => console.log(`taskdesk listening on http://localhost:${port}`));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
