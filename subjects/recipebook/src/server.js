// Recipe book REST API (Koa).
import Koa from 'koa';
import { bodyParser } from '@koa/bodyparser';
import { initDb } from './db.js';
import { api } from './routes/index.js';

const PORT = Number(process.env.PORT) || 3102;

const app = new Koa();

// Errors become JSON; ctx.assert() failures carry their status.
app.use(async (ctx, next) => {
  try {
    await next();
  } catch (err) {
    ctx.status = err.status || 500;
    ctx.body = { error: err.expose ? err.message : 'internal error' };
    if (ctx.status === 500) console.error(err);
  }
});
app.use(bodyParser());
app.use(api.routes());
app.use(api.allowedMethods());

await initDb();
app.listen(PORT, () => {
  console.log(`recipebook listening on http://127.0.0.1:${PORT}`);
});
