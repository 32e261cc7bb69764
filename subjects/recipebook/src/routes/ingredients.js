// /api/recipes/:recipeId/ingredients, mounted under the api router.
import Router from '@koa/router';
import { recipeRepository, ingredientRepository } from '../container.js';
import { idParam, ingredientBody } from './validate.js';

export const ingredientsRouter = new Router();

ingredientsRouter.get('/', async (ctx) => {
  const recipeId = idParam(ctx, 'recipeId');
  const recipe = await recipeRepository.findById(recipeId);
  ctx.assert(recipe, 404, 'recipe not found');
  ctx.body = { recipe: recipe.title, ingredients: await ingredientRepository.listForRecipe(recipeId) };
});

ingredientsRouter.post('/', async (ctx) => {
  const recipeId = idParam(ctx, 'recipeId');
  const ingredient = ingredientBody(ctx);
  const recipe = await recipeRepository.findById(recipeId);
  ctx.assert(recipe, 404, 'recipe not found');
  const id = await ingredientRepository.add(recipeId, ingredient);
  ctx.status = 201;
  ctx.body = { id, ...ingredient };
});

ingredientsRouter.put('/:id', async (ctx) => {
  const recipeId = idParam(ctx, 'recipeId');
  const id = idParam(ctx, 'id');
  const changed = await ingredientRepository.update(recipeId, id, ingredientBody(ctx));
  ctx.assert(changed > 0, 404, 'ingredient not found');
  ctx.body = await ingredientRepository.findOne(recipeId, id);
});

ingredientsRouter.delete('/:id', async (ctx) => {
  const removed = await ingredientRepository.remove(idParam(ctx, 'recipeId'), idParam(ctx, 'id'));
  ctx.assert(removed > 0, 404, 'ingredient not found');
  ctx.status = 204;
});
