import { sequelize } from '../db';
import { Project, Task } from '../models';

export class NotFoundError extends Error {}

export async function listProjects() {
  return Project.findAll({ order: [['id', 'ASC']] });
}

export async function createProject(name: string) {
  return Project.create({ name });
}

export async function getProject(id: number) {
  const project = await Project.findByPk(id, { include: [{ model: Task, as: 'tasks' }] });
  if (!project) throw new NotFoundError(`project ${id} not found`);
  return project;
}

// Archiving closes every open task of the project: both updates commit together or not at all.
export async function archiveProject(id: number) {
  return sequelize.transaction(async (transaction) => {
    const project = await Project.findByPk(id, { transaction });
    if (!project) throw new NotFoundError(`project ${id} not found`);
    await Task.update({ done: true }, { where: { projectId: id, done: false }, transaction });
    project.archived = true;
    await project.save({ transaction });
    return project;
  });
}
