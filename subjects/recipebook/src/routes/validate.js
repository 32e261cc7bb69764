// Request helpers shared by the routers: ids, numbers and bodies.

export function idParam(ctx, name) {
  const id = Number(ctx.params[name]);
  ctx.assert(Number.isInteger(id) && id > 0, 400, `${name} must be a positive integer`);
  return id;
}

export function optionalInt(ctx, name) {
  const raw = ctx.query[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  ctx.assert(Number.isInteger(n), 400, `${name} must be an integer`);
  return n;
}

export function recipeBody(ctx) {
  const { title, minutes, servings = 2 } = ctx.request.body ?? {};
  ctx.assert(typeof title === 'string' && title.trim() !== '', 400, 'title is required');
  ctx.assert(Number.isInteger(minutes) && minutes > 0, 400, 'minutes must be a positive integer');
  ctx.assert(Number.isInteger(servings) && servings > 0, 400, 'servings must be a positive integer');
  return { title: title.trim(), minutes, servings };
}

export function ingredientBody(ctx) {
  const { name, quantity, unit } = ctx.request.body ?? {};
  ctx.assert(typeof name === 'string' && name.trim() !== '', 400, 'name is required');
  ctx.assert(typeof quantity === 'number' && quantity > 0, 400, 'quantity must be a positive number');
  ctx.assert(typeof unit === 'string' && unit !== '', 400, 'unit is required');
  return { name: name.trim().toLowerCase(), quantity, unit };
}
