// Annotate: frames sent from events, review items and the live view (or imported), to label
// for tuning the detection model, as Frigate+ does in its own annotation tool. Routes:
//   #/annotate?show=todo|verified|all        the frames, newest capture first (paged)
//   #/annotate/<frame id>?show=...           the editor (pages/annotate/editor.js)
// Only verified frames train; the tune panel (pages/annotate/tune.js) says how many there are
// against Frigate+'s rules, starts a tune and lists the tuned models.
import { html, useCallback, useEffect, useRef, useState } from '../lib/html.js';
import { api, url } from '../lib/api.js';
import { href, navigate } from '../lib/router.js';
import { isAdmin } from '../lib/session.js';
import { ErrorBox, Icon, LazyImg, ThumbGrid, formatDateTime, toast } from '../lib/ui.js';
import { Editor } from './annotate/editor.js';
import { TunePanel } from './annotate/tune.js';
import { gridKeys } from './explore.js';

export const title = 'Annotate';

const PAGE_SIZE = 60;
const SHOW = [['todo', 'To annotate', '0'], ['verified', 'Verified', '1'], ['all', 'All', undefined]];

export function verifiedParam(show) {
  return (SHOW.find(([key]) => key === show) || SHOW[0])[2];
}

/** Offset-paged frames of one filter: `items`, `more()`, `reload()`, `counts`. */
function useFrames(show) {
  const [state, setState] = useState({ items: [], total: 0, counts: null, loading: true, error: null });
  const generation = useRef(0);
  const load = useCallback(async (offset) => {
    const mine = generation.current;
    setState((s) => ({ ...s, loading: true }));
    try {
      const page = await api.get('api/annotations', { verified: verifiedParam(show), limit: PAGE_SIZE, offset });
      if (mine !== generation.current) return;
      setState((s) => ({ items: offset ? [...s.items, ...page.frames] : page.frames, total: page.total,
        counts: page.counts, loading: false, error: null }));
    } catch (error) {
      if (mine === generation.current) setState((s) => ({ ...s, loading: false, error }));
    }
  }, [show]);
  useEffect(() => { generation.current += 1; load(0); }, [show]);
  const current = useRef(state);
  current.current = state;
  const more = useCallback(() => {
    const s = current.current;
    if (!s.loading && s.items.length < s.total) load(s.items.length);
  }, [load]);
  return { ...state, more, reload: () => { generation.current += 1; load(0); } };
}

function FrameCard({ frame, show }) {
  return html`<a class="an-card" href=${href('annotate', [frame.id], { show })} data-frame-id=${frame.id}
      aria-label=${`Frame from ${frame.camera || 'an import'} at ${formatDateTime(frame.frame_time)}, ${frame.box_count} boxes${frame.verified ? ', verified' : ''}`}>
    <${LazyImg} src=${`api/annotations/${encodeURIComponent(frame.id)}/image`} alt="" class="an-thumb" />
    <span class="an-badges">
      ${frame.verified && html`<span class="badge badge-ok">verified</span>`}
      ${frame.false_positive === true && html`<span class="badge badge-danger">false positive</span>`}
    </span>
    <span class="an-caption">
      <span class="an-title"><strong>${frame.labels.length ? frame.labels.join(', ') : 'no boxes'}</strong>
        <span class="an-count">${frame.box_count}</span></span>
      <span class="muted small">${frame.camera || 'imported'} · ${formatDateTime(frame.frame_time)}</span>
    </span>
  </a>`;
}

function ImportExport({ onImported }) {
  const input = useRef(null);
  const [busy, setBusy] = useState(false);
  const upload = async (file) => {
    if (!file) return;
    setBusy(true);
    try {
      const response = await fetch('api/annotations/import', { method: 'POST', body: file, credentials: 'same-origin',
        headers: { 'Content-Type': 'application/zip', Accept: 'application/json' } });
      const answer = await response.json().catch(() => null);
      if (!response.ok) throw new Error(`${answer?.message || response.statusText} (HTTP ${response.status})`);
      toast(`Imported ${answer.imported} frame${answer.imported === 1 ? '' : 's'} (${answer.format.toUpperCase()}, ${answer.boxes} boxes)`);
      onImported();
    } catch (error) {
      toast(error.message, 'error');
    } finally {
      setBusy(false);
      if (input.current) input.current.value = '';
    }
  };
  return html`<span class="an-files">
    <a class="button" href=${url('api/annotations/export', { format: 'coco' })} download>Export COCO</a>
    <a class="button" href=${url('api/annotations/export', { format: 'yolo' })} download>Export YOLO</a>
    ${isAdmin() && html`<label class=${`button ${busy ? 'an-busy' : ''}`}>${busy ? 'Importing…' : 'Import zip'}
      <input ref=${input} type="file" accept=".zip,application/zip" class="an-file-input" disabled=${busy}
        onChange=${(e) => upload(e.currentTarget.files[0])} /></label>`}
  </span>`;
}

function FrameList({ show }) {
  const { items, total, counts, loading, error, more, reload } = useFrames(show);
  const verified = counts?.verified ?? 0;
  return html`<main class="page an-page">
    <div class="page-head"><h1>Annotate</h1>
      <span class="an-head-end">
        <button class="icon-button" aria-label="Reload" title="Reload" onClick=${reload}><${Icon} name="refresh" /></button>
        <${ImportExport} onImported=${reload} /></span></div>
    <p class="muted an-intro">Frames sent from Explore, Review or a camera's live view, with the detector's boxes as a start.
      Label <strong>every</strong> object with a tight box (the whole object, even where it is hidden; logos on their own),
      then verify: only verified frames tune the model.</p>
    ${counts && html`<p class="an-progress" data-testid="annotate-counts">
      <strong>${verified}</strong> verified · <strong>${counts.unverified}</strong> to annotate</p>`}
    ${counts && html`<${TunePanel} verifiedCount=${verified} />`}
    <div class="chips an-show" role="group" aria-label="Which frames">
      ${SHOW.map(([key, label]) => html`<button class="chip" aria-pressed=${show === key ? 'true' : 'false'}
        onClick=${() => navigate('annotate', [], { show: key }, true)}>${label}</button>`)}
    </div>
    ${error && html`<${ErrorBox} error=${error} onRetry=${reload} />`}
    <div class="an-grid" onKeyDown=${(e) => gridKeys(e, '.an-card')}>
      <${ThumbGrid} items=${items} render=${(frame) => html`<${FrameCard} frame=${frame} show=${show} />`}
        onMore=${more} hasMore=${items.length < total && !error} loading=${loading}
        empty=${show === 'verified' ? 'No verified frames yet.' : show === 'all' ? 'No frames yet: send one from an event in Explore, a review item or a camera.'
          : 'Nothing to annotate. Send frames from an event in Explore, a review item or a camera.'} />
    </div>
  </main>`;
}

export default function AnnotatePage({ route }) {
  const show = route.params.show || 'todo';
  const frameId = route.args[0];
  if (frameId) return html`<${Editor} key=${frameId} frameId=${frameId} show=${show} verified=${verifiedParam(show)} />`;
  return html`<${FrameList} show=${show} />`;
}
