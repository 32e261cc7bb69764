// /api/recipes: search, recently viewed, most popular, and recipe CRUD.
import Router from '@koa/router';
import { recipeService } from '../container.js';
import { idParam, optionalInt, recipeBody } from './validate.js';

export const recipesRouter = new Router({ prefix: '/recipes' });

recipesRouter.get('/', async (ctx) => {
  const filters = {
    q: ctx.query.q,
    maxMinutes: optionalInt(ctx, 'maxMinutes'),
    ingredient: ctx.query.ingredient,
  };
  const recipes = await recipeService.list(filters);
  ctx.body = { count: recipes.length, recipes };
});

recipesRouter.get('/recent', async (ctx) => {
  ctx.body = { recipes: await recipeService.recent() };
});

recipesRouter.get('/popular', async (ctx) => {
  const limit = optionalInt(ctx, 'limit') ?? 3;
  ctx.body = { recipes: await recipeService.popular(limit) };
});

recipesRouter.get('/:id', async (ctx) => {
  const recipe = await recipeService.getFull(idParam(ctx, 'id'));
  ctx.assert(recipe, 404, 'recipe not found');
  ctx.body = recipe;
});

recipesRouter.post('/', async (ctx) => {
  const recipe = await recipeService.create(recipeBody(ctx));
  ctx.status = 201;
  ctx.body = recipe;
});

recipesRouter.put('/:id', async (ctx) => {
  const id = idParam(ctx, 'id');
  const recipe = await recipeService.update(id, recipeBody(ctx));
  ctx.assert(recipe, 404, 'recipe not found');
  ctx.body = recipe;
});

recipesRouter.delete('/:id', async (ctx) => {
  const removed = await recipeService.remove(idParam(ctx, 'id'));
  ctx.assert(removed, 404, 'recipe not found');
  ctx.status = 204;
});
