// Recordings: per camera, the day as a 24-hour timeline (recorded spans, motion, event
// markers) with a one-hour detail strip around the playhead; click or drag either to play
// from that moment (HLS of the whole day from /vod/...); previous/next event; select a
// span and export it. Also exports the player, the timeline bar and the media clock that
// Review uses. URL: #/recordings?camera=<name>&day=YYYY-MM-DD&time=<epoch s>.
import { html, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from '../lib/html.js';
import { api, act } from '../lib/api.js';
import { navigate } from '../lib/router.js';
import { useConfig, cameraNames } from '../lib/store.js';
import { isAdmin } from '../lib/session.js';
import { subscribe } from '../lib/ws.js';
import { Dialog, Empty, ErrorBox, Spinner, formatDuration, formatTime } from '../lib/ui.js';

export const title = 'Recordings';

const DAY_S = 86400;
const HOUR_S = 3600;
/** Segments closer than this (s) draw as one span (the server marks a discontinuity beyond 0.5 s). */
const JOIN_S = 1.5;
const DEFAULT_EXPORT_S = 60;

// ---- small shared pieces (Review, Explore and Exports import these) -----------------------

const GLYPHS = {
  play: 'M7 4l13 8-13 8z',
  pause: 'M7 4h4v16H7zM14 4h4v16h-4z',
  prev: 'M18 5l-8 7 8 7M6 5v14',
  next: 'M6 5l8 7-8 7M18 5v14',
  left: 'M15 5l-7 7 7 7',
  right: 'M9 5l7 7-7 7',
  check: 'M4 12l5 5L20 6',
  checks: 'M2 12l5 5L18 6M12 16l1 1L22 8',
  download: 'M12 3v12M7 10l5 5 5-5M4 19h16',
  trash: 'M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13M10 11v6M14 11v6',
  star: 'M12 3l2.7 5.6 6.1.8-4.5 4.2 1.1 6L12 16.8 6.6 19.6l1.1-6L3.2 9.4l6.1-.8z',
  edit: 'M4 20h4L19 9l-4-4L4 16zM13 7l4 4',
  scissors: 'M6 4a3 3 0 1 0 0 6 3 3 0 0 0 0-6zM6 14a3 3 0 1 0 0 6 3 3 0 0 0 0-6zM8.5 8.5L20 20M8.5 15.5L20 4',
  film: 'M4 4h16v16H4zM8 4v16M16 4v16M4 8h4M4 12h4M4 16h4M16 8h4M16 12h4M16 16h4',
  filter: 'M4 5h16l-6 8v6l-4-2v-4z',
  box: 'M4 4h16v16H4z',
  calendar: 'M4 6h16v14H4zM4 10h16M8 3v5M16 3v5',
};

/** A line icon of the page set above (24x24, currentColor). */
export function Glyph({ name, size = 18, title: label }) {
  return html`<svg class="icon" width=${size} height=${size} viewBox="0 0 24 24" fill="none" stroke="currentColor"
    stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden=${label ? undefined : 'true'}
    role=${label ? 'img' : undefined}>${label ? html`<title>${label}</title>` : null}<path d=${GLYPHS[name]} /></svg>`;
}

/** A lazily loaded thumbnail with a placeholder and a "no image" state (the shared
 *  LazyImg's look). An image already in the cache can finish loading before effects run,
 *  so the state starts from the element itself; a new `src` remounts (keyed). */
export function Thumb({ src, alt = '', class: cls = '' }) {
  return html`<${ThumbImage} key=${src} src=${src} alt=${alt} cls=${cls} />`;
}

function ThumbImage({ src, alt, cls }) {
  const ref = useRef(null);
  const [state, setState] = useState('loading');
  useLayoutEffect(() => {
    const img = ref.current;
    if (img?.complete) setState(img.naturalWidth > 0 ? 'loaded' : 'error');
  }, []);
  return html`<span class=${`lazy-img lazy-${state} ${cls}`}>
    ${state === 'error' ? html`<span class="lazy-missing">no image</span>`
      : html`<img ref=${ref} src=${src} alt=${alt} loading="lazy" decoding="async"
          onLoad=${() => setState('loaded')} onError=${() => setState('error')} />`}
  </span>`;
}

/** Load a page stylesheet that another page's components need (Review uses this page's player). */
export function useStyle(page) {
  useEffect(() => {
    if (document.querySelector(`link[data-page-style="${page}"], link[href$="pages/${page}.css"]`)) return;
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = `ui/pages/${page}.css`;
    link.dataset.pageStyle = page;
    document.head.append(link);
  }, [page]);
}

/** Local midnight of the day holding `epoch` and of the next day (DST-safe), as epoch s. */
export function dayBounds(epoch) {
  const d = new Date(epoch * 1000);
  const start = new Date(d.getFullYear(), d.getMonth(), d.getDate());
  const end = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1);
  return [start.getTime() / 1000, end.getTime() / 1000];
}

