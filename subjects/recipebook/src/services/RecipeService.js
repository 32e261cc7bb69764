// The recipe service lives as long as the server. Besides the database it remembers which
// recipes were viewed recently and how often each one was opened.
const RECENT_LIMIT = 5;

export class RecipeService {
  constructor(recipes, ingredients, directions) {
    this.recipes = recipes;
    this.ingredients = ingredients;
    this.directions = directions;
    this.recentlyViewed = [];
    this.popularity = new Map();
  }

  async list(filters) {
    return this.recipes.search(filters);
  }

  async getFull(id) {
    const recipe = await this.recipes.findById(id);
    if (!recipe) return null;
    const [ingredients, directions] = await Promise.all([
      this.ingredients.listForRecipe(id),
      this.directions.listForRecipe(id),
    ]);
    this.noteView(id);
    return { ...recipe, ingredients, directions };
  }

  noteView(id) {
    this.recentlyViewed = [id, ...this.recentlyViewed.filter((x) => x !== id)].slice(0, RECENT_LIMIT);
    this.popularity.set(id, (this.popularity.get(id) ?? 0) + 1);
  }

  async recent() {
    const ids = this.recentlyViewed;
    const rows = await this.recipes.findByIds(ids);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.filter((id) => byId.has(id)).map((id) => byId.get(id));
  }

  async popular(limit) {
    const ranked = [...this.popularity.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, limit);
    const rows = await this.recipes.findByIds(ranked.map(([id]) => id));
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ranked.filter(([id]) => byId.has(id)).map(([id, views]) => ({ ...byId.get(id), views }));
  }

  async create(recipe) {
    const id = await this.recipes.create(recipe);
    return { id, ...recipe };
  }

  async update(id, recipe) {
    const changed = await this.recipes.update(id, recipe);
    if (changed === 0) return null;
    return this.recipes.findById(id);
  }

  async remove(id) {
    const removed = await this.recipes.delete(id);
    if (removed === 0) return false;
    this.popularity.delete(id);
    this.recentlyViewed = this.recentlyViewed.filter((x) => x !== id);
    return true;
  }

  // Adds up what to buy for several recipes: same ingredient and unit are summed.
  async shoppingList(recipeIds) {
    const rows = await this.ingredients.withRecipeTitles(recipeIds);
    const items = new Map();
    for (const row of rows) {
      const key = `${row.name}|${row.unit}`;
      const item = items.get(key) ?? { name: row.name, unit: row.unit, quantity: 0, recipes: [] };
      item.quantity += row.quantity;
      if (!item.recipes.includes(row.title)) item.recipes.push(row.title);
      items.set(key, item);
    }
    return [...items.values()];
  }
}
