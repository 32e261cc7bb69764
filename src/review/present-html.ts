/**
 * HTML presentation of the review: one self-contained page (inline CSS, no scripts, no external
 * assets) with the same content as the terminal view plus the decisions. Every piece of text from
 * the app or analysis is escaped: source code and route names are data, never markup.
 */
import type { Decisions } from '../model/decisions.js';
import { accessLabel } from './present-terminal.js';
import { replicatedState } from './plan.js';
import type { ReviewPlan, ServicePlan, StateItem } from './types.js';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

const CSS = `
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin:0}h3{font-size:1rem;margin:.8rem 0 .3rem}
section{border:1px solid #ccc;border-radius:6px;padding:1rem;margin:1.2rem 0}
pre{background:#f5f5f5;padding:.6rem;overflow-x:auto;font:13px/1.35 ui-monospace,monospace}
table{border-collapse:collapse}td,th{padding:.25rem .7rem;border-bottom:1px solid #ddd;text-align:left}
.tag{display:inline-block;border-radius:3px;padding:0 .4rem;margin-left:.4rem;font-size:.8rem;background:#eee}
.accept{color:#116611;font-weight:600}.reject{color:#a11;font-weight:600}.why{color:#a11}
.note{color:#444}.exposure{background:#fff7e0;padding:.4rem .8rem;border-left:3px solid #e0a000}
`;

function itemHtml(item: StateItem): string {
  const rows = item.rows === undefined ? '' : `; ${item.rows} row${item.rows === 1 ? '' : 's'} at analysis time`;
  const frames = item.frames
    .map((f) => `<div class="note">${escapeHtml(`${f.file}:${f.lines[0]}${f.via === undefined ? '' : ` (in ${f.via}, used by the service)`}`)}</div><pre>${escapeHtml(f.text)}</pre>`)
    .join('\n');
  const fallback = item.framesAreFallback && item.frames.length > 0 ? `<p class="note">No statement names it; the service's statements:</p>` : '';
  const none = item.frames.length === 0 ? '<p class="note">(no source to show)</p>' : '';
  const more = item.omitted > 0 ? `<p class="note">... and ${item.omitted} more statement${item.omitted === 1 ? '' : 's'}</p>` : '';
  return `<h3>${escapeHtml(`${item.kind} ${item.name}`)} <span class="tag">${escapeHtml(accessLabel(item) + rows)}</span></h3>
${fallback}${none}${frames}${more}
<p><strong>Eventual consistency:</strong> ${escapeHtml(item.note)}</p>`;
}

function serviceHtml(s: ServicePlan, index: number, decisions: Decisions): string {
  const d = decisions.get(s.id);
  const verdict = d?.accepted ? '<span class="accept">accepted: answered at the edge</span>' : '<span class="reject">rejected: forwarded to the cloud</span>';
  const exposure =
    s.exposure.length > 0
      ? `<div class="exposure"><strong>Leaves the cloud (data the client did not send):</strong><ul>${s.exposure.map((e) => `<li>${escapeHtml(e)}</li>`).join('')}</ul></div>`
      : '';
  return `<section id="svc-${index}">
<h2>${escapeHtml(s.id)}<span class="tag">${s.stateful ? 'stateful' : 'stateless'}</span><span class="tag">${s.replicable ? 'replicable' : 'not replicable'}</span></h2>
<p>Decision: ${verdict}${d ? ` <span class="note">(${escapeHtml(d.by)}${d.at ? `, ${escapeHtml(d.at)}` : ''})</span>` : ''}</p>
${s.replicable ? '' : `<p class="why">Reason: ${escapeHtml(s.reason ?? 'no reason given')}</p>`}
${s.items.map(itemHtml).join('\n')}
${exposure}
${s.notes.map((n) => `<p class="note">Note: ${escapeHtml(n)}</p>`).join('\n')}
</section>`;
}

/** The whole page. `generatedAt` is passed in so the page is reproducible in tests. */
export function renderHtml(plan: ReviewPlan, decisions: Decisions, generatedAt: string): string {
  const summary = plan.services
    .map((s, index) => {
      const ok = decisions.get(s.id)?.accepted === true;
      return `<tr><td><a href="#svc-${index}">${escapeHtml(s.id)}</a></td><td class="${ok ? 'accept' : 'reject'}">${ok ? 'accept' : 'reject'}</td><td>${s.stateful ? 'stateful' : 'stateless'}</td><td>${s.replicable ? 'yes' : 'no'}</td></tr>`;
    })
    .join('\n');
  const accepted = plan.services.filter((s) => decisions.get(s.id)?.accepted === true).length;
  const shipped = replicatedState(plan, (id) => decisions.get(id)?.accepted === true);
  const leaves =
    shipped.length === 0
      ? '<p>With these decisions no state leaves the cloud.</p>'
      : `<div class="exposure"><strong>With these decisions, this leaves the cloud for every edge:</strong><ul>${shipped
          .map((r) => `<li>${escapeHtml(r.exposure)} <span class="note">(${escapeHtml(r.services.join(', '))})</span></li>`)
          .join('')}</ul></div>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>edgstr review: ${escapeHtml(plan.appDir)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>edgstr review of ${escapeHtml(plan.appDir)}</h1>
<p class="note">Generated ${escapeHtml(generatedAt)} by <code>edgstr review</code>. ${accepted} of ${plan.services.length} services accepted for the edge.</p>
${plan.warnings.map((w) => `<p class="why">Warning: ${escapeHtml(w)}</p>`).join('\n')}
<table><thead><tr><th>Service</th><th>Decision</th><th>State</th><th>Replicable</th></tr></thead>
<tbody>
${summary}
</tbody></table>
${leaves}
${plan.services.map((s, i) => serviceHtml(s, i, decisions)).join('\n')}
</body>
</html>
`;
}
