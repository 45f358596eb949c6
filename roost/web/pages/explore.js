// Explore: tracked objects (events) with Frigate's filters, newest first, as a grid of lazy
// thumbnails paged by a `before` cursor (a page at a time as the grid scrolls, never the
// whole table); new and ending events arrive over /ws without a reload. The detail panel
// shows the snapshot (box toggle), the clip, the object's life and the actions.
// URL: #/explore?camera=&label=&sub_label=&zone=&after=YYYY-MM-DD&before=YYYY-MM-DD&min_score=&has_clip=&retained=1&event=<id>
import { html, useCallback, useEffect, useMemo, useRef, useState } from '../lib/html.js';
import { api, act } from '../lib/api.js';
import { navigate, href } from '../lib/router.js';
import { useConfig, cameraNames } from '../lib/store.js';
import { isAdmin } from '../lib/session.js';
import { subscribe } from '../lib/ws.js';
import { Dialog, ErrorBox, Icon, Spinner, Switch, ThumbGrid, formatDateTime, formatDuration, formatTime, timeAgo } from '../lib/ui.js';
import { Glyph, HlsPlayer, Thumb, dayKey, parseDay, useStyle } from './recordings.js';
import { SendToAnnotation } from '../lib/annotation.js';

export const title = 'Explore';

const PAGE_SIZE = 60;
/** How far past the oldest shown start time the next page asks from (see `more`). */
const CURSOR_OVERLAP_S = 1e-6;
const FILTER_KEYS = ['camera', 'label', 'sub_label', 'zone', 'after', 'before', 'min_score', 'has_clip', 'retained'];
const SCORES = [['', 'Any score'], ['0.5', '≥ 50 %'], ['0.7', '≥ 70 %'], ['0.8', '≥ 80 %'], ['0.9', '≥ 90 %']];
const pct = (v) => (v == null ? '—' : `${Math.round(v * 100)} %`);

/** The route's filters as /api/events parameters. */
function queryOf(filters) {
  const after = parseDay(filters.after);
  return {
    cameras: filters.camera, labels: filters.label, sub_labels: filters.sub_label, zones: filters.zone,
    after: after ?? undefined,
    min_score: filters.min_score, has_clip: filters.has_clip === '1' ? 1 : filters.has_clip === '0' ? 0 : undefined,
    favorites: filters.retained === '1' ? 1 : undefined,
  };
}

/** End of the local day "YYYY-MM-DD" (its next midnight), epoch s. */
function dayEndOf(text) {
  const start = parseDay(text);
  if (start == null) return undefined;
  const d = new Date(start * 1000);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime() / 1000;
}

/** Whether an event (HTTP JSON shape) passes the filters (for events pushed over /ws). */
function matches(event, filters) {
  const query = queryOf(filters);
  const end = dayEndOf(filters.before);
  return (!filters.camera || event.camera === filters.camera)
    && (!filters.label || event.label === filters.label)
    && (!filters.sub_label || event.sub_label === filters.sub_label)
    && (!filters.zone || (event.zones || []).includes(filters.zone))
    && (query.after == null || event.start_time > query.after)
    && (end == null || event.start_time < end)
    && (!filters.min_score || (event.top_score ?? 0) >= Number(filters.min_score))
    && (filters.has_clip !== '1' || event.has_clip) && (filters.has_clip !== '0' || !event.has_clip)
    && (filters.retained !== '1' || event.retain_indefinitely);
}

/** An `events` feed object (MQTT shape) as the HTTP event JSON the grid draws. */
function fromFeed(after) {
  return {
    id: after.id, camera: after.camera, label: after.label, sub_label: after.sub_label ? after.sub_label[0] : null,
    start_time: after.start_time, end_time: after.end_time, top_score: after.top_score, score: after.score,
    has_clip: after.has_clip, has_snapshot: after.has_snapshot, retain_indefinitely: false,
    zones: after.entered_zones || [], box: after.box, region: after.region, area: after.area, ratio: after.ratio,
    data: { top_score: after.top_score, score: after.score, attributes: Object.entries(after.attributes || {})
      .map(([label, score]) => ({ label, score })), sub_label_score: after.sub_label ? after.sub_label[1] : undefined },
    fromFeed: true,
    viaFeed: true,
  };
}