/** "YYYY-MM-DD" of the local day holding `epoch`. */
export function dayKey(epoch) {
  const d = new Date(epoch * 1000);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** Local midnight (epoch s) of "YYYY-MM-DD", or null when it is not a date. */
export function parseDay(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text || '');
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isNaN(d.getTime()) ? null : d.getTime() / 1000;
}

const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' });
export const formatDay = (epoch) => dayFormat.format(new Date(epoch * 1000));
const clockFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const hhmm = (epoch) => clockFormat.format(new Date(epoch * 1000));

/** The segments an HLS playlist of [start, end) lists (the server's rule), oldest first. */
export function playlistSegments(recordings, start, end) {
  return recordings.filter((r) => r.end_time > start && r.start_time < end)
    .sort((a, b) => a.start_time - b.start_time);
}

/** Wall clock ↔ media time of a /vod playlist: the player's time runs through the listed
 *  segments back to back (gaps in the recordings take no media time). */
export function mediaClock(segments) {
  let offset = 0;
  const items = segments.map((s) => {
    const item = { start: s.start_time, duration: s.duration || (s.end_time - s.start_time), offset };
    offset += item.duration;
    return item;
  });
  return {
    duration: offset,
    empty: items.length === 0,
    toWall(t) {
      if (!items.length) return null;
      let lo = 0; let hi = items.length - 1;
      while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (items[mid].offset <= t) lo = mid; else hi = mid - 1; }
      const item = items[lo];
      return item.start + Math.min(Math.max(t - item.offset, 0), item.duration);
    },
    /** Media time of wall time `wall` (the next recorded moment when it falls in a gap). */
    toMedia(wall) {
      const item = items.find((i) => i.start + i.duration > wall);
      if (!item) return offset;
      return item.offset + Math.max(0, wall - item.start);
    },
  };
}

/** Adjacent segments joined into recorded spans [{start, end}]. */
export function joinSpans(segments) {
  const spans = [];
  for (const s of segments) {
    const last = spans[spans.length - 1];
    if (last && s.start_time - last.end <= JOIN_S) last.end = Math.max(last.end, s.end_time);
    else spans.push({ start: s.start_time, end: s.end_time });
  }
  return spans;
}

/** An HLS <video>: hls.js where the browser has no native HLS (Chromium). `seek` is
 *  {time, n} in media seconds (a new n seeks again); `onTime(mediaSeconds)` as it plays. */
