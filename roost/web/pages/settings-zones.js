// Settings → Masks & zones: polygons drawn on the camera's current picture. Click the
// picture to add a point to the selected shape (into its nearest edge once it has three),
// drag a point to move it, double-click a point (or select it and press Delete) to remove
// it. Zones get a name, objects, inertia, loitering time and per-label filters; object masks
// apply to every label or to one. Saved as relative 0-1 coordinates (as Frigate's UI writes)
// through PUT /api/config/set; the running camera takes them without a restart.
import { html, useEffect, useMemo, useRef, useState } from '../lib/html.js';
import { LiveView } from '../lib/live-view.js';
import { Card, ErrorBox, Icon, Spinner, toast } from '../lib/ui.js';
import { CameraPicker, SaveNotice, coordinateText, pickCamera, saveConfig, toRelative, useFreshConfig } from './settings-common.js';

const KINDS = { zone: 'Zone', motion: 'Motion mask', object: 'Object mask' };
const ZONE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const FILTER_KEYS = [['min_area', 'Min area (px)'], ['max_area', 'Max area (px)'], ['threshold', 'Score threshold']];
let nextId = 1;

function shapesOf(camera) {
  const { width, height } = camera.detect;
  const rel = (points) => toRelative(points, width, height);
  const shapes = [];
  for (const [name, zone] of Object.entries(camera.zones || {})) {
    const filters = {};
    for (const [label, f] of Object.entries(zone.filters || {})) {
      filters[label] = { min_area: f.min_area || '', max_area: f.max_area >= 24000000 ? '' : f.max_area, threshold: f.threshold };
    }
    shapes.push({ id: nextId++, kind: 'zone', name, original: name, points: rel(zone.coordinates), objects: zone.objects || [],
      inertia: zone.inertia, loitering_time: zone.loitering_time, filters });
  }
  (camera.motion?.mask || []).forEach((points) => shapes.push({ id: nextId++, kind: 'motion', points: rel(points) }));
  (camera.objects?.mask || []).forEach((points) => shapes.push({ id: nextId++, kind: 'object', label: '', points: rel(points) }));
  for (const [label, f] of Object.entries(camera.objects?.filters || {})) {
    (f.mask || []).forEach((points) => shapes.push({ id: nextId++, kind: 'object', label, points: rel(points) }));
  }
  return shapes;
}

/** The config change that makes the camera's masks and zones what `shapes` say. */
export function changeOf(camera, shapes) {
  const zones = {};
  for (const name of Object.keys(camera.zones || {})) zones[name] = null;
  for (const s of shapes.filter((x) => x.kind === 'zone')) {
    const filters = {};
    for (const [label, f] of Object.entries(s.filters || {})) {
      const values = Object.fromEntries(FILTER_KEYS.map(([k]) => [k, f[k] === '' || f[k] === undefined ? null : Number(f[k])]));
      filters[label] = Object.values(values).some((v) => v !== null) ? values : null;
    }
    zones[s.name] = { coordinates: coordinateText(s.points), objects: s.objects.length ? s.objects : null,
      inertia: Number(s.inertia) || 3, loitering_time: Number(s.loitering_time) || 0,
      filters: Object.keys(filters).length ? filters : null };
  }
  const masks = (kind, label) => shapes.filter((s) => s.kind === kind && (label === undefined || s.label === label)).map((s) => coordinateText(s.points));
  const labelFilters = {};
  const labels = new Set([...Object.keys(camera.objects?.filters || {}).filter((l) => camera.objects.filters[l].mask?.length),
    ...shapes.filter((s) => s.kind === 'object' && s.label).map((s) => s.label)]);
  for (const label of labels) labelFilters[label] = { mask: masks('object', label) };
  const objects = { mask: masks('object', '') };
  if (labels.size) objects.filters = labelFilters;
  return { zones, motion: { mask: masks('motion') }, objects, mask: null };
}