function thumbSrc(event) {
  // One event's JSON carries its thumbnail (null: none yet, so no request); list pages
  // leave it out and the grid loads thumbnail.jpg lazily.
  if ('thumbnail' in event) return event.thumbnail ? `data:image/jpeg;base64,${event.thumbnail}` : null;
  if (event.fromFeed) return null; // not stored yet: a placeholder, no request
  if (!event.has_snapshot && event.end_time == null) return null; // being rendered: placeholder until the update
  return `api/events/${encodeURIComponent(event.id)}/thumbnail.jpg`;
}

/** Cursor-paged events: `items`, `more()` loads the next page before the oldest loaded. */
function useEventPages(filters) {
  const [state, setState] = useState({ items: [], loading: true, done: false, error: null });
  const busy = useRef(false);
  const key = JSON.stringify(filters);
  const generation = useRef(0);
  const load = useCallback(async (cursor) => {
    if (busy.current && cursor !== undefined) return;
    busy.current = true;
    const mine = generation.current;
    const query = queryOf(filters);
    const before = cursor ?? dayEndOf(filters.before);
    setState((s) => ({ ...s, loading: true }));
    try {
      const page = await api.get('api/events', { ...query, before, limit: PAGE_SIZE, include_thumbnails: 0 });
      if (mine !== generation.current) return;
      setState((s) => {
        const known = new Set(s.items.map((e) => e.id));
        const fresh = page.filter((e) => !known.has(e.id));
        const items = cursor === undefined ? page : [...s.items, ...fresh];
        return { items, loading: false, done: page.length < PAGE_SIZE || (cursor !== undefined && !fresh.length), error: null };
      });
    } catch (error) {
      if (mine === generation.current) setState((s) => ({ ...s, loading: false, error }));
    } finally {
      if (mine === generation.current) busy.current = false;
    }
  }, [key]);
  useEffect(() => {
    generation.current += 1;
    busy.current = false;
    setState({ items: [], loading: true, done: false, error: null });
    load(undefined);
  }, [key]);
  const current = useRef(state);
  current.current = state;
  const more = useCallback(() => {
    const s = current.current;
    // `before` is exclusive and objects seen in the same frame share a start time, so ask
    // from just after the oldest shown: its same-time neighbours come again and are dropped.
    if (!s.done && !s.loading && s.items.length) load(s.items[s.items.length - 1].start_time + CURSOR_OVERLAP_S);
  }, [load]);
  const update = useCallback((fn) => setState((s) => ({ ...s, items: fn(s.items) })), []);
  return { ...state, more, update, reload: () => load(undefined) };
}

function EventCard({ event, onOpen }) {
  const src = thumbSrc(event);
  const live = event.end_time == null;
  return html`<button class="ex-card" data-event-id=${event.id} data-via-feed=${event.viaFeed ? 'true' : undefined} onClick=${() => onOpen(event)}
      aria-label=${`${event.label}${event.sub_label ? ` ${event.sub_label}` : ''} on ${event.camera} at ${formatDateTime(event.start_time)}`}>
    ${src ? html`<${Thumb} src=${src} alt="" class="ex-thumb" />`
      : html`<span class="lazy-img ex-thumb ex-thumb-pending"><span>${event.label}</span></span>`}
    <span class="ex-badges">
      ${live && html`<span class="badge badge-danger ex-live">● live</span>`}
      ${event.has_clip && html`<span class="badge" title="Has a clip"><${Glyph} name="film" size=${12} />clip</span>`}
      ${event.retain_indefinitely && html`<span class="badge badge-object" title="Retained"><${Glyph} name="star" size=${12} /></span>`}
    </span>
    <span class="ex-caption">
      <span class="ex-title"><span class="ex-name"><strong>${event.label}</strong>${event.sub_label ? html` · ${event.sub_label}` : ''}</span>
        <span class="ex-score">${pct(event.top_score)}</span></span>
      <span class="muted small">${event.camera} · ${timeAgo(event.start_time)}</span>
    </span>
  </button>`;
}