export function HlsPlayer({ src, seek, onTime, onPlaying, label = 'Recording', autoPlay = true }) {
  const ref = useRef(null);
  const [error, setError] = useState(null);
  const pending = useRef(seek);
  useEffect(() => {
    const video = ref.current;
    if (!video || !src) return undefined;
    setError(null);
    let hls = null;
    let gone = false;
    const start = pending.current?.time ?? 0;
    const play = () => { if (autoPlay) video.play().catch(() => {}); };
    const attach = (Hls) => {
      if (gone) return;
      if (!Hls.isSupported()) { native(); return; }
      hls = new Hls({ startPosition: pending.current?.time ?? start, maxBufferLength: 30, backBufferLength: 60, enableWorker: true });
      hls.on(Hls.Events.ERROR, (_event, data) => {
        if (!data.fatal) return;
        if (data.type === Hls.ErrorTypes.MEDIA_ERROR) { hls.recoverMediaError(); return; }
        setError(`The recording could not be played (${data.details}).`);
      });
      hls.on(Hls.Events.MANIFEST_PARSED, play);
      hls.loadSource(src);
      hls.attachMedia(video);
    };
    const native = () => {
      if (!video.canPlayType('application/vnd.apple.mpegurl')) { setError('This browser cannot play HLS video.'); return; }
      video.src = src;
      video.addEventListener('loadedmetadata', () => { video.currentTime = start; play(); }, { once: true });
    };
    // hls.js wherever Media Source Extensions exist (the same player and timing everywhere;
    // loaded only by pages that play); the browser's own HLS only without them (iPhone).
    if (!window.MediaSource && !window.ManagedMediaSource) native();
    else import('hls.js').then(({ default: Hls }) => attach(Hls), (error) => setError(`The player could not load (${error.message}).`));
    return () => {
      gone = true;
      if (hls) hls.destroy();
      video.removeAttribute('src');
      video.load();
    };
  }, [src]);
  useEffect(() => {
    pending.current = seek;
    const video = ref.current;
    if (!video || !seek) return;
    if (video.readyState === 0) { // not loaded yet: seek once it is
      video.addEventListener('loadedmetadata', () => { video.currentTime = pending.current.time; }, { once: true });
      return;
    }
    video.currentTime = seek.time;
    if (autoPlay) video.play().catch(() => {});
  }, [seek?.n]);
  return html`<div class="player">
    <video ref=${ref} class="player-video" controls muted playsinline aria-label=${label}
      onTimeUpdate=${(e) => onTime?.(e.currentTarget.currentTime)} onPlaying=${onPlaying}></video>
    ${error && html`<div class="player-error" role="alert">${error}</div>`}
  </div>`;
}

function niceTicks(from, to, width) {
  const span = to - from;
  const steps = [60, 300, 600, 900, 1800, HOUR_S, 2 * HOUR_S, 3 * HOUR_S, 6 * HOUR_S];
  const wanted = Math.max(2, Math.floor(width / 95));
  const step = steps.find((s) => span / s <= wanted) || 6 * HOUR_S;
  const offset = new Date(from * 1000).getTimezoneOffset() * 60;
  const ticks = [];
  const margin = span * (36 / Math.max(width, 1)); // half a label: none cut at either end
  for (let t = Math.ceil((from - offset) / step) * step + offset; t <= to - margin; t += step) {
    if (t >= from + margin) ticks.push(t);
  }
  return ticks;
}

function motionBins(segments, from, to, bins) {
  const values = new Float64Array(bins);
  const size = (to - from) / bins;
  for (const s of segments) {
    if (s.end_time <= from || s.start_time >= to || !s.motion) continue;
    const bin = Math.min(bins - 1, Math.max(0, Math.floor((s.start_time - from) / size)));
    values[bin] += s.motion / Math.max(s.duration || 1, 1);
  }
  const peak = Math.max(...values, 1e-9);
  return Array.from(values, (v) => v / peak);
}

/** A horizontal timeline of [from, to): recorded spans, motion (bars), event markers, the
 *  playhead, an optional selection. Click or drag to seek (onSeek(wall)); with `selecting`
 *  a drag sets the selection (onSelect([a, b])). Keyboard: ←/→ 10 s, Shift 1 min, PgUp/PgDn 10 min. */
