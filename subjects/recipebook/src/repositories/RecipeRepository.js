// Data access for recipes. Deleting a recipe removes its ingredients and directions too.
export class RecipeRepository {
  constructor(db) {
    this.db = db;
  }

  async search({ q, maxMinutes, ingredient }) {
    const query = this.db('recipes').select('id', 'title', 'minutes', 'servings').orderBy('id');
    if (q) query.whereLike('title', `%${q}%`);
    if (maxMinutes !== undefined) query.where('minutes', '<=', maxMinutes);
    if (ingredient) {
      // recipes that use the ingredient: a sub-query on ingredients
      query.whereIn('id', this.db('ingredients').select('recipe_id').whereLike('name', `%${ingredient}%`));
    }
    return query;
  }

  async findById(id) {
    return this.db('recipes').where({ id }).first();
  }

  async findByIds(ids) {
    return this.db('recipes').whereIn('id', ids).select('id', 'title', 'minutes');
  }

  async create(recipe) {
    const [id] = await this.db('recipes').insert(recipe);
    return id;
  }

  async update(id, recipe) {
    return this.db('recipes').where({ id }).update(recipe);
  }

  async delete(id) {
    return this.db.transaction(async (trx) => {
      await trx('ingredients').where({ recipe_id: id }).del();
      await trx('directions').where({ recipe_id: id }).del();
      return trx('recipes').where({ id }).del();
    });
  }
}
