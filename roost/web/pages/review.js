// Review: alerts and detections (Frigate's severities) per camera and day, newest first,
// each a thumbnail that previews the item on hover; mark one or all reviewed; open one to
// play it from the recordings with its timeline beside it. Keys (Frigate's): arrows move,
// `r` marks reviewed, Enter opens, Escape goes back; in the player ↑/↓ step through items.
// URL: #/review?severity=alert|detection&camera=<name>&day=YYYY-MM-DD&item=<id>
import { html, useCallback, useEffect, useMemo, useRef, useState } from '../lib/html.js';
import { api, act } from '../lib/api.js';
import { navigate, href } from '../lib/router.js';
import { useConfig, cameraNames } from '../lib/store.js';
import { subscribe } from '../lib/ws.js';
import { Empty, ErrorBox, Icon, Spinner, Switch, formatDuration, formatTime, toast } from '../lib/ui.js';
import { Glyph, HlsPlayer, Thumb, TimeBar, dayBounds, formatDay, mediaClock, parseDay, playlistSegments, useStyle } from './recordings.js';
import { gridKeys } from './explore.js';
import { SendToAnnotation } from '../lib/annotation.js';

export const title = 'Review';

const PAGE_SIZE = 200;
const DAY_S = 86400;
/** Seconds of recording played before and after an item. */
const PAD_S = 3;
/** Seconds of context the item's timeline shows around it. */
const CONTEXT_S = 90;
const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** The time window of the `day` route parameter: a local day, or the last 24 hours. */
function windowOf(day) {
  const start = parseDay(day);
  if (start == null) return { after: Date.now() / 1000 - DAY_S, before: undefined, live: true };
  return { after: start, before: dayBounds(start + 3600)[1], live: dayBounds(start + 3600)[1] > Date.now() / 1000 };
}

function labelsOf(item) {
  const names = [...(item.data?.objects || []), ...(item.data?.sub_labels || [])];
  return [...new Set(names)];
}

function thumbOf(item) {
  // The review item's own thumbnail (made by the server from its first event, its snapshot or
  // its recording); an item still in progress may have none of those yet: a placeholder.
  if (item.end_time == null) return null;
  return `clips/review/thumb-${encodeURIComponent(item.camera)}-${encodeURIComponent(item.id)}.webp`;
}

// Whether the server renders review previews (another part of Roost adds the route); asked once.
let previewRoute = null;
function reviewPreviewAvailable() {
  previewRoute ??= api.get('api/openapi.json').then((spec) => Object.keys(spec.paths || {})
    .some((p) => /^\/api\/review\/\{[^}]+\}\/preview/.test(p)), () => false);
  return previewRoute;
}

function previewOf(item, useReviewRoute) {
  if (useReviewRoute) return `api/review/${encodeURIComponent(item.id)}/preview?format=gif`;
  const first = item.data?.detections?.[0];
  return first ? `api/events/${encodeURIComponent(first)}/preview.gif` : null;
}

function ReviewCard({ item, onOpen, onReviewed }) {
  const [hover, setHover] = useState(false);
  const [preview, setPreview] = useState(null);
  const timer = useRef(0);
  const enter = () => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      setHover(true);
      reviewPreviewAvailable().then((available) => setPreview(previewOf(item, available)));
    }, 350);
  };
  const leave = () => { clearTimeout(timer.current); setHover(false); };
  useEffect(() => () => clearTimeout(timer.current), []);
  const thumb = thumbOf(item);
  const duration = item.end_time ? formatDuration(item.end_time - item.start_time) : 'in progress';
  return html`<div class=${`rv-card rv-${item.severity} ${item.has_been_reviewed ? 'rv-reviewed' : ''}`}
      onMouseEnter=${enter} onMouseLeave=${leave}>
    <button class="rv-open" data-review-id=${item.id} onClick=${() => onOpen(item)} onFocus=${enter} onBlur=${leave}
      aria-label=${`${item.severity} on ${item.camera} at ${formatTime(item.start_time)}: ${labelsOf(item).join(', ')}${item.has_been_reviewed ? ', reviewed' : ''}`}>
      ${thumb ? html`<${Thumb} src=${thumb} alt="" class="rv-thumb" />` : html`<span class="lazy-img rv-thumb"></span>`}
      ${hover && preview && html`<img class="rv-preview" src=${preview} alt="" onLoad=${(e) => e.currentTarget.classList.add('rv-preview-on')}
        onError=${(e) => e.currentTarget.remove()} />`}
      <span class="rv-overlay">
        <span class="rv-sev">${item.severity === 'alert' ? 'Alert' : 'Detection'}</span>
        ${item.end_time == null && html`<span class="rv-live">● live</span>`}
        ${item.has_been_reviewed && html`<span class="rv-check" title="Reviewed"><${Glyph} name="check" size=${14} /></span>`}
      </span>
      <span class="rv-caption">
        <span class="rv-labels">${labelsOf(item).map((l) => html`<span class="badge badge-object">${l}</span>`)}
          ${(item.data?.zones || []).map((z) => html`<span class="badge">${z}</span>`)}</span>
        <span class="muted small">${item.camera} · ${formatTime(item.start_time)} · ${duration}</span>
      </span>
    </button>
    ${!item.has_been_reviewed && html`<button class="icon-button rv-mark" title="Mark reviewed (r)" aria-label="Mark reviewed"
      onClick=${() => onReviewed([item.id])}><${Glyph} name="check" /></button>`}
  </div>`;
}

