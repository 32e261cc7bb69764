import { Activity, Project, Task } from '../models';
import { NotFoundError } from './projects';

export async function addTask(projectId: number, title: string) {
  const project = await Project.findByPk(projectId);
  if (!project) throw new NotFoundError(`project ${projectId} not found`);
  return Task.create({ projectId: project.id, title });
}

export async function toggleTask(id: number) {
  const task = await Task.findByPk(id);
  if (!task) throw new NotFoundError(`task ${id} not found`);
  task.done = !task.done;
  await task.save();
  return task;
}

export async function recentActivity(limit: number) {
  return Activity.findAll({ order: [['id', 'DESC']], limit });
}
