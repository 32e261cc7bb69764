// The /api router: recipes, their nested ingredients and directions, and the shopping list.
import Router from '@koa/router';
import { recipeService } from '../container.js';
import { recipesRouter } from './recipes.js';
import { ingredientsRouter } from './ingredients.js';
import { directionsRouter } from './directions.js';

export const api = new Router({ prefix: '/api' });

api.use(recipesRouter.routes(), recipesRouter.allowedMethods());
api.use('/recipes/:recipeId/ingredients', ingredientsRouter.routes(), ingredientsRouter.allowedMethods());
api.use('/recipes/:recipeId/directions', directionsRouter.routes(), directionsRouter.allowedMethods());

// ?recipes=1,2,3 -> everything to buy for those recipes
api.get('/shopping-list', async (ctx) => {
  const ids = String(ctx.query.recipes ?? '').split(',').filter(Boolean).map(Number);
  ctx.assert(ids.length > 0 && ids.every(Number.isInteger), 400, 'recipes must be a comma-separated list of ids');
  ctx.body = { items: await recipeService.shoppingList(ids) };
});
