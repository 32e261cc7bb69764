/**
 * A small XML well-formedness check for the SVG tests (no XML parser is installed): every tag is
 * closed in order, attributes are quoted, and `&` only starts a known entity.
 */
export function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  let roots = 0;
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<([^>]*)>/g;
  let last = 0;
  for (let m = tag.exec(body); m; m = tag.exec(body)) {
    const text = body.slice(last, m.index);
    if (/&(?!(lt|gt|amp|apos|quot|#\d+);)/.test(text)) problems.push(`bad entity in text near ${m.index}`);
    if (stack.length === 0 && text.trim()) problems.push(`text outside the root element: ${text.trim().slice(0, 30)}`);
    last = m.index + m[0].length;
    if (m[5] !== undefined) {
      problems.push(`malformed tag <${m[5].slice(0, 40)}>`);
      continue;
    }
    const [, close, name, attrs, selfClose] = m;
    if (attrs && /&(?!(lt|gt|amp|apos|quot|#\d+);)/.test(attrs)) problems.push(`bad entity in attributes of <${name}>`);
    if (close) {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open ?? 'nothing'}>`);
    } else if (!selfClose) {
      if (stack.length === 0) roots++;
      stack.push(name!);
    } else if (stack.length === 0) roots++;
  }
  if (body.slice(last).trim()) problems.push('text after the root element');
  if (stack.length) problems.push(`unclosed: ${stack.join(', ')}`);
  if (roots !== 1) problems.push(`expected one root element, found ${roots}`);
  return problems;
}
