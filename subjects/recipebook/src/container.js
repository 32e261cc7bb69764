// Wires the repositories and the long-lived service once for the whole process.
import { db } from './db.js';
import { RecipeRepository } from './repositories/RecipeRepository.js';
import { IngredientRepository } from './repositories/IngredientRepository.js';
import { DirectionRepository } from './repositories/DirectionRepository.js';
import { RecipeService } from './services/RecipeService.js';

export const recipeRepository = new RecipeRepository(db);
export const ingredientRepository = new IngredientRepository(db);
export const directionRepository = new DirectionRepository(db);
export const recipeService = new RecipeService(recipeRepository, ingredientRepository, directionRepository);
