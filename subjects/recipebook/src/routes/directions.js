// /api/recipes/:recipeId/directions, mounted under the api router.
import Router from '@koa/router';
import { recipeRepository, directionRepository } from '../container.js';
import { idParam } from './validate.js';

export const directionsRouter = new Router();

directionsRouter.get('/', async (ctx) => {
  const recipeId = idParam(ctx, 'recipeId');
  const steps = await directionRepository.listForRecipe(recipeId);
  ctx.body = { recipeId, steps };
});

directionsRouter.post('/', async (ctx) => {
  const recipeId = idParam(ctx, 'recipeId');
  const text = ctx.request.body?.text;
  ctx.assert(typeof text === 'string' && text.trim() !== '', 400, 'text is required');
  ctx.assert(await recipeRepository.findById(recipeId), 404, 'recipe not found');
  ctx.status = 201;
  ctx.body = await directionRepository.append(recipeId, text.trim());
});

directionsRouter.delete('/:id', async (ctx) => {
  const removed = await directionRepository.remove(idParam(ctx, 'recipeId'), idParam(ctx, 'id'));
  ctx.assert(removed > 0, 404, 'step not found');
  ctx.status = 204;
});