/** No clip file (the event is still going, or its clip was not kept): play what the
 *  recordings hold of it (the /vod event playlist), when they hold anything. */
function RecordedSpan({ event }) {
  const [recorded, setRecorded] = useState(null);
  const ended = event.end_time != null;
  useEffect(() => {
    setRecorded(null);
    const end = (event.end_time ?? Date.now() / 1000) + 5;
    api.get(`api/${encodeURIComponent(event.camera)}/recordings`, { after: event.start_time - 5, before: end })
      .then((rows) => setRecorded(rows.length > 0), () => setRecorded(false));
  }, [event.id, ended]);
  if (recorded === null) return html`<${Spinner} />`;
  if (!recorded) {
    return html`<p class="ex-noclip">${ended ? 'No clip: recording was off or did not cover this event.'
      : 'Nothing of this event is recorded yet; its clip is cut when it ends.'}</p>`;
  }
  return html`<div class="ex-vod"><${HlsPlayer} src=${`vod/event/${encodeURIComponent(event.id)}/index.m3u8`}
    label=${ended ? 'Event from the recordings' : 'Event so far, from the recordings'} /></div>`;
}

function Fact({ name, children }) {
  return html`<div class="ex-fact"><dt>${name}</dt><dd>${children}</dd></div>`;
}

function SubLabelEditor({ event, onSaved }) {
  const [value, setValue] = useState(event.sub_label || '');
  useEffect(() => setValue(event.sub_label || ''), [event.id, event.sub_label]);
  const save = async (e) => {
    e.preventDefault();
    const name = value.trim();
    const done = await act(() => api.post(`api/events/${encodeURIComponent(event.id)}/sub_label`, { subLabel: name }),
      name ? `Sub label set to "${name}"` : 'Sub label cleared');
    if (done) onSaved({ sub_label: name || null, data: { ...event.data, sub_label_score: undefined } });
  };
  return html`<form class="ex-sublabel" onSubmit=${save}>
    <label class="field">Sub label<input value=${value} maxlength="100" placeholder="e.g. a name or a plate"
      onInput=${(e) => setValue(e.currentTarget.value)} /></label>
    <button class="button" disabled=${value.trim() === (event.sub_label || '')}>Save</button>
  </form>`;
}