/** The open item: its recording (HLS of the item with a few seconds around it) and its
 *  timeline; the day's other items beside it. */
function ReviewPlayer({ item, items, onSelect, onBack, onReviewed }) {
  useStyle('recordings');
  const start = item.start_time - PAD_S;
  const end = (item.end_time ?? Date.now() / 1000) + PAD_S;
  const from = start - CONTEXT_S;
  const to = Math.max(end + CONTEXT_S, from + 300);
  const [segments, setSegments] = useState(null);
  const [wall, setWall] = useState(null);
  const [seek, setSeek] = useState(null);
  const count = useRef(0);
  useEffect(() => {
    setSegments(null);
    setWall(null);
    setSeek(null);
    api.get(`api/${encodeURIComponent(item.camera)}/recordings`, { after: from, before: to })
      .then(setSegments, () => setSegments([]));
    if (!item.has_been_reviewed) onReviewed([item.id], true);
  }, [item.id]);
  const listed = useMemo(() => playlistSegments(segments || [], start, end), [segments, start, end]);
  const clock = useMemo(() => mediaClock(listed), [listed]);
  // Start at the item, not at the first segment's start.
  const initial = useMemo(() => (listed.length ? { time: clock.toMedia(item.start_time - 1), n: 0 } : null), [clock]);
  const src = listed.length ? `vod/${encodeURIComponent(item.camera)}/start/${start.toFixed(3)}/end/${end.toFixed(3)}/index.m3u8` : null;
  const seekTo = (t) => {
    if (t < start || t > end) {
      navigate('recordings', [], { camera: item.camera, time: Math.floor(t) }, false);
      return;
    }
    count.current += 1;
    setSeek({ time: clock.toMedia(t), n: count.current });
  };
  const sameCamera = items.filter((i) => i.camera === item.camera);
  const markers = sameCamera.filter((i) => i.start_time >= from && i.start_time <= to)
    .map((i) => ({ time: i.start_time, kind: i.severity, current: i.id === item.id, title: `${i.severity} at ${formatTime(i.start_time)}`, id: i.id }));
  const index = items.findIndex((i) => i.id === item.id);
  const step = (delta) => {
    const next = items[index + delta];
    if (next) onSelect(next);
  };
  useEffect(() => {
    const key = (e) => {
      if (e.target.closest('input, textarea, select') || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === 'ArrowUp' || e.key === 'k') { e.preventDefault(); step(-1); }
      else if (e.key === 'ArrowDown' || e.key === 'j') { e.preventDefault(); step(1); }
      else if (e.key === 'Escape') onBack();
    };
    window.addEventListener('keydown', key);
    return () => window.removeEventListener('keydown', key);
  }, [item.id, items]);
  const selected = useRef(null);
  useEffect(() => selected.current?.scrollIntoView({ block: 'nearest' }), [item.id]);
  return html`<div class="rv-player">
    <div class="rv-player-main">
      <div class="rv-player-head">
        <button class="button" onClick=${onBack}><${Icon} name="back" size=${18} />All items</button>
        <span class=${`rv-sev-tag rv-${item.severity}`}>${item.severity}</span>
        <strong>${item.camera}</strong><span class="muted">${formatDay(item.start_time)} ${formatTime(item.start_time)}</span>
        <span class="rv-player-labels">${labelsOf(item).map((l) => html`<span class="badge badge-object">${l}</span>`)}</span>
      </div>
      ${segments === null ? html`<div class="rv-stage-empty"><${Spinner} /></div>`
        : src ? html`<${HlsPlayer} key=${item.id} src=${src} seek=${seek || initial} label=${`Review item on ${item.camera}`}
            onTime=${(t) => setWall(clock.toWall(t))} />`
          : html`<div class="rv-stage-empty"><p>No recordings cover this item${item.camera ? ` on ${item.camera}` : ''}.</p>
              ${(item.data?.detections || [])[0] && html`<a class="button" href=${href('explore', [], { event: item.data.detections[0] })}>See its event in Explore</a>`}</div>`}
      <${TimeBar} from=${from} to=${to} segments=${segments || []} markers=${markers} value=${wall}
        selection=${[start, end]} onSeek=${seekTo} onMarker=${(m) => { const next = items.find((i) => i.id === m.id); if (next) onSelect(next); }}
        label=${`Timeline around the item on ${item.camera}`} />
      <div class="rv-player-actions">
        <button class="button" disabled=${index <= 0} onClick=${() => step(-1)}><${Glyph} name="left" />Newer</button>
        <button class="button" disabled=${index >= items.length - 1} onClick=${() => step(1)}>Older<${Glyph} name="right" /></button>
        <a class="button" href=${href('recordings', [], { camera: item.camera, time: Math.floor(item.start_time) - PAD_S })}>Open in Recordings</a>
        <${SendToAnnotation} key=${item.id} review=${item.id} />
        ${item.has_been_reviewed ? html`<button class="button" onClick=${() => onReviewed([item.id], false, false)}>Mark not reviewed</button>`
          : html`<button class="button button-primary" onClick=${() => onReviewed([item.id])}><${Glyph} name="check" />Mark reviewed</button>`}
      </div>
    </div>
    <aside class="rv-side" aria-label="Items of this view">
      <ol class="rv-side-list">
        ${items.map((i) => html`<li key=${i.id}>
          <button ref=${i.id === item.id ? selected : undefined} class=${`rv-side-item rv-${i.severity} ${i.id === item.id ? 'rv-side-on' : ''} ${i.has_been_reviewed ? 'rv-reviewed' : ''}`}
            aria-current=${i.id === item.id ? 'true' : undefined} onClick=${() => onSelect(i)}>
            <span class="rv-side-time">${formatTime(i.start_time)}</span>
            <span class="rv-side-what"><strong>${labelsOf(i).join(', ') || i.severity}</strong><span class="muted small">${i.camera}</span></span>
            ${i.has_been_reviewed && html`<${Glyph} name="check" size=${14} title="Reviewed" />`}
          </button></li>`)}
      </ol>
    </aside>
  </div>`;
}