export function TimeBar({ from, to, segments = [], markers = [], value, selection, selecting = false,
  onSeek, onSelect, onMarker, label, compact = false }) {
  const ref = useRef(null);
  const [width, setWidth] = useState(800);
  const [drag, setDrag] = useState(null);
  useEffect(() => {
    const element = ref.current;
    if (!element) return undefined;
    const observer = new ResizeObserver(() => setWidth(element.clientWidth || 800));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  const span = to - from;
  const pct = (t) => `${(((Math.min(Math.max(t, from), to) - from) / span) * 100).toFixed(3)}%`;
  const spans = useMemo(() => joinSpans(segments.filter((s) => s.end_time > from && s.start_time < to)), [segments, from, to]);
  const bins = Math.max(24, Math.min(360, Math.floor(width / 4)));
  const motion = useMemo(() => motionBins(segments, from, to, bins), [segments, from, to, bins]);
  const ticks = niceTicks(from, to, width);
  const timeAt = (clientX) => {
    const box = ref.current.getBoundingClientRect();
    return from + Math.min(Math.max((clientX - box.left) / box.width, 0), 1) * span;
  };
  const down = (e) => {
    if (e.button !== 0 || e.target.closest('.tb-marker')) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    const t = timeAt(e.clientX);
    setDrag({ anchor: t, at: t });
    if (selecting) onSelect?.([t, t]);
  };
  const move = (e) => {
    if (!drag) return;
    const t = timeAt(e.clientX);
    setDrag({ ...drag, at: t });
    if (selecting) onSelect?.([Math.min(drag.anchor, t), Math.max(drag.anchor, t)]);
  };
  const up = (e) => {
    if (!drag) return;
    const t = timeAt(e.clientX);
    setDrag(null);
    if (selecting) {
      const [a, b] = [Math.min(drag.anchor, t), Math.max(drag.anchor, t)];
      onSelect?.(b - a < 2 ? [a, Math.min(a + DEFAULT_EXPORT_S, to)] : [a, b]);
    } else onSeek?.(t);
  };
  const key = (e) => {
    const steps = { ArrowLeft: -10, ArrowRight: 10, PageUp: -600, PageDown: 600 };
    if (!(e.key in steps) && e.key !== 'Home' && e.key !== 'End') return;
    e.preventDefault();
    const base = value ?? from;
    let t = e.key === 'Home' ? from : e.key === 'End' ? to : base + steps[e.key] * (e.shiftKey ? 6 : 1);
    t = Math.min(Math.max(t, from), to);
    onSeek?.(t);
  };
  const head = drag && !selecting ? drag.at : value;
  return html`<div class=${`timebar ${compact ? 'timebar-compact' : ''} ${selecting ? 'timebar-selecting' : ''}`}>
    <div class="tb-track" ref=${ref} role="slider" tabindex="0" aria-label=${label}
      aria-valuemin=${Math.round(from)} aria-valuemax=${Math.round(to)} aria-valuenow=${head == null ? undefined : Math.round(head)}
      aria-valuetext=${head == null ? 'not playing' : formatTime(head)} data-value=${head == null ? undefined : head.toFixed(3)}
      onPointerDown=${down} onPointerMove=${move} onPointerUp=${up} onPointerCancel=${() => setDrag(null)} onKeyDown=${key}>
      <svg class="tb-motion" viewBox=${`0 0 ${bins} 100`} preserveAspectRatio="none" aria-hidden="true">
        ${motion.map((v, i) => (v > 0.02 ? html`<rect x=${i} width="0.8" y=${100 - v * 100} height=${v * 100} />` : null))}
      </svg>
      ${spans.map((s) => html`<span class="tb-span" style=${`left:${pct(s.start)};width:calc(${pct(s.end)} - ${pct(s.start)})`}></span>`)}
      ${selection && html`<span class="tb-selection" style=${`left:${pct(selection[0])};width:calc(${pct(selection[1])} - ${pct(selection[0])})`}></span>`}
      ${markers.filter((m) => m.time >= from && m.time <= to).map((m) => html`<button type="button" tabindex="-1"
          class=${`tb-marker tb-${m.kind || 'event'} ${m.current ? 'tb-current' : ''}`} style=${`left:${pct(m.time)}`}
          title=${m.title} aria-label=${m.title} onClick=${() => (onMarker ? onMarker(m) : onSeek?.(m.time))}></button>`)}
      ${head != null && head >= from && head <= to && html`<span class="tb-head" style=${`left:${pct(head)}`}>
        <span class="tb-head-label">${formatTime(head)}</span></span>`}
    </div>
    <div class="tb-ticks" aria-hidden="true">
      ${ticks.map((t) => html`<span class="tb-tick" style=${`left:${pct(t)}`}>${hhmm(t)}</span>`)}
    </div>
  </div>`;
}

// ---- the page ------------------------------------------------------------------------------

const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** The day's events the page lists and marks; a busier day shows its latest ones (the
 *  previous/next buttons ask the server, so they reach every event). */
const DAY_EVENTS_LIMIT = 2000;

function useDayData(camera, dayStart, dayEnd, refresh) {
  const [state, setState] = useState({ loading: true, segments: [], events: [], error: null });
  useEffect(() => {
    if (!camera) return undefined;
    const controller = new AbortController();
    const options = { signal: controller.signal };
    setState((s) => ({ ...s, loading: true }));
    Promise.all([
      api.get(`api/${encodeURIComponent(camera)}/recordings`, { after: dayStart, before: dayEnd }, options),
      api.get('api/events', { cameras: camera, after: dayStart - 1e-6, before: dayEnd, limit: DAY_EVENTS_LIMIT,
        include_thumbnails: 0, sort: 'date_desc' }, options),
    ]).then(([segments, events]) => !controller.signal.aborted && setState({ loading: false, error: null,
      segments: segments.filter((s) => s.end_time > dayStart && s.start_time < dayEnd), events: events.reverse() }),
    (error) => error.name !== 'AbortError' && setState((s) => ({ ...s, loading: false, error })));
    return () => controller.abort();
  }, [camera, dayStart, dayEnd, refresh]);
  return state;
}

function ExportDialog({ open, camera, selection, onClose }) {
  const [name, setName] = useState('');
  const [playback, setPlayback] = useState('realtime');
  const [busy, setBusy] = useState(false);
  useEffect(() => { if (open) setName(`${camera} ${formatDay(selection[0])} ${formatTime(selection[0])}`); }, [open]);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    const [start, end] = selection.map((t) => Math.round(t * 1000) / 1000);
    const done = await act(() => api.post(`api/export/${encodeURIComponent(camera)}/start/${start}/end/${end}`,
      { name: name.trim() || undefined, playback }), 'Export started; it is listed under Exports.');
    setBusy(false);
    if (done) onClose(true);
  };
  return html`<${Dialog} open=${open} title="Export recording" onClose=${() => onClose(false)}>
    <form class="rec-export-form" onSubmit=${submit}>
      <p class="muted">${`${camera}: ${formatTime(selection[0])} – ${formatTime(selection[1])} (${formatDuration(selection[1] - selection[0])})`}</p>
      <label class="field">Name<input value=${name} maxlength="100" onInput=${(e) => setName(e.currentTarget.value)} /></label>
      <label class="field">Playback<select value=${playback} onChange=${(e) => setPlayback(e.currentTarget.value)}>
        <option value="realtime">Real time (stream copy)</option><option value="timelapse_25x">Timelapse, 25× faster</option></select></label>
      <div class="rec-dialog-actions"><button type="button" class="button" onClick=${() => onClose(false)}>Cancel</button>
        <button class="button button-primary" disabled=${busy}><${Glyph} name="scissors" />Export</button></div>
    </form>
  <//>`;
}