function problemsOf(shapes, cameraNames) {
  const problems = [];
  const names = new Set();
  for (const s of shapes) {
    const what = s.kind === 'zone' ? `zone "${s.name}"` : KINDS[s.kind].toLowerCase();
    if (s.points.length < 3) problems.push(`${what} needs at least 3 points`);
    if (s.kind !== 'zone') continue;
    if (!ZONE_NAME.test(s.name)) problems.push(`zone name "${s.name}": use letters, digits, "_" or "-"`);
    if (names.has(s.name)) problems.push(`two zones are named "${s.name}"`);
    if (cameraNames.includes(s.name)) problems.push(`zone "${s.name}" has a camera's name`);
    names.add(s.name);
  }
  return problems;
}

/** Points this close to the frame's edge (relative) go onto it: masks usually run to the edge. */
const EDGE_SNAP = 0.01;
const snap = (v) => (v < EDGE_SNAP ? 0 : v > 1 - EDGE_SNAP ? 1 : v);

function distanceToSegment([px, py], [ax, ay], [bx, by]) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = dx || dy ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy))) : 0;
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
}

/** Where a new point goes: at the end while drawing, then into the nearest edge. */
function insertPoint(points, point, aspect) {
  if (points.length < 3) return [...points, point];
  const scaled = ([x, y]) => [x * aspect, y];
  let best = 0;
  let bestDistance = Infinity;
  points.forEach((a, i) => {
    const d = distanceToSegment(scaled(point), scaled(a), scaled(points[(i + 1) % points.length]));
    if (d < bestDistance) { bestDistance = d; best = i; }
  });
  return [...points.slice(0, best + 1), point, ...points.slice(best + 1)];
}

function Stage({ camera, name, shapes, selected, point, onAdd, onMove, onPoint, onRemovePoint }) {
  const svg = useRef(null);
  const drag = useRef(null);
  const { width, height } = camera.detect;
  const radius = Math.max(width, height) * 0.009;
  const toRel = (event) => {
    const box = svg.current.getBoundingClientRect();
    return [snap((event.clientX - box.left) / box.width), snap((event.clientY - box.top) / box.height)];
  };
  const down = (event) => {
    if (event.button !== 0) return;
    const index = event.target.dataset?.point;
    if (index !== undefined) {
      drag.current = { index: Number(index), moved: false };
      svg.current.setPointerCapture(event.pointerId);
      onPoint(Number(index));
    } else if (selected) {
      onAdd(toRel(event));
    } else {
      toast('Pick a zone or mask in the list (or add one) first, then click the picture to add points');
    }
  };
  const move = (event) => {
    if (!drag.current) return;
    drag.current.moved = true;
    onMove(drag.current.index, toRel(event));
  };
  const up = () => { drag.current = null; };
  const pixels = (points) => points.map(([x, y]) => `${x * width},${y * height}`).join(' ');
  return html`<div class="settings-stage">
    <${LiveView} camera=${name} height=${Math.min(height, 720)} aspect=${width / height} intervalMs=${2000} />
    <svg ref=${svg} viewBox=${`0 0 ${width} ${height}`} preserveAspectRatio="none" role="application"
      aria-label="Mask and zone editor: click to add a point to the selected shape"
      onPointerDown=${down} onPointerMove=${move} onPointerUp=${up} onPointerCancel=${up}
      onDblClick=${(e) => e.target.dataset?.point !== undefined && onRemovePoint(Number(e.target.dataset.point))}>
      ${shapes.map((s) => html`<polygon key=${s.id} points=${pixels(s.points)} data-shape=${s.id}
        class=${`settings-poly settings-poly-${s.kind} ${s.id === selected?.id ? 'settings-poly-selected' : ''}`} />`)}
      ${shapes.filter((s) => s.kind === 'zone' && s.points.length).map((s) => html`<text key=${`t${s.id}`} class="settings-poly-label"
        x=${Math.min(...s.points.map((p) => p[0])) * width + radius} y=${Math.min(...s.points.map((p) => p[1])) * height + radius * 3}
        font-size=${radius * 2.4}>${s.name}</text>`)}
      ${selected && selected.points.map(([x, y], i) => html`<circle key=${i} data-point=${i} cx=${x * width} cy=${y * height}
        r=${i === point ? radius * 1.5 : radius} class=${`settings-point ${i === point ? 'settings-point-selected' : ''}`} />`)}
    </svg>
  </div>`;
}