function useReviewItems(severity, camera, day, refreshKey) {
  const [state, setState] = useState({ items: [], loading: true, done: false, error: null });
  const current = useRef(state);
  current.current = state;
  const generation = useRef(0);
  const span = windowOf(day);
  const load = useCallback(async (cursor) => {
    const mine = generation.current;
    setState((s) => ({ ...s, loading: true }));
    try {
      const page = await api.get('api/review', { severity, cameras: camera || undefined, after: span.after,
        before: cursor ?? span.before, limit: PAGE_SIZE }); // no `reviewed`: every item (Frigate)
      if (mine !== generation.current) return;
      setState((s) => {
        const known = new Set(s.items.map((i) => i.id));
        const items = cursor === undefined ? page : [...s.items, ...page.filter((i) => !known.has(i.id))];
        return { items, loading: false, done: page.length < PAGE_SIZE, error: null };
      });
    } catch (error) {
      if (mine === generation.current) setState((s) => ({ ...s, loading: false, error }));
    }
  }, [severity, camera, day]);
  useEffect(() => {
    generation.current += 1;
    setState({ items: [], loading: true, done: false, error: null });
    load(undefined);
  }, [load, refreshKey]);
  const more = useCallback(() => {
    const s = current.current;
    if (!s.done && !s.loading && s.items.length) load(s.items[s.items.length - 1].start_time);
  }, [load]);
  const update = useCallback((fn) => setState((s) => ({ ...s, items: fn(s.items) })), []);
  return { ...state, more, update, span };
}