function clockInput(epoch) {
  const d = new Date(epoch * 1000);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

function fromClock(dayStart, text) {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (!m) return null;
  const d = new Date(dayStart * 1000);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate(), Number(m[1]), Number(m[2]), Number(m[3] || 0)).getTime() / 1000;
}

function eventTitle(e) {
  return `${e.label}${e.sub_label ? ` (${e.sub_label})` : ''} at ${formatTime(e.start_time)}`;
}

export default function RecordingsPage({ route }) {
  const { config, error: configError } = useConfig();
  const cameras = cameraNames(config);
  const camera = cameras.includes(route.params.camera) ? route.params.camera : cameras[0];
  const requestedTime = Number(route.params.time) || null;
  const dayStart = parseDay(route.params.day) ?? dayBounds(requestedTime || Date.now() / 1000)[0];
  const dayEnd = dayBounds(dayStart + 3600)[1];
  const [refresh, setRefresh] = useState(0);
  const { loading, segments, events, error } = useDayData(camera, dayStart, dayEnd, refresh);
  const [days, setDays] = useState([]);
  const [wall, setWall] = useState(null);
  const [seek, setSeek] = useState(null);
  const [selecting, setSelecting] = useState(false);
  const [selection, setSelection] = useState(null);
  const [exporting, setExporting] = useState(false);
  const seekCount = useRef(0);

  useEffect(() => {
    if (!camera) return;
    api.get(`api/${encodeURIComponent(camera)}/recordings/summary`, { timezone: browserZone })
      .then((list) => setDays(list.map((d) => d.day)), () => setDays([]));
  }, [camera, refresh]);
  // Today keeps recording: refresh the segments and events every minute while it is shown.
  useEffect(() => {
    if (Date.now() / 1000 >= dayEnd) return undefined;
    const timer = setInterval(() => setRefresh((n) => n + 1), 60000);
    return () => clearInterval(timer);
  }, [dayEnd]);
  useEffect(() => subscribe('events', (message) => {
    if (message?.type === 'end' && message.after?.camera === camera) setRefresh((n) => n + 1);
  }), [camera]);

  // One playlist for the whole day; the clock maps the player's time to the wall clock.
  const playEnd = Math.min(dayEnd, dayStart + DAY_S);
  const listed = useMemo(() => playlistSegments(segments, dayStart, playEnd), [segments, dayStart, playEnd]);
  const clock = useMemo(() => mediaClock(listed), [listed]);
  const [src, setSrc] = useState(null);
  useEffect(() => { setSrc(null); setWall(null); setSelection(null); setSelecting(false); }, [camera, dayStart]);

  const playAt = useCallback((t) => {
    if (clock.empty) return;
    const media = clock.toMedia(t);
    seekCount.current += 1;
    setSeek({ time: media, n: seekCount.current });
    setWall(clock.toWall(media));
    if (!src) setSrc(`vod/${encodeURIComponent(camera)}/start/${dayStart}/end/${playEnd}/index.m3u8`);
  }, [clock, src, camera, dayStart, playEnd]);

  useEffect(() => {
    if (requestedTime && !clock.empty && !src && requestedTime >= dayStart && requestedTime < dayEnd) playAt(requestedTime);
  }, [clock, requestedTime]);

  const go = (params) => navigate('recordings', [], { camera, day: dayKey(dayStart + 3600), ...params }, true);
  const dayIndex = days.indexOf(dayKey(dayStart + 3600));
  const older = days.find((d) => d < dayKey(dayStart + 3600));
  const newer = [...days].reverse().find((d) => d > dayKey(dayStart + 3600));
  const playhead = wall;
  const prevEvent = [...events].reverse().find((e) => e.start_time < (playhead ?? dayEnd) - 2);
  const nextEvent = events.find((e) => e.start_time > (playhead ?? dayStart - 1) + 2);
  const allListed = events.length < DAY_EVENTS_LIMIT;
  // The list may hold only the day's latest events: the server finds the neighbour.
  const jumpTo = async (later) => {
    const from = playhead ?? (later ? dayStart - 1 : dayEnd);
    const range = later ? { after: from + 2, before: dayEnd, sort: 'date_asc' }
      : { after: dayStart - 1e-6, before: from - 2, sort: 'date_desc' };
    const found = await act(() => api.get('api/events', { cameras: camera, limit: 1, include_thumbnails: 0, ...range }));
    if (found?.length) playAt(found[0].start_time - 2);
  };
  const detailFrom = Math.max(dayStart, Math.min((playhead ?? (listed[listed.length - 1]?.end_time ?? dayEnd)) - HOUR_S / 2, dayEnd - HOUR_S));
  const detailTo = Math.min(dayEnd, detailFrom + HOUR_S);
  const markers = events.map((e) => ({ time: e.start_time, title: eventTitle(e), kind: e.label === 'person' ? 'person' : 'event', id: e.id }));
  const recorded = listed.reduce((sum, s) => sum + (s.duration || 0), 0);
  const startSelecting = () => {
    const base = playhead ?? (listed.length ? listed[listed.length - 1].end_time - DEFAULT_EXPORT_S : dayStart);
    setSelection([Math.max(dayStart, base - DEFAULT_EXPORT_S / 2), Math.min(dayEnd, base + DEFAULT_EXPORT_S / 2)]);
    setSelecting(true);
  };
  const editSelection = (index, text) => {
    const t = fromClock(dayStart, text);
    if (t == null) return;
    const next = [...selection];
    next[index] = t;
    if (next[1] > next[0]) setSelection(next);
  };

  if (configError) return html`<main class="page"><${ErrorBox} error=${configError} /></main>`;
  if (!config) return html`<main class="page page-loading"><${Spinner} /></main>`;
  if (!cameras.length) return html`<main class="page"><${Empty}>No cameras are configured.<//></main>`;

  return html`<main class="page rec-page">
    <div class="page-head">
      <h1>Recordings</h1>
      <div class="chips" role="group" aria-label="Camera">
        ${cameras.map((c) => html`<button class="chip" aria-pressed=${c === camera ? 'true' : 'false'}
          onClick=${() => navigate('recordings', [], { camera: c, day: dayKey(dayStart + 3600) }, true)}>${c}</button>`)}
      </div>
    </div>
    <div class="rec-daybar">
      <button class="icon-button" aria-label="Older day with recordings" title="Older day with recordings" disabled=${!older}
        onClick=${() => go({ day: older })}><${Glyph} name="left" /></button>
      <label class="rec-day"><${Glyph} name="calendar" /><span class="rec-sr-only">Day</span>
        <input type="date" value=${dayKey(dayStart + 3600)} max=${dayKey(Date.now() / 1000)}
          onChange=${(e) => e.currentTarget.value && go({ day: e.currentTarget.value })} /></label>
      <button class="icon-button" aria-label="Newer day with recordings" title="Newer day with recordings" disabled=${!newer}
        onClick=${() => go({ day: newer })}><${Glyph} name="right" /></button>
      <span class="muted small rec-dayinfo">${formatDay(dayStart + 3600)} · ${formatDuration(recorded)} recorded · ${allListed ? '' : 'latest '}${events.length} event${events.length === 1 ? '' : 's'}
        ${dayIndex < 0 && days.length ? ' · no recordings this day' : ''}</span>
    </div>
    ${error && html`<${ErrorBox} error=${error} onRetry=${() => setRefresh((n) => n + 1)} />`}
    <div class="rec-layout">
      <section class="rec-main">
        <div class="rec-stage">
          ${src ? html`<${HlsPlayer} src=${src} seek=${seek} label=${`Recording of ${camera}`}
              onTime=${(t) => setWall(clock.toWall(t))} />`
            : html`<div class="rec-placeholder">${loading ? html`<${Spinner} />` : clock.empty
              ? html`<p>No recordings of <strong>${camera}</strong> on ${formatDay(dayStart + 3600)}.</p>`
              : html`<button class="button button-primary rec-play" onClick=${() => playAt(listed[0].start_time)}>
                  <${Glyph} name="play" />Play from ${formatTime(listed[0].start_time)}</button>
                <p class="muted small">or click the timeline to play from any moment</p>`}</div>`}
        </div>
        <div class="rec-controls">
          <button class="button" disabled=${!prevEvent && allListed} onClick=${() => jumpTo(false)}
            title=${prevEvent ? eventTitle(prevEvent) : allListed ? 'No earlier event' : 'Previous event'} aria-label="Previous event"><${Glyph} name="prev" /><span class="rec-label">Previous event</span></button>
          <span class="rec-clock" aria-live="off">${playhead ? formatTime(playhead) : '—'}</span>
          <button class="button" disabled=${!nextEvent && allListed} onClick=${() => jumpTo(true)}
            title=${nextEvent ? eventTitle(nextEvent) : allListed ? 'No later event' : 'Next event'} aria-label="Next event"><span class="rec-label">Next event</span><${Glyph} name="next" /></button>
          ${isAdmin() && (selecting
            ? html`<button class="button" onClick=${() => { setSelecting(false); setSelection(null); }}>Cancel</button>`
            : html`<button class="button rec-export-start" disabled=${clock.empty} onClick=${startSelecting}><${Glyph} name="scissors" />Export…</button>`)}
        </div>
        ${selecting && selection && html`<div class="rec-selection" role="group" aria-label="Span to export">
          <span class="muted small">Drag on a timeline to choose the span, or type it:</span>
          <label>From <input type="time" step="1" value=${clockInput(selection[0])} onChange=${(e) => editSelection(0, e.currentTarget.value)} /></label>
          <label>to <input type="time" step="1" value=${clockInput(selection[1])} onChange=${(e) => editSelection(1, e.currentTarget.value)} /></label>
          <span class="small">${formatDuration(selection[1] - selection[0])}</span>
          <button class="button button-primary" onClick=${() => setExporting(true)}><${Glyph} name="scissors" />Export span</button>
        </div>`}
        <div class="rec-timelines">
          <${TimeBar} from=${detailFrom} to=${detailTo} segments=${segments} markers=${markers} value=${playhead}
            selection=${selection} selecting=${selecting} onSelect=${setSelection} onSeek=${playAt}
            label=${`Hour from ${hhmm(detailFrom)}; arrows move the playhead`} />
          <${TimeBar} from=${dayStart} to=${dayEnd} segments=${segments} markers=${markers} value=${playhead} compact
            selection=${selection} selecting=${selecting} onSelect=${setSelection} onSeek=${playAt}
            label=${`Whole day ${dayKey(dayStart + 3600)}`} />
          <div class="tb-legend small muted" aria-hidden="true"><span class="lg lg-span"></span>recorded
            <span class="lg lg-motion"></span>motion<span class="lg lg-person"></span>person<span class="lg lg-event"></span>other event</div>
        </div>
      </section>
      <aside class="rec-events" aria-label="Events this day">
        <h2>Events <span class="muted small">${events.length}</span></h2>
        ${events.length ? html`<ol class="rec-event-list">
          ${[...events].reverse().map((e) => html`<li key=${e.id}>
            <button class=${`rec-event ${playhead && Math.abs(playhead - e.start_time) < 8 ? 'rec-event-on' : ''}`}
              onClick=${() => playAt(e.start_time - 2)}>
              <img src=${`api/events/${encodeURIComponent(e.id)}/thumbnail.jpg`} alt="" loading="lazy" width="64" height="64" />
              <span><strong>${e.label}</strong>${e.sub_label ? html` <span class="muted">${e.sub_label}</span>` : ''}
                <span class="muted small">${formatTime(e.start_time)} · ${Math.round((e.top_score || 0) * 100)}%</span></span>
            </button></li>`)}</ol>`
          : html`<p class="muted small">${loading ? 'Loading…' : 'No events this day.'}</p>`}
      </aside>
    </div>
    ${selection && html`<${ExportDialog} open=${exporting} camera=${camera} selection=${selection}
      onClose=${(done) => { setExporting(false); if (done) { setSelecting(false); setSelection(null); } }} />`}
  </main>`;
}
