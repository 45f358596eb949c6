// Key documentation from the config's JSON Schema (/api/config/schema.json).
import { api } from '../lib/api.js';

let schema = null;
let loading = null;

export function loadSchema() {
  loading = loading || api.get('api/config/schema.json').then((s) => { schema = s; return s; });
  return loading;
}

function resolve(node) {
  for (let i = 0; node && i < 8; i += 1) {
    if (node.$ref) { node = schema.$defs[node.$ref.split('/').pop()]; continue; }
    const alt = (node.anyOf || []).find((a) => a.$ref || a.properties || a.additionalProperties);
    if (!node.properties && alt) { node = alt; continue; }
    break;
  }
  return node;
}

/** {path, text} documenting the key path (list of names), or null. */
export function docFor(path) {
  if (!schema || !path.length) return null;
  let node = schema;
  for (const part of path) {
    node = resolve(node);
    const next = node?.properties?.[part] || (typeof node?.additionalProperties === 'object' ? node.additionalProperties : null)
      || (node?.items && typeof node.items === 'object' ? node.items : null);
    if (!next) return { path: path.join('.'), text: 'not a known key (check the spelling)' };
    node = next;
  }
  const text = node.description || resolve(node)?.description;
  return text ? { path: path.join('.'), text } : null;
}