function EventDetail({ event, onChange, onDeleted, onClose }) {
  const [tab, setTab] = useState(event.has_snapshot ? 'snapshot' : 'clip');
  const [box, setBox] = useState(true);
  const [confirming, setConfirming] = useState(false);
  const id = encodeURIComponent(event.id);
  const ended = event.end_time != null;
  const admin = isAdmin();
  useEffect(() => { setTab(event.has_snapshot ? 'snapshot' : 'clip'); setConfirming(false); }, [event.id]);
  const retain = async (on) => {
    const done = await act(() => (on ? api.post(`api/events/${id}/retain`) : api.del(`api/events/${id}/retain`)),
      on ? 'Retained: kept past retention' : 'No longer retained');
    if (done) onChange({ retain_indefinitely: on });
  };
  const remove = async () => {
    const done = await act(() => api.del(`api/events/${id}`), 'Event deleted');
    if (done) onDeleted(event.id);
  };
  const attributes = event.data?.attributes || [];
  const subScore = event.data?.sub_label_score;
  const clip = ended && event.has_clip
    ? html`<video class="ex-video" src=${`api/events/${id}/clip.mp4`} controls autoplay muted playsinline aria-label="Event clip"></video>`
    : html`<${RecordedSpan} event=${event} />`;
  return html`<div class="ex-detail">
    <div class="ex-media">
      <div class="ex-tabs" role="tablist">
        <button role="tab" class="chip" aria-selected=${tab === 'snapshot'} aria-pressed=${tab === 'snapshot' ? 'true' : 'false'}
          disabled=${!event.has_snapshot} onClick=${() => setTab('snapshot')}>Snapshot</button>
        <button role="tab" class="chip" aria-selected=${tab === 'clip'} aria-pressed=${tab === 'clip' ? 'true' : 'false'}
          onClick=${() => setTab('clip')}>Clip</button>
        ${tab === 'snapshot' && html`<span class="ex-box-toggle"><${Switch} checked=${box} onChange=${setBox} label="Bounding box" /></span>`}
      </div>
      <div class="ex-stage">
        ${tab === 'snapshot' ? (event.has_snapshot
          ? html`<img class="ex-snapshot" src=${`api/events/${id}/snapshot.jpg?bbox=${box ? 1 : 0}`} alt=${`Snapshot of the ${event.label}`} />`
          : html`<p class="ex-noclip">No snapshot was saved for this event.</p>`) : clip}
      </div>
    </div>
    <div class="ex-info">
      <dl class="ex-facts">
        <${Fact} name="Camera">${event.camera}<//>
        <${Fact} name="Started">${formatDateTime(event.start_time)}<//>
        <${Fact} name="Duration">${ended ? formatDuration(event.end_time - event.start_time) : html`<span class="badge badge-danger">in progress</span>`}<//>
        <${Fact} name="Top score">${pct(event.top_score)}<//>
        ${event.area ? html`<${Fact} name="Size">${event.area} px² · ratio ${Number(event.ratio || 0).toFixed(2)}<//>` : ''}
      </dl>
      <section class="ex-life" aria-label="The object's life">
        <h3>Life of this ${event.label}</h3>
        <ol class="ex-steps">
          <li><span class="ex-dot"></span>Seen at ${formatTime(event.start_time)}, score ${pct(event.data?.score ?? event.score)}</li>
          ${(event.zones || []).map((zone, i) => html`<li><span class="ex-dot ex-dot-zone"></span>${i === 0 ? 'Entered' : 'Then entered'} <strong>${zone}</strong></li>`)}
          ${event.sub_label && html`<li><span class="ex-dot ex-dot-sub"></span>Recognised as <strong>${event.sub_label}</strong>${subScore != null ? ` (${pct(subScore)})` : ''}</li>`}
          ${attributes.map((a) => html`<li><span class="ex-dot ex-dot-attr"></span>Classified <strong>${a.label}</strong> (${pct(a.score)})</li>`)}
          <li><span class="ex-dot"></span>${ended ? `Gone at ${formatTime(event.end_time)}` : 'Still tracked'}</li>
        </ol>
      </section>
      ${admin && html`<${SubLabelEditor} event=${event} onSaved=${onChange} />`}
      ${(event.has_snapshot || event.has_clip) && html`<${SendToAnnotation} key=${event.id} event=${event.id} label=${event.label} />`}
      <div class="ex-actions">
        ${admin && html`<${Switch} checked=${Boolean(event.retain_indefinitely)} onChange=${retain} label="Retain" hint="Keep past retention" />`}
        ${ended && event.has_clip && html`<a class="button" href=${`api/events/${id}/clip.mp4?download=true`} download><${Glyph} name="download" />Clip</a>`}
        ${event.has_snapshot && html`<a class="button" href=${`api/events/${id}/snapshot.jpg`} download=${`${event.camera}-${event.id}.jpg`}><${Glyph} name="download" />Snapshot</a>`}
        <a class="button" href=${href('recordings', [], { camera: event.camera, day: dayKey(event.start_time), time: Math.floor(event.start_time) - 3 })}
          onClick=${onClose}>In recordings</a>
        ${admin && (confirming
          ? html`<span class="ex-confirm">Delete for good? <button class="button button-danger" onClick=${remove}>Delete</button>
              <button class="button" onClick=${() => setConfirming(false)}>Keep</button></span>`
          : html`<button class="button button-danger" onClick=${() => setConfirming(true)}><${Glyph} name="trash" />Delete</button>`)}
      </div>
    </div>
  </div>`;
}

function Filters({ filters, config, set, count, loading }) {
  const [open, setOpen] = useState(false);
  const [subLabels, setSubLabels] = useState(null);
  const cameras = cameraNames(config);
  const labels = [...new Set([...(config.objects?.track || []),
    ...Object.values(config.cameras || {}).flatMap((c) => c.objects?.track || [])])].sort();
  const zones = [...new Set(Object.entries(config.cameras || {})
    .filter(([name]) => !filters.camera || name === filters.camera)
    .flatMap(([, c]) => Object.keys(c.zones || {})))].sort();
  const loadSubLabels = () => {
    if (subLabels) return;
    setSubLabels([]);
    api.get('api/events/summary').then((rows) => setSubLabels([...new Set(rows.map((r) => r.sub_label).filter(Boolean))].sort()),
      () => setSubLabels([]));
  };
  const active = FILTER_KEYS.filter((k) => filters[k]).length;
  const select = (key, options, all) => html`<select aria-label=${all} value=${filters[key] || ''}
      onChange=${(e) => set({ [key]: e.currentTarget.value })}>
    <option value="">${all}</option>${options.map((o) => html`<option value=${o}>${o}</option>`)}</select>`;
  return html`<div class="ex-filterbar">
    <button class="button ex-filter-toggle" aria-expanded=${open ? 'true' : 'false'} onClick=${() => setOpen(!open)}>
      <${Glyph} name="filter" />Filters${active ? ` (${active})` : ''}</button>
    <div class=${`ex-filters ${open ? 'ex-filters-open' : ''}`} role="group" aria-label="Filters">
      ${select('camera', cameras, 'All cameras')}
      ${select('label', labels, 'All labels')}
      <input class="ex-sub" list="ex-sub-labels" aria-label="Sub label" placeholder="Sub label" value=${filters.sub_label || ''}
        onFocus=${loadSubLabels} onChange=${(e) => set({ sub_label: e.currentTarget.value.trim() })} />
      <datalist id="ex-sub-labels">${(subLabels || []).map((s) => html`<option value=${s} />`)}</datalist>
      ${select('zone', zones, 'All zones')}
      <label class="ex-date">From<input type="date" value=${filters.after || ''} max=${filters.before || undefined}
        onChange=${(e) => set({ after: e.currentTarget.value })} /></label>
      <label class="ex-date">To<input type="date" value=${filters.before || ''} min=${filters.after || undefined}
        onChange=${(e) => set({ before: e.currentTarget.value })} /></label>
      <select aria-label="Minimum score" value=${filters.min_score || ''} onChange=${(e) => set({ min_score: e.currentTarget.value })}>
        ${SCORES.map(([v, t]) => html`<option value=${v}>${t}</option>`)}</select>
      <select aria-label="Clip" value=${filters.has_clip || ''} onChange=${(e) => set({ has_clip: e.currentTarget.value })}>
        <option value="">With or without clip</option><option value="1">With a clip</option><option value="0">Without a clip</option></select>
      <button class="chip" aria-pressed=${filters.retained === '1' ? 'true' : 'false'}
        onClick=${() => set({ retained: filters.retained === '1' ? '' : '1' })}><${Glyph} name="star" size=${14} /> Retained</button>
      ${active > 0 && html`<button class="button" onClick=${() => set(Object.fromEntries(FILTER_KEYS.map((k) => [k, ''])))}>Clear</button>`}
    </div>
    <span class="muted small ex-count" aria-live="polite">${loading && !count ? 'Loading…' : `${count}${count ? ' shown' : ''}`}</span>
  </div>`;
}

/** Arrow keys move focus between the grid's cards (row by row as laid out). */
export function gridKeys(e, selector) {
  const keys = ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown'];
  if (!keys.includes(e.key)) return false;
  const cards = [...e.currentTarget.querySelectorAll(selector)];
  const index = cards.indexOf(document.activeElement);
  if (index < 0) return false;
  const top = cards[index].offsetTop;
  const perRow = Math.max(1, cards.filter((c) => c.offsetTop === top).length);
  const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -perRow, ArrowDown: perRow }[e.key];
  const next = cards[Math.min(Math.max(index + step, 0), cards.length - 1)];
  e.preventDefault();
  next.focus();
  next.scrollIntoView({ block: 'nearest' });
  return true;
}

export default function ExplorePage({ route }) {
  useStyle('recordings'); // the player's styles
  const { config, error: configError } = useConfig();
  const filters = useMemo(() => Object.fromEntries(FILTER_KEYS.map((k) => [k, route.params[k] || ''])), [route.params]);
  const { items, loading, done, error, more, update, reload } = useEventPages(filters);
  const [selected, setSelected] = useState(null);
  const filtersRef = useRef(filters);
  filtersRef.current = filters;
  const openId = route.params.event || null;

  const set = (changes) => navigate('explore', [], { ...filters, ...changes, event: undefined }, true);
  const open = (event) => { setSelected(event); navigate('explore', [], { ...filters, event: event.id }, true); };
  const close = () => { setSelected(null); navigate('explore', [], filters, true); };
  useEffect(() => {
    if (!openId) { setSelected(null); return; }
    if (selected?.id === openId) return;
    const known = items.find((e) => e.id === openId);
    if (known) setSelected(known);
    else api.get(`api/events/${encodeURIComponent(openId)}`).then(setSelected, () => close());
  }, [openId]);

  // Fresh JSON (thumbnail included) for events the feed announced.
  const refresh = useCallback((id) => api.get(`api/events/${encodeURIComponent(id)}`).then((fresh) => {
    update((list) => list.map((e) => (e.id === id ? { ...fresh, viaFeed: e.viaFeed } : e)));
    setSelected((s) => (s && s.id === id ? fresh : s));
  }, () => {}), [update]);
  useEffect(() => subscribe('events', (message) => {
    const after = message?.after;
    if (!after?.id) return;
    const event = fromFeed(after);
    if (message.type === 'new') {
      if (after.false_positive || !matches(event, filtersRef.current) || filtersRef.current.before) return;
      update((list) => (list.some((e) => e.id === event.id) ? list : [event, ...list]));
      setTimeout(() => refresh(event.id), 1500);
    } else {
      update((list) => list.map((e) => (e.id === event.id
        ? { ...e, end_time: event.end_time, top_score: event.top_score, zones: event.zones.length ? event.zones : e.zones,
          sub_label: event.sub_label ?? e.sub_label, has_clip: e.has_clip || event.has_clip } : e)));
      if (message.type === 'end') setTimeout(() => refresh(event.id), 1500);
    }
  }), [update, refresh]);

  if (configError) return html`<main class="page"><${ErrorBox} error=${configError} /></main>`;
  if (!config) return html`<main class="page page-loading"><${Spinner} /></main>`;
  const detail = selected && (items.find((e) => e.id === selected.id) || selected);
  return html`<main class="page ex-page">
    <div class="page-head"><h1>Explore</h1>
      <button class="icon-button" aria-label="Reload" title="Reload" onClick=${reload}><${Icon} name="refresh" /></button></div>
    <${Filters} filters=${filters} config=${config} set=${set} count=${items.length} loading=${loading} />
    ${error && html`<${ErrorBox} error=${error} onRetry=${reload} />`}
    <div class="ex-grid" onKeyDown=${(e) => gridKeys(e, '.ex-card')}>
      <${ThumbGrid} items=${items} render=${(event) => html`<${EventCard} event=${event} onOpen=${open} />`}
        onMore=${more} hasMore=${!done && !error} loading=${loading}
        empty=${FILTER_KEYS.some((k) => filters[k]) ? 'No events match these filters.' : 'No events yet. They appear here as cameras see objects.'} />
    </div>
    ${done && items.length > 0 && html`<p class="muted small ex-end">That is all: ${items.length} event${items.length === 1 ? '' : 's'}.</p>`}
    <${Dialog} wide open=${Boolean(detail)} onClose=${close}
      title=${detail ? `${detail.label}${detail.sub_label ? ` · ${detail.sub_label}` : ''} on ${detail.camera}` : ''}>
      ${detail && html`<${EventDetail} event=${detail} onClose=${close}
        onChange=${(changes) => { update((list) => list.map((e) => (e.id === detail.id ? { ...e, ...changes } : e))); setSelected({ ...detail, ...changes }); }}
        onDeleted=${(id) => { update((list) => list.filter((e) => e.id !== id)); close(); }} />`}
    <//>
  </main>`;
}
