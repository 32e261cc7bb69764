// Regression client for taskdesk: lists projects, adds tasks (the insert's hook logs activity),
// toggles a task, archives a project (a transaction on its own connection) and reads the log.
// Prints one line per request (`METHOD /path -> STATUS`) and exits 1 on any surprise.
const base = (process.argv[2] || `http://127.0.0.1:${process.env.PORT || 3120}`).replace(/\/$/, '');

async function call(method, path, { body, expect = 200 } = {}) {
  const url = new URL(path, base);
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(url, init);
  const text = await res.text();
  console.log(`${method} ${url.pathname}${url.search} -> ${res.status}`);
  if (res.status !== expect) throw new Error(`${method} ${path}: expected ${expect}, got ${res.status}: ${text}`);
  return text && (res.headers.get('content-type') || '').includes('json') ? JSON.parse(text) : text;
}

function check(cond, message) {
  if (!cond) throw new Error(`check failed: ${message}`);
}

async function main() {
  const projects = await call('GET', '/api/projects');
  check(projects.length >= 2 && projects[0].name === 'Home', 'seeded projects are listed');
  const home = await call('GET', '/api/projects/1');
  check(Array.isArray(home.tasks) && home.tasks.length >= 2, 'home has its tasks');
  await call('GET', '/api/projects/99', { expect: 404 });
  const title = `Buy milk ${Date.now() % 1000}`;
  const task = await call('POST', '/api/projects/1/tasks', { body: { title }, expect: 201 });
  check(task.title === title && task.done === false, 'the new task is open');
  await call('POST', '/api/projects/1/tasks', { body: { title: ' ' }, expect: 400 });
  const toggled = await call('PATCH', '/api/tasks/1');
  check(typeof toggled.done === 'boolean', 'task 1 was toggled');
  const archived = await call('POST', '/api/projects/2/archive');
  check(archived.archived === true, 'project 2 is archived');
  const work = await call('GET', '/api/projects/2');
  check(work.tasks.every((t) => t.done), 'archiving closed the tasks of project 2');
  const garden = await call('POST', '/api/projects', { body: { name: 'Garden' }, expect: 201 });
  check(typeof garden.id === 'number' && garden.archived === false, 'the new project has an id');
  await call('POST', '/api/projects', { body: {}, expect: 400 });
  await call('POST', `/api/projects/${garden.id}/tasks`, { body: { title: 'Plant tomatoes' }, expect: 201 });
  const g = await call('GET', `/api/projects/${garden.id}`);
  check(g.name === 'Garden' && g.tasks.length === 1, 'the new project holds its task');
  check((await call('GET', '/api/projects')).some((p) => p.id === garden.id), 'the new project is listed');
  const log = await call('GET', '/api/activity?limit=5');
  check(log.some((a) => a.message.includes(title)) && log.some((a) => a.message.includes('Plant tomatoes')), 'the activity log names the new tasks');
  console.log('taskdesk client: ok');
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
