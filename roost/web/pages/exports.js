// Exports: every exported span, newest first; running exports show as in progress (polled
// until written); play, download, rename and delete. New exports are made on Recordings.
import { html, useEffect, useRef, useState } from '../lib/html.js';
import { api, act, useApi, ApiError } from '../lib/api.js';
import { href } from '../lib/router.js';
import { isAdmin } from '../lib/session.js';
import { Dialog, Empty, ErrorBox, Spinner, formatDateTime, formatDuration } from '../lib/ui.js';
import { Glyph } from './recordings.js';

export const title = 'Exports';

const RUNNING_POLL_MS = 1500;
const IDLE_POLL_MS = 30000;

/** PATCH with a JSON body (the shared client has no PATCH; Frigate renames with one). */
async function patch(path, body) {
  const response = await fetch(path, { method: 'PATCH', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body) });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, `${data?.message || response.statusText} (HTTP ${response.status})`, data);
  return data;
}

function Running({ item, firstSeen }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return html`<div class="xp-running" role="status" aria-label=${`Exporting ${item.name}`}>
    <span class="xp-bar"><span></span></span>
    <span class="small">Exporting… ${formatDuration((now - firstSeen) / 1000)}</span>
  </div>`;
}

function NameEditor({ item, onDone }) {
  const [value, setValue] = useState(item.name);
  const input = useRef(null);
  useEffect(() => { input.current?.focus(); input.current?.select(); }, []);
  const save = async (e) => {
    e.preventDefault();
    const name = value.trim();
    if (!name || name === item.name) { onDone(null); return; }
    const done = await act(() => patch(`api/export/${encodeURIComponent(item.id)}/rename`, { name }), 'Export renamed');
    onDone(done ? name : null);
  };
  return html`<form class="xp-rename" onSubmit=${save}>
    <input ref=${input} value=${value} maxlength="100" aria-label="New name" onInput=${(e) => setValue(e.currentTarget.value)}
      onKeyDown=${(e) => e.key === 'Escape' && (e.preventDefault(), onDone(null))} />
    <button class="button button-primary">Save</button>
    <button type="button" class="button" onClick=${() => onDone(null)}>Cancel</button>
  </form>`;
}

function ExportCard({ item, firstSeen, onPlay, onChanged }) {
  const [renaming, setRenaming] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const id = encodeURIComponent(item.id);
  const admin = isAdmin();
  const remove = async () => {
    if (await act(() => api.del(`api/export/${id}`), `Deleted ${item.name}`)) onChanged();
  };
  return html`<article class=${`xp-card ${item.in_progress ? 'xp-card-running' : ''}`} data-export-id=${item.id}>
    <button class="xp-thumb" disabled=${item.in_progress} onClick=${() => onPlay(item)} aria-label=${`Play ${item.name}`}>
      ${!item.in_progress && item.thumb_path ? html`<img src=${`api/exports/${id}/thumbnail.jpg`} alt="" loading="lazy" />`
        : html`<span class="xp-thumb-empty">${item.in_progress ? html`<${Spinner} label="Exporting" />` : html`<${Glyph} name="film" size=${32} />`}</span>`}
      ${!item.in_progress && html`<span class="xp-play"><${Glyph} name="play" size=${26} /></span>`}
    </button>
    <div class="xp-body">
      ${renaming ? html`<${NameEditor} item=${item} onDone=${(name) => { setRenaming(false); if (name) onChanged(); }} />`
        : html`<h2 class="xp-name" title=${item.name}>${item.name}</h2>`}
      <p class="muted small">${item.camera} · from ${formatDateTime(item.date)}</p>
      ${item.in_progress ? html`<${Running} item=${item} firstSeen=${firstSeen} />` : html`<div class="xp-actions">
        <button class="button button-primary" onClick=${() => onPlay(item)}><${Glyph} name="play" />Play</button>
        <a class="button" href=${`api/exports/${id}/video.mp4`} download=${`${item.id}.mp4`}><${Glyph} name="download" />Download</a>
        <span class="xp-tools">
        ${admin && !renaming && html`<button class="icon-button" title="Rename" aria-label=${`Rename ${item.name}`} onClick=${() => setRenaming(true)}><${Glyph} name="edit" /></button>`}
        ${admin && (confirming
          ? html`<span class="xp-confirm">Delete? <button class="button button-danger" onClick=${remove}>Delete</button>
              <button class="button" onClick=${() => setConfirming(false)}>Keep</button></span>`
          : html`<button class="icon-button button-danger" title="Delete" aria-label=${`Delete ${item.name}`} onClick=${() => setConfirming(true)}><${Glyph} name="trash" /></button>`)}
        </span>
      </div>`}
    </div>
  </article>`;
}

export default function ExportsPage() {
  const [running, setRunning] = useState(false);
  const { data, error, loading, reload } = useApi('api/exports', {}, running ? RUNNING_POLL_MS : IDLE_POLL_MS);
  const [playing, setPlaying] = useState(null);
  const [search, setSearch] = useState('');
  const [camera, setCamera] = useState('');
  const seen = useRef(new Map());
  const items = data || [];
  useEffect(() => {
    for (const item of items) if (!seen.current.has(item.id)) seen.current.set(item.id, Date.now());
    setRunning(items.some((i) => i.in_progress));
  }, [data]);
  const cameras = [...new Set(items.map((i) => i.camera))].sort();
  const needle = search.trim().toLowerCase();
  const shown = items.filter((i) => (!camera || i.camera === camera) && (!needle || i.name.toLowerCase().includes(needle)));
  return html`<main class="page xp-page">
    <div class="page-head"><h1>Exports</h1>
      ${items.length > 0 && html`<input class="xp-search" type="search" placeholder="Search names" aria-label="Search exports by name"
        value=${search} onInput=${(e) => setSearch(e.currentTarget.value)} />`}
      <a class="button" href=${href('recordings')}><${Glyph} name="scissors" />New export</a></div>
    ${cameras.length > 1 && html`<div class="chips xp-cameras" role="group" aria-label="Camera">
      <button class="chip" aria-pressed=${camera ? 'false' : 'true'} onClick=${() => setCamera('')}>All cameras</button>
      ${cameras.map((c) => html`<button class="chip" aria-pressed=${c === camera ? 'true' : 'false'} onClick=${() => setCamera(c)}>${c}</button>`)}</div>`}
    ${error && html`<${ErrorBox} error=${error} onRetry=${reload} />`}
    ${data === undefined && loading ? html`<div class="page-loading"><${Spinner} /></div>`
      : shown.length ? html`<div class="xp-grid">${shown.map((item) => html`<${ExportCard} key=${item.id} item=${item}
          firstSeen=${seen.current.get(item.id) || Date.now()} onPlay=${setPlaying} onChanged=${reload} />`)}</div>`
        : html`<${Empty}>${items.length ? 'No export matches.' : html`No exports yet. Choose a span on
            <a href=${href('recordings')}>Recordings</a> and export it.`}<//>`}
    <${Dialog} wide open=${Boolean(playing)} title=${playing?.name || ''} onClose=${() => setPlaying(null)}>
      ${playing && html`<video class="xp-video" src=${`api/exports/${encodeURIComponent(playing.id)}/video.mp4`} controls autoplay
        muted playsinline aria-label=${`Export ${playing.name}`}></video>
        <p class="muted small">${playing.camera} · from ${formatDateTime(playing.date)}</p>`}
    <//>
  </main>`;
}
