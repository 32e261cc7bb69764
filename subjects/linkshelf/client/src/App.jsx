import { useEffect, useState } from 'react';
import { addLink, listLinks, visit } from './api.js';

export default function App() {
  const [links, setLinks] = useState([]);
  const [tag, setTag] = useState('');
  const [url, setUrl] = useState('');

  useEffect(() => {
    listLinks(tag).then((r) => setLinks(r.links));
  }, [tag]);

  async function onSubmit(e) {
    e.preventDefault();
    const link = await addLink({ url, tags: tag ? [tag] : [] });
    setLinks([link, ...links]);
    setUrl('');
  }

  return (
    <main>
      <h1>linkshelf</h1>
      <form onSubmit={onSubmit}>
        <input value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://" />
        <button>Add</button>
      </form>
      <input value={tag} onChange={(e) => setTag(e.target.value)} placeholder="filter by tag" />
      <ul>
        {links.map((l) => (
          <li key={l.id}>
            <a href={l.url} onClick={() => visit(l.id)}>{l.title}</a> <small>{l.visits}</small>
          </li>
        ))}
      </ul>
    </main>
  );
}
