// Data access for the numbered steps of a recipe.
export class DirectionRepository {
  constructor(db) {
    this.db = db;
  }

  async listForRecipe(recipeId) {
    return this.db('directions').where({ recipe_id: recipeId }).orderBy('step').select('id', 'step', 'text');
  }

  // New steps go at the end.
  async append(recipeId, text) {
    const row = await this.db('directions').where({ recipe_id: recipeId }).max('step as last').first();
    const step = (row && row.last ? row.last : 0) + 1;
    const [id] = await this.db('directions').insert({ recipe_id: recipeId, step, text });
    return { id, step, text };
  }

  async remove(recipeId, id) {
    return this.db('directions').where({ recipe_id: recipeId, id }).del();
  }
}
