// Thin fetch wrapper used by the React components.
export async function api(path, { method = 'GET', body } = {}) {
  const res = await fetch(`/api${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status}`);
  return res.status === 204 ? null : res.json();
}

export const listLinks = (tag) => api(tag ? `/links?tag=${encodeURIComponent(tag)}` : '/links');
export const addLink = (link) => api('/links', { method: 'POST', body: link });
export const visit = (id) => api(`/links/${id}/visits`, { method: 'POST' });
