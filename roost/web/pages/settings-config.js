// Config file editor: the YAML with a line gutter, validation that lists every error at its
// line and key path (the messages of `roost check-config`), save (atomic; says whether a
// restart is needed) and save-and-restart. Keys are documented from /api/config/schema.json.
import { html, useEffect, useRef, useState } from '../lib/html.js';
import { api } from '../lib/api.js';
import { toast, ErrorBox, Spinner } from '../lib/ui.js';
import { docFor, loadSchema } from './settings-schema.js';

const LINE_PX = 20;

export async function waitForRestart(onState) {
  // The old server answers until it stops; then nothing answers; then the new one does.
  const started = Date.now();
  let seenDown = false;
  while (Date.now() - started < 120000) {
    await new Promise((resolve) => setTimeout(resolve, 700));
    try {
      const response = await fetch('api/version', { cache: 'no-store' });
      if (seenDown && response.ok) return true;
      if (!response.ok) seenDown = true;
    } catch {
      seenDown = true;
      onState?.('Waiting for Roost to come back…');
    }
    if (Date.now() - started > 15000 && !seenDown) return true;  // restarted faster than the polls
  }
  return false;
}

/** The key path of the line under the caret, from the indentation of the lines above. */
function keyPathAt(text, position) {
  const lines = text.slice(0, position).split('\n');
  const path = [];
  let indent = Infinity;
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const match = /^(\s*)(?:-\s+)?([A-Za-z0-9_.-]+):/.exec(lines[i]);
    if (!match) continue;
    const depth = match[1].length;
    if (depth < indent) { path.unshift(match[2]); indent = depth; }
    if (depth === 0) break;
  }
  return path;
}

export default function ConfigEditor() {
  const [text, setText] = useState(null);
  const [saved, setSaved] = useState('');
  const [loadError, setLoadError] = useState(null);
  const [result, setResult] = useState(null);
  const [busy, setBusy] = useState('');
  const [doc, setDoc] = useState(null);
  const area = useRef(null);
  const gutter = useRef(null);

  const load = () => api.get('api/config/raw').then((t) => { setText(t); setSaved(t); setLoadError(null); }, setLoadError);
  useEffect(() => { load(); loadSchema().catch(() => {}); }, []);
  if (loadError) return html`<${ErrorBox} error=${loadError} onRetry=${load} />`;
  if (text === null) return html`<${Spinner} />`;

  const lines = text.split('\n').length;
  const errorLines = new Set((result?.errors || []).map((e) => e.line).filter(Boolean));
  const goTo = (line) => {
    const el = area.current;
    const offset = text.split('\n').slice(0, line - 1).join('\n').length + (line > 1 ? 1 : 0);
    el.focus();
    el.setSelectionRange(offset, offset);
    el.scrollTop = Math.max(0, (line - 4) * LINE_PX);
  };
  const showDoc = () => {
    const el = area.current;
    if (el) setDoc(docFor(keyPathAt(el.value, el.selectionStart)));
  };
  const validate = async () => {
    setBusy('validate');
    try { setResult(await api.post('api/config/validate', { text })); } catch (e) { toast(e.message, 'error'); }
    setBusy('');
  };
  const save = async (restart) => {
    setBusy(restart ? 'restart' : 'save');
    try {
      const answer = await api.post(`api/config/save${restart ? '?restart_after=true' : ''}`, { text });
      setSaved(text);
      setResult({ valid: true, errors: [], warnings: [] });
      if (restart) {
        toast('Saved; Roost is restarting…');
        const back = await waitForRestart((m) => setBusy(m));
        toast(back ? 'Roost restarted with the new config' : 'Roost did not come back in 2 minutes; see its log', back ? 'info' : 'error');
      } else {
        toast(answer.message);
      }
    } catch (e) {
      if (e.body?.errors) setResult({ valid: false, errors: e.body.errors, warnings: [] });
      toast(e.message, 'error');
    }
    setBusy('');
  };
  const dirty = text !== saved;

  return html`<section class="settings-config">
    <div class="settings-toolbar">
      <button class="button" onClick=${validate} disabled=${!!busy}>Validate</button>
      <button class="button button-primary" onClick=${() => save(false)} disabled=${!!busy || !dirty}>Save</button>
      <button class="button" onClick=${() => save(true)} disabled=${!!busy}>Save and restart</button>
      <button class="button" onClick=${() => { setText(saved); setResult(null); }} disabled=${!!busy || !dirty}>Discard changes</button>
      <span class="muted small" role="status">${busy && busy.length > 8 ? busy : dirty ? 'Unsaved changes' : 'Saved'}</span>
    </div>
    ${result && html`<div class=${`settings-result ${result.valid ? 'settings-ok' : 'settings-bad'}`} role="status">
      ${result.valid ? html`<strong>Valid.</strong> ${result.warnings?.length ? result.warnings.join('; ') : 'No errors.'}`
        : html`<strong>${result.errors.length} error(s)</strong><ul class="settings-errors">
          ${result.errors.map((e) => html`<li><button class="link-button settings-error-line" onClick=${() => e.line && goTo(e.line)}>
            ${e.line ? `line ${e.line}` : 'file'}</button> <code>${e.path || '(config)'}</code> ${e.message.replace(`${e.path}: `, '')}</li>`)}</ul>`}
    </div>`}
    <div class="settings-editor">
      <div class="settings-gutter" ref=${gutter} aria-hidden="true">
        ${Array.from({ length: lines }, (_, i) => html`<div class=${errorLines.has(i + 1) ? 'settings-gutter-error' : ''}>${i + 1}</div>`)}
      </div>
      <textarea ref=${area} class="settings-yaml" spellcheck="false" aria-label="Config file (YAML)" wrap="off"
        value=${text} onInput=${(e) => setText(e.target.value)} onScroll=${(e) => { gutter.current.scrollTop = e.target.scrollTop; }}
        onKeyUp=${showDoc} onClick=${showDoc}
        onKeyDown=${(e) => { if (e.key === 'Tab' && !e.shiftKey) { e.preventDefault(); document.execCommand('insertText', false, '  '); } }} />
    </div>
    <p class="settings-doc small" aria-live="polite">${doc ? html`<code>${doc.path}</code> — ${doc.text}` : 'Put the cursor on a key to see what it does.'}</p>
  </section>`;
}
