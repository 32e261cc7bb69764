import { Router, type Request, type Response, type NextFunction } from 'express';
import { archiveProject, createProject, getProject, listProjects, NotFoundError } from '../services/projects';
import { addTask, recentActivity, toggleTask } from '../services/tasks';

export const router = Router();

type Handler = (req: Request, res: Response) => Promise<void>;
const wrap = (fn: Handler) => (req: Request, res: Response, next: NextFunction) => fn(req, res).catch(next);

router.get('/projects', wrap(async (_req, res) => {
  const projects = await listProjects();
  res.json(projects);
}));

router.get('/projects/:id', wrap(async (req, res) => {
  const project = await getProject(Number(req.params.id));
  res.json(project);
}));

router.post('/projects/:id/tasks', wrap(async (req, res) => {
  const title = String(req.body.title ?? '').trim();
  if (!title) {
    res.status(400).json({ error: 'title is required' });
    return;
  }
  const task = await addTask(Number(req.params.id), title);
  res.status(201).json(task);
}));

router.patch('/tasks/:id', wrap(async (req, res) => {
  const task = await toggleTask(Number(req.params.id));
  res.json(task);
}));

router.post('/projects/:id/archive', wrap(async (req, res) => {
  const project = await archiveProject(Number(req.params.id));
  res.json(project);
}));

router.get('/activity', wrap(async (req, res) => {
  const limit = Math.min(Number(req.query.limit ?? 10), 50);
  const items = await recentActivity(limit);
  res.json(items);
}));

router.post('/projects', wrap(async (req, res) => {
  const name = typeof req.body.name === 'string' ? req.body.name.trim() : '';
  if (!name) {
    res.status(400).json({ error: 'name is required' });
    return;
  }
  const project = await createProject(name);
  res.status(201).json(project);
}));

router.use((err: Error, _req: Request, res: Response, next: NextFunction) => {
  if (err instanceof NotFoundError) {
    res.status(404).json({ error: err.message });
    return;
  }
  next(err);
});