function ZoneForm({ shape, tracked, onChange }) {
  const flip = (label) => onChange({ objects: shape.objects.includes(label) ? shape.objects.filter((l) => l !== label) : [...shape.objects, label] });
  const setFilter = (label, key, value) => onChange({ filters: { ...shape.filters, [label]: { ...(shape.filters[label] || {}), [key]: value } } });
  return html`<div class="settings-form">
    <label class="field">Zone name <input value=${shape.name} spellcheck="false" onInput=${(e) => onChange({ name: e.target.value.trim() })} /></label>
    <div class="field">Objects <span class="muted small">(none chosen: every tracked label counts)</span>
      <div class="chips" role="group" aria-label="Objects of the zone">
        ${tracked.map((label) => html`<button type="button" class="chip" aria-pressed=${shape.objects.includes(label) ? 'true' : 'false'}
          onClick=${() => flip(label)}>${label}</button>`)}</div></div>
    <div class="settings-row">
      <label class="field">Inertia (frames) <input type="number" min="1" value=${shape.inertia} onInput=${(e) => onChange({ inertia: e.target.value })} /></label>
      <label class="field">Loitering time (s) <input type="number" min="0" value=${shape.loitering_time} onInput=${(e) => onChange({ loitering_time: e.target.value })} /></label>
    </div>
    <details class="settings-filters">
      <summary>Filters by label</summary>
      ${tracked.map((label) => html`<fieldset class="settings-filter" key=${label}><legend>${label}</legend>
        <div class="settings-row">${FILTER_KEYS.map(([key, text]) => html`<label class="field">${text}
          <input type="number" min="0" step=${key === 'threshold' ? '0.05' : '1'} max=${key === 'threshold' ? '1' : undefined}
            value=${shape.filters[label]?.[key] ?? ''} onInput=${(e) => setFilter(label, key, e.target.value)} /></label>`)}</div>
      </fieldset>`)}
    </details>
  </div>`;
}

