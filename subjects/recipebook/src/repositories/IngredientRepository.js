// Data access for the ingredients of a recipe, and the shopping list across recipes.
export class IngredientRepository {
  constructor(db) {
    this.db = db;
  }

  async listForRecipe(recipeId) {
    return this.db('ingredients').where({ recipe_id: recipeId }).orderBy('id').select('id', 'name', 'quantity', 'unit');
  }

  async findOne(recipeId, id) {
    return this.db('ingredients').where({ recipe_id: recipeId, id }).first();
  }

  async add(recipeId, ingredient) {
    const [id] = await this.db('ingredients').insert({ ...ingredient, recipe_id: recipeId });
    return id;
  }

  async update(recipeId, id, ingredient) {
    return this.db('ingredients').where({ recipe_id: recipeId, id }).update(ingredient);
  }

  async remove(recipeId, id) {
    return this.db('ingredients').where({ recipe_id: recipeId, id }).del();
  }

  // Every ingredient of the given recipes with the recipe's title (ingredients JOIN recipes).
  async withRecipeTitles(recipeIds) {
    return this.db('ingredients as i')
      .join('recipes as r', 'r.id', 'i.recipe_id')
      .whereIn('r.id', recipeIds)
      .select('i.name', 'i.quantity', 'i.unit', 'r.title')
      .orderBy(['i.name', 'r.title']);
  }
}