export default function ReviewPage({ route }) {
  const { config, error: configError } = useConfig();
  const cameras = cameraNames(config);
  const severity = route.params.severity === 'detection' ? 'detection' : 'alert';
  const camera = cameras.includes(route.params.camera) ? route.params.camera : '';
  const day = parseDay(route.params.day) == null ? '' : route.params.day;
  const itemId = route.params.item || null;
  const [showReviewed, setShowReviewed] = useState(false);
  const [refreshKey, setRefreshKey] = useState(0);
  const [summary, setSummary] = useState(null);
  const { items, loading, done, error, more, update, span } = useReviewItems(severity, camera, day, refreshKey);
  // Items marked reviewed while the page is open stay (dimmed) until the view changes.
  const [keep, setKeep] = useState(() => new Set());
  useEffect(() => setKeep(new Set()), [severity, camera, day, refreshKey]);
  const params = { severity, camera, day };
  const go = (changes, replace = true) => navigate('review', [], { ...params, item: itemId, ...changes }, replace);

  const loadSummary = useCallback(() => api.get('api/review/summary', { timezone: browserZone, cameras: camera || undefined })
    .then(setSummary, () => setSummary(null)), [camera]);
  useEffect(() => { loadSummary(); }, [loadSummary, refreshKey]);

  // Live: new and changed items over /ws (only into views that include "now").
  const viewRef = useRef({});
  viewRef.current = { severity, camera, live: span.live };
  useEffect(() => {
    let timer = 0;
    return subscribe('reviews', (message) => {
      const after = message?.after;
      const view = viewRef.current;
      if (!after?.id) return;
      clearTimeout(timer);
      timer = setTimeout(loadSummary, 1000);
      update((list) => {
        const index = list.findIndex((i) => i.id === after.id);
        if (index >= 0) {
          const next = [...list];
          next[index] = { ...list[index], ...after, data: { ...list[index].data, ...after.data }, has_been_reviewed: list[index].has_been_reviewed };
          return next;
        }
        if (!view.live || after.severity !== view.severity || (view.camera && after.camera !== view.camera)) return list;
        return [{ ...after, has_been_reviewed: false }, ...list];
      });
    });
  }, [update, loadSummary]);

  const markReviewed = useCallback(async (ids, quiet = false, reviewed = true) => {
    const done = await act(() => api.post('api/reviews/viewed', { ids, reviewed }),
      quiet ? undefined : reviewed ? `Marked ${ids.length} item${ids.length === 1 ? '' : 's'} reviewed` : 'Marked not reviewed');
    if (!done) return;
    const marked = new Set(ids);
    update((list) => list.map((i) => (marked.has(i.id) ? { ...i, has_been_reviewed: reviewed } : i)));
    setKeep((k) => new Set([...k, ...ids]));
    loadSummary();
  }, [update, loadSummary]);

  const visible = items.filter((i) => showReviewed || !i.has_been_reviewed || keep.has(i.id));
  const unreviewed = visible.filter((i) => !i.has_been_reviewed);
  const open = items.find((i) => i.id === itemId);
  useEffect(() => {
    if (itemId && !open && !loading) {
      api.get(`api/review/${encodeURIComponent(itemId)}`).then((item) => update((list) => (list.some((i) => i.id === item.id) ? list : [item, ...list])),
        () => { toast('That review item no longer exists', 'error'); go({ item: undefined }); });
    }
  }, [itemId, loading]);

  const gridKey = (e) => {
    if (gridKeys(e, '.rv-open')) return;
    if (e.key === 'r' && !e.ctrlKey && !e.metaKey && !e.altKey) {
      const id = document.activeElement?.dataset?.reviewId;
      const item = id && items.find((i) => i.id === id);
      if (item && !item.has_been_reviewed) { e.preventDefault(); markReviewed([id]); }
    }
  };
  // `r` also works in the player, for the open item.
  useEffect(() => {
    if (!open) return undefined;
    const key = (e) => {
      if (e.key !== 'r' || e.ctrlKey || e.metaKey || e.altKey || e.target.closest('input, textarea, select')) return;
      if (!open.has_been_reviewed) markReviewed([open.id]);
    };
    window.addEventListener('keydown', key);
    return () => window.removeEventListener('keydown', key);
  }, [open?.id, open?.has_been_reviewed]);

  if (configError) return html`<main class="page"><${ErrorBox} error=${configError} /></main>`;
  if (!config) return html`<main class="page page-loading"><${Spinner} /></main>`;
  const counts = (day ? summary?.[day] : summary?.last24Hours) || null;
  const left = (kind) => (counts ? counts[`total_${kind}`] - counts[`reviewed_${kind}`] : null);
  const days = Object.keys(summary || {}).filter((k) => k !== 'last24Hours').sort().reverse();
  const focusAfterBack = () => { const id = itemId; go({ item: undefined }); setTimeout(() => document.querySelector(`[data-review-id="${id}"]`)?.focus(), 50); };

  return html`<main class="page rv-page">
    <div class="page-head">
      <h1>Review</h1>
      <div class="rv-tabs" role="tablist" aria-label="Severity">
        ${['alert', 'detection'].map((kind) => html`<button role="tab" aria-selected=${severity === kind ? 'true' : 'false'}
            class=${`rv-tab rv-tab-${kind}`} onClick=${() => go({ severity: kind, item: undefined })}>
          ${kind === 'alert' ? 'Alerts' : 'Detections'}${left(kind) != null ? html` <span class="rv-count">${left(kind)}</span>` : ''}</button>`)}
      </div>
    </div>
    <div class="rv-toolbar">
      <div class="chips" role="group" aria-label="Camera">
        <button class="chip" aria-pressed=${camera ? 'false' : 'true'} onClick=${() => go({ camera: '', item: undefined })}>All cameras</button>
        ${cameras.map((c) => html`<button class="chip" aria-pressed=${c === camera ? 'true' : 'false'} onClick=${() => go({ camera: c, item: undefined })}>${c}</button>`)}
      </div>
      <select aria-label="Day" value=${day} onChange=${(e) => go({ day: e.currentTarget.value, item: undefined })}>
        <option value="">Last 24 hours</option>
        ${[...new Set([...(day ? [day] : []), ...days])].map((d) => html`<option value=${d}>${formatDay(parseDay(d) + 3600)}${summary?.[d] ? ` · ${summary[d][`total_${severity}`]}` : ''}</option>`)}
      </select>
      <${Switch} checked=${showReviewed} onChange=${setShowReviewed} label="Show reviewed" />
      <button class="button rv-mark-all" disabled=${!unreviewed.length} onClick=${() => markReviewed(unreviewed.map((i) => i.id))}>
        <${Glyph} name="checks" />Mark ${unreviewed.length ? `${unreviewed.length} ` : 'all '}reviewed</button>
    </div>
    ${error && html`<${ErrorBox} error=${error} onRetry=${() => setRefreshKey((n) => n + 1)} />`}
    ${open ? html`<${ReviewPlayer} item=${open} items=${visible.some((i) => i.id === open.id) ? visible : [open, ...visible]}
        onSelect=${(i) => go({ item: i.id })} onBack=${focusAfterBack} onReviewed=${markReviewed} />`
      : html`<div class="rv-grid" onKeyDown=${gridKey}>
        ${visible.length ? html`<div class="thumb-grid">${visible.map((i) => html`<div class="thumb-cell" key=${i.id}>
            <${ReviewCard} item=${i} onOpen=${(x) => go({ item: x.id }, false)} onReviewed=${markReviewed} /></div>`)}</div>`
          : !loading && html`<${Empty}>${items.length ? `Everything here is reviewed. ` : `No ${severity === 'alert' ? 'alerts' : 'detections'} `}${!items.length ? (day ? `on ${formatDay(parseDay(day) + 3600)}` : 'in the last 24 hours') : ''}${camera ? ` for ${camera}` : ''}.
              ${items.length > 0 && html`<button class="button" onClick=${() => setShowReviewed(true)}>Show reviewed</button>`}<//>`}
        ${!done && !error && html`<${MoreSentinel} onMore=${more} loading=${loading} />`}
        <p class="muted small rv-keys">Keys: arrows move · <kbd>r</kbd> marks reviewed · <kbd>Enter</kbd> plays · <kbd>Esc</kbd> back · newest first</p>
      </div>`}
  </main>`;
}

function MoreSentinel({ onMore, loading }) {
  const ref = useRef(null);
  useEffect(() => {
    if (!ref.current) return undefined;
    const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && onMore(), { rootMargin: '600px' });
    observer.observe(ref.current);
    return () => observer.disconnect();
  }, [onMore]);
  return html`<div ref=${ref} class="grid-sentinel">${loading ? html`<${Spinner} />` : ''}</div>`;
}