function Editor({ config, name, reload }) {
  const camera = config.cameras[name];
  const original = useMemo(() => shapesOf(camera), [camera]);
  const [shapes, setShapes] = useState(original);
  const [selectedId, setSelectedId] = useState(null);
  const [point, setPoint] = useState(null);
  const [answer, setAnswer] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => { setShapes(original); setSelectedId(null); setPoint(null); }, [original]);
  const selected = shapes.find((s) => s.id === selectedId) || null;
  const tracked = camera.objects.track;
  const aspect = camera.detect.width / camera.detect.height;
  const update = (id, patch) => setShapes((list) => list.map((s) => (s.id === id ? { ...s, ...patch } : s)));
  const setPoints = (fn) => selected && update(selected.id, { points: fn(selected.points) });
  const removePoint = (index) => { setPoints((points) => points.filter((_, i) => i !== index)); setPoint(null); };
  const add = (kind) => {
    const zones = shapes.filter((s) => s.kind === 'zone').map((s) => s.name);
    let n = zones.length + 1;
    while (zones.includes(`zone_${n}`)) n += 1;
    const shape = { id: nextId++, kind, points: [], name: `zone_${n}`, objects: [], inertia: 3, loitering_time: 0, filters: {}, label: '' };
    setShapes((list) => [...list, shape]);
    setSelectedId(shape.id);
    setPoint(null);
  };
  useEffect(() => {
    const key = (event) => {
      if ((event.key === 'Delete' || event.key === 'Backspace') && point !== null && !/INPUT|SELECT|TEXTAREA/.test(event.target.tagName)) {
        event.preventDefault();
        removePoint(point);
      }
    };
    window.addEventListener('keydown', key);
    return () => window.removeEventListener('keydown', key);
  });
  const dirty = JSON.stringify(shapes) !== JSON.stringify(original);
  const problems = problemsOf(shapes, Object.keys(config.cameras));
  const save = async () => {
    if (problems.length) { toast(problems[0], 'error'); return; }
    setBusy(true);
    try {
      const result = await saveConfig({ cameras: { [name]: changeOf(camera, shapes) } });
      setAnswer(result);
      await reload();
    } catch (error) {
      toast(error.message, 'error');
    }
    setBusy(false);
  };
  const label = (s) => (s.kind === 'zone' ? s.name : s.kind === 'object' ? `Object mask · ${s.label || 'all objects'}` : 'Motion mask');
  const numbered = (s) => {
    const same = shapes.filter((x) => x.kind === s.kind && s.kind !== 'zone');
    return same.length > 1 ? ` ${same.indexOf(s) + 1}` : '';
  };

  return html`<div class="settings-split settings-zones">
    <div>
      <${Stage} camera=${camera} name=${name} shapes=${shapes} selected=${selected} point=${point}
        onAdd=${(p) => { setPoints((points) => insertPoint(points, p, aspect)); setPoint(null); }}
        onMove=${(index, p) => setPoints((points) => points.map((old, i) => (i === index ? p : old)))}
        onPoint=${setPoint} onRemovePoint=${removePoint} />
      <p class="settings-hint">${selected ? `Click the picture to add points to ${label(selected)}; drag a point to move it; double-click a point (or select it and press Delete) to remove it.`
        : 'Pick a shape in the list or add one, then click the picture to draw it.'}</p>
    </div>
    <div class="settings-side">
      <${Card} title="Shapes">
        <div class="settings-toolbar">
          ${Object.entries(KINDS).map(([kind, text]) => html`<button class="button" onClick=${() => add(kind)}><${Icon} name="plus" size=${16} /> ${text}</button>`)}
        </div>
        ${shapes.length ? html`<ul class="settings-list" aria-label="Zones and masks">
          ${shapes.map((s) => html`<li key=${s.id} aria-selected=${s.id === selectedId ? 'true' : 'false'} data-kind=${s.kind}>
            <button onClick=${() => { setSelectedId(s.id); setPoint(null); }}>
              <span class=${`settings-swatch settings-swatch-${s.kind}`}></span> ${label(s)}${numbered(s)}
              <span class="muted small"> · ${s.points.length} point${s.points.length === 1 ? '' : 's'}</span></button>
            <button class="icon-button" aria-label=${`Delete ${label(s)}${numbered(s)}`}
              onClick=${() => { setShapes((list) => list.filter((x) => x.id !== s.id)); if (s.id === selectedId) setSelectedId(null); }}>
              <${Icon} name="close" size=${16} /></button></li>`)}
        </ul>` : html`<p class="muted small">No zones or masks yet.</p>`}
      <//>
      ${selected && html`<${Card} title=${KINDS[selected.kind]}>
        ${selected.kind === 'zone' && html`<${ZoneForm} shape=${selected} tracked=${tracked} onChange=${(patch) => update(selected.id, patch)} />`}
        ${selected.kind === 'object' && html`<label class="field">Applies to
          <select value=${selected.label} onChange=${(e) => update(selected.id, { label: e.target.value })}>
            <option value="">All objects</option>${tracked.map((l) => html`<option value=${l}>${l}</option>`)}</select></label>`}
        ${selected.kind === 'motion' && html`<p class="muted small">Motion inside is ignored (clocks, trees, the sky).</p>`}
        <div class="settings-toolbar settings-point-tools">
          <button class="button" disabled=${point === null} onClick=${() => removePoint(point)}>Delete point</button>
          <button class="button" disabled=${!selected.points.length} onClick=${() => { setPoints(() => []); setPoint(null); }}>Clear points</button>
        </div>
      <//>`}
      <div class="settings-toolbar">
        <button class="button button-primary" onClick=${save} disabled=${busy || !dirty}>Save</button>
        <button class="button" onClick=${() => { setShapes(original); setSelectedId(null); }} disabled=${busy || !dirty}>Discard changes</button>
        <span class="muted small" role="status">${dirty ? (problems[0] || 'Unsaved changes') : 'Saved'}</span>
      </div>
      ${!dirty && html`<${SaveNotice} answer=${answer} onDismiss=${() => setAnswer(null)} />`}
    </div>
  </div>`;
}

export default function ZonesTab({ route }) {
  const { config, error, reload } = useFreshConfig();
  if (error && !config) return html`<${ErrorBox} error=${error} onRetry=${reload} />`;
  if (!config) return html`<${Spinner} />`;
  const name = pickCamera(config, route);
  return html`<section>
    <div class="settings-toolbar"><${CameraPicker} config=${config} camera=${name} tab="zones" /></div>
    <${Editor} key=${name} config=${config} name=${name} reload=${reload} />
  </section>`;
}
