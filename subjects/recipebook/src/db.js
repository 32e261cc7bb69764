// knex on sqlite3. The schema and the seed recipes are created on first start.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory from 'knex';

const dataDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'data');
fs.mkdirSync(dataDir, { recursive: true });

export const db = knexFactory({
  client: 'sqlite3',
  connection: { filename: path.join(dataDir, 'recipes.db') },
  useNullAsDefault: true,
});

const SEED = [
  {
    title: 'Buttermilk Pancakes', minutes: 25, servings: 4,
    ingredients: [['flour', 250, 'g'], ['buttermilk', 500, 'ml'], ['egg', 2, 'pc'], ['sugar', 30, 'g']],
    directions: ['Whisk the dry ingredients.', 'Beat in buttermilk and eggs.', 'Fry ladlefuls until golden.'],
  },
  {
    title: 'Tomato Soup', minutes: 40, servings: 4,
    ingredients: [['tomato', 800, 'g'], ['onion', 1, 'pc'], ['vegetable stock', 500, 'ml'], ['cream', 100, 'ml']],
    directions: ['Sweat the onion.', 'Add tomatoes and stock, simmer 25 minutes.', 'Blend and stir in the cream.'],
  },
  {
    title: 'Guacamole', minutes: 10, servings: 2,
    ingredients: [['avocado', 2, 'pc'], ['lime', 1, 'pc'], ['onion', 0.5, 'pc'], ['salt', 2, 'g']],
    directions: ['Mash the avocados.', 'Stir in lime juice, onion and salt.'],
  },
  {
    title: 'Banana Bread', minutes: 75, servings: 8,
    ingredients: [['banana', 3, 'pc'], ['flour', 200, 'g'], ['sugar', 120, 'g'], ['egg', 2, 'pc'], ['butter', 100, 'g']],
    directions: ['Mash the bananas.', 'Mix in butter, sugar and eggs.', 'Fold in the flour.', 'Bake 60 minutes at 175 C.'],
  },
];

export async function initDb() {
  if (await db.schema.hasTable('recipes')) return;
  await db.schema.createTable('recipes', (t) => {
    t.increments('id');
    t.string('title').notNullable();
    t.integer('minutes').notNullable();
    t.integer('servings').notNullable().defaultTo(2);
  });
  await db.schema.createTable('ingredients', (t) => {
    t.increments('id');
    t.integer('recipe_id').notNullable().index();
    t.string('name').notNullable();
    t.float('quantity').notNullable();
    t.string('unit').notNullable();
  });
  await db.schema.createTable('directions', (t) => {
    t.increments('id');
    t.integer('recipe_id').notNullable().index();
    t.integer('step').notNullable();
    t.text('text').notNullable();
  });
  await db.transaction(async (trx) => {
    for (const r of SEED) {
      const [recipeId] = await trx('recipes').insert({ title: r.title, minutes: r.minutes, servings: r.servings });
      await trx('ingredients').insert(r.ingredients.map(([name, quantity, unit]) => ({ recipe_id: recipeId, name, quantity, unit })));
      await trx('directions').insert(r.directions.map((text, i) => ({ recipe_id: recipeId, step: i + 1, text })));
    }
  });
}
