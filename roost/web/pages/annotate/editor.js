// The annotation editor: one frame, its boxes over the image (SVG in image pixels), drawn,
// moved and resized with the mouse or the keyboard, labelled from the model's labels and
// Frigate+'s, saved and verified. Boxes are [x1, y1, x2, y2] in the stored image's pixels.
import { html, useCallback, useEffect, useMemo, useRef, useState } from '../../lib/html.js';
import { api } from '../../lib/api.js';
import { href, navigate } from '../../lib/router.js';
import { isAdmin } from '../../lib/session.js';
import { useConfig } from '../../lib/store.js';
import { ErrorBox, Icon, Spinner, formatDateTime, toast } from '../../lib/ui.js';

/** A drawn box smaller than this (image pixels a side) is a click, not a box. */
const MIN_SIDE = 4;
const QUICK_KEYS = 9;
const HANDLES = ['nw', 'ne', 'sw', 'se'];
const EDITABLE = /^(INPUT|SELECT|TEXTAREA)$/;

export function labelColour(label) {
  let hash = 0;
  for (const ch of label) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return `hsl(${hash % 360} 90% 55%)`;
}

const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
const keyOf = (boxes) => JSON.stringify(boxes.map((b) => [b.label, ...b.box]));
const sameBox = (a, b) => a.label === b.label && a.box.every((v, i) => v === b.box[i]);

function normalised([x1, y1, x2, y2], width, height) {
  const xs = [clamp(Math.round(x1), 0, width), clamp(Math.round(x2), 0, width)].sort((a, b) => a - b);
  const ys = [clamp(Math.round(y1), 0, height), clamp(Math.round(y2), 0, height)].sort((a, b) => a - b);
  return [xs[0], ys[0], xs[1], ys[1]];
}

/** Labels to offer: Frigate+'s, then the model's (its labelmap in /api/config), then others in use. */
function useLabels(config) {
  const [listing, setListing] = useState(null);
  useEffect(() => { api.get('api/annotations/labels').then(setListing, () => setListing({ plus: [], model: [], used: [] })); }, []);
  return useMemo(() => {
    const plus = listing?.plus || ['person', 'face', 'car', 'license_plate', 'amazon', 'ups', 'fedex', 'package', 'dog', 'cat', 'deer'];
    const fromConfig = Object.values(config?.model?.labelmap || {}).filter((l) => !/^\d+$/.test(l));
    const model = [...new Set([...fromConfig, ...(listing?.model || [])])].filter((l) => !plus.includes(l));
    const used = (listing?.used || []).filter((l) => !plus.includes(l) && !model.includes(l));
    return { plus, model, used, all: [...plus, ...model, ...used] };
  }, [listing, config]);
}

function LabelSelect({ value, labels, onChange, label, id }) {
  const options = (list) => list.map((l) => html`<option value=${l}>${l}</option>`);
  const known = labels.all.includes(value);
  return html`<select id=${id} aria-label=${label} value=${value} onChange=${(e) => onChange(e.currentTarget.value)}>
    ${!known && html`<option value=${value}>${value}</option>`}
    <optgroup label="Frigate+ labels">${options(labels.plus)}</optgroup>
    ${labels.model.length > 0 && html`<optgroup label="Model labels">${options(labels.model)}</optgroup>`}
    ${labels.used.length > 0 && html`<optgroup label="In use">${options(labels.used)}</optgroup>`}
  </select>`;
}

/** The image with the boxes over it; all pointer work happens here. */
function Stage({ frame, boxes, suggestions, selected, drawing, onPointer, unit, svgRef }) {
  const { width, height } = frame;
  const handle = 7 * unit;
  return html`<div class="an-stage" style=${`aspect-ratio: ${width} / ${height}; width: min(100%, calc(70vh * ${width / height}))`}>
    <img class="an-image" src=${`api/annotations/${encodeURIComponent(frame.id)}/image`} alt=${`Frame from ${frame.camera || 'an import'}`}
      draggable="false" />
    <svg ref=${svgRef} class="an-svg" viewBox=${`0 0 ${width} ${height}`} data-testid="annotation-canvas"
      aria-label="Boxes: drag on the image to draw one, drag a box to move it, drag its corners to resize it"
      onPointerDown=${onPointer.down} onPointerMove=${onPointer.move} onPointerUp=${onPointer.up} onPointerCancel=${onPointer.up}>
      ${suggestions.map((s) => html`<rect class="an-suggestion" x=${s.box[0]} y=${s.box[1]} width=${s.box[2] - s.box[0]}
        height=${s.box[3] - s.box[1]} vector-effect="non-scaling-stroke"><title>Detector: ${s.label}</title></rect>`)}
      ${boxes.map((b, i) => {
        const [x1, y1, x2, y2] = b.box;
        const colour = labelColour(b.label);
        const on = i === selected;
        return html`<g key=${i} class=${`an-box-group ${on ? 'an-selected' : ''}`}>
          <rect class="an-box" data-index=${i} x=${x1} y=${y1} width=${x2 - x1} height=${y2 - y1} stroke=${colour}
            fill=${on ? colour : 'transparent'} vector-effect="non-scaling-stroke" />
          <text class="an-box-label" x=${x1 + 3 * unit} y=${Math.max(y1 - 4 * unit, 12 * unit)} fill=${colour}
            font-size=${13 * unit} stroke-width=${3 * unit}>${b.label}</text>
          ${on && HANDLES.map((h) => html`<rect class="an-handle" data-index=${i} data-handle=${h}
            x=${(h.includes('w') ? x1 : x2) - handle / 2} y=${(h.includes('n') ? y1 : y2) - handle / 2}
            width=${handle} height=${handle} vector-effect="non-scaling-stroke" />`)}
        </g>`;
      })}
      ${drawing && html`<rect class="an-drawing" x=${drawing[0]} y=${drawing[1]} width=${drawing[2] - drawing[0]}
        height=${drawing[3] - drawing[1]} vector-effect="non-scaling-stroke" />`}
    </svg>
  </div>`;
}

function Keys() {
  return html`<details class="an-keys"><summary>Keyboard</summary>
    <dl>
      <dt>a</dt><dd>add a box in the middle</dd>
      <dt>[ ]</dt><dd>previous / next box</dd>
      <dt>arrows</dt><dd>move the box (Shift: 10 px)</dd>
      <dt>Alt + arrows</dt><dd>resize it (right and bottom edges)</dd>
      <dt>1 – 9</dt><dd>label it with the nth Frigate+ label</dd>
      <dt>Delete</dt><dd>delete it</dd>
      <dt>Esc</dt><dd>deselect</dd>
      <dt>s</dt><dd>save</dd>
      <dt>v</dt><dd>save and verify</dd>
      <dt>, .</dt><dd>previous / next frame</dd>
    </dl></details>`;
}

export function Editor({ frameId, show, verified }) {
  const { config } = useConfig();
  const labels = useLabels(config);
  const [frame, setFrame] = useState(null);
  const [error, setError] = useState(null);
  const [boxes, setBoxesState] = useState([]);
  const [saved, setSaved] = useState('[]');
  const [selected, setSelectedState] = useState(-1);
  const [newLabel, setNewLabelState] = useState('person');
  const [drawing, setDrawing] = useState(null);
  const [order, setOrder] = useState([]);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [unit, setUnit] = useState(1);
  const svgRef = useRef(null);
  // The latest boxes, selection and new-box label, kept in step synchronously: keys pressed
  // faster than the page re-renders must act on what the previous key did.
  const now = useRef({ boxes: [], selected: -1, newLabel: 'person' });
  const setBoxes = (next) => {
    now.current.boxes = typeof next === 'function' ? next(now.current.boxes) : next;
    setBoxesState(now.current.boxes);
  };
  const setSelected = (next) => {
    now.current.selected = typeof next === 'function' ? next(now.current.selected) : next;
    setSelectedState(now.current.selected);
  };
  const setNewLabel = (label) => { now.current.newLabel = label; setNewLabelState(label); };
  const drag = useRef(null);
  const admin = isAdmin();
  const id = encodeURIComponent(frameId);

  const take = (data) => { setFrame(data); setBoxes(data.boxes); setSaved(keyOf(data.boxes)); };
  useEffect(() => { api.get(`api/annotations/${id}`).then(take, setError); }, [frameId]);
  useEffect(() => {
    api.get('api/annotations', { verified, limit: 200 }).then((page) => setOrder(page.frames.map((f) => f.id)), () => {});
  }, [verified]);
  // Image pixels per screen pixel, so handles and labels keep their on-screen size.
  useEffect(() => {
    const svg = svgRef.current;
    if (!svg || !frame) return undefined;
    const observer = new ResizeObserver(() => {
      const box = svg.getBoundingClientRect();
      if (box.width) setUnit(frame.width / box.width);
    });
    observer.observe(svg);
    return () => observer.disconnect();
  }, [frame]);

  const dirty = frame && keyOf(boxes) !== saved;
  const suggestions = (frame?.suggestions || []).filter((s) => !boxes.some((b) => sameBox(b, s)));

  const point = (e) => {
    const r = svgRef.current.getBoundingClientRect();
    return [clamp((e.clientX - r.left) / r.width * frame.width, 0, frame.width),
      clamp((e.clientY - r.top) / r.height * frame.height, 0, frame.height)];
  };
  const change = (index, fn) => setBoxes((list) => list.map((b, i) => (i === index ? { ...b, ...fn(b) } : b)));
  const onPointer = {
    down: (e) => {
      if (e.button !== 0 || !admin) return;
      e.preventDefault();
      const p = point(e);
      const index = e.target.dataset.index !== undefined ? Number(e.target.dataset.index) : -1;
      if (e.target.dataset.handle) drag.current = { mode: 'resize', index, handle: e.target.dataset.handle, orig: boxes[index].box };
      else if (index >= 0) drag.current = { mode: 'move', index, start: p, orig: boxes[index].box };
      else drag.current = { mode: 'draw', start: p };
      setSelected(index);
      svgRef.current.setPointerCapture(e.pointerId);
    },
    move: (e) => {
      const d = drag.current;
      if (!d) return;
      const [x, y] = point(e);
      if (d.mode === 'draw') {
        setDrawing([Math.min(d.start[0], x), Math.min(d.start[1], y), Math.max(d.start[0], x), Math.max(d.start[1], y)]);
      } else if (d.mode === 'move') {
        const [x1, y1, x2, y2] = d.orig;
        const dx = clamp(x - d.start[0], -x1, frame.width - x2);
        const dy = clamp(y - d.start[1], -y1, frame.height - y2);
        change(d.index, () => ({ box: [x1 + dx, y1 + dy, x2 + dx, y2 + dy].map(Math.round), source: 'user', score: null }));
      } else {
        const [x1, y1, x2, y2] = d.orig;
        const box = [d.handle.includes('w') ? x : x1, d.handle.includes('n') ? y : y1,
          d.handle.includes('e') ? x : x2, d.handle.includes('s') ? y : y2];
        change(d.index, () => ({ box: normalised(box, frame.width, frame.height), source: 'user', score: null }));
      }
    },
    up: (e) => {
      const d = drag.current;
      drag.current = null;
      if (svgRef.current?.hasPointerCapture(e.pointerId)) svgRef.current.releasePointerCapture(e.pointerId);
      if (!d || d.mode !== 'draw') return;
      const [x, y] = point(e);
      const box = normalised([d.start[0], d.start[1], x, y], frame.width, frame.height);
      setDrawing(null);
      if (box[2] - box[0] < MIN_SIDE || box[3] - box[1] < MIN_SIDE) return;
      const list = now.current.boxes;
      setBoxes([...list, { label: now.current.newLabel, box, score: null, source: 'user' }]);
      setSelected(list.length);
    },
  };

  const save = async () => {
    const answer = await api.put(`api/annotations/${id}`, { boxes: now.current.boxes.map(({ label, box }) => ({ label, box })) });
    take(answer.frame);
    return answer.frame;
  };
  const run = async (work, done) => {
    setBusy(true);
    try {
      await work();
      if (done) toast(done);
    } catch (e) {
      toast(e.message, 'error');
    } finally {
      setBusy(false);
    }
  };
  const verify = (on) => run(async () => {
    if (on && keyOf(now.current.boxes) !== saved) await save();
    const answer = on ? await api.post(`api/annotations/${id}/verify`) : await api.del(`api/annotations/${id}/verify`);
    take(answer.frame);
  }, on ? 'Verified' : 'No longer verified');
  const mark = (falsePositive) => run(async () => {
    const answer = await api.put(`api/annotations/${id}`, { boxes: boxes.map(({ label, box }) => ({ label, box })), false_positive: falsePositive });
    take(answer.frame);
  });
  const remove = () => run(async () => {
    await api.del(`api/annotations/${id}`);
    navigate('annotate', [], { show }, true);
  }, 'Frame deleted');
  const position = order.indexOf(frameId);
  const neighbour = (step) => (position >= 0 ? order[position + step] : undefined);
  const go = useCallback(async (step) => {
    const target = neighbour(step);
    if (!target) return;
    if (dirty && admin) {
      try { await save(); } catch (e) { toast(e.message, 'error'); return; }
    }
    navigate('annotate', [target], { show });
  }, [order, frameId, dirty, boxes]);

  const addCentred = () => {
    const w = Math.round(frame.width / 4);
    const h = Math.round(frame.height / 4);
    const x = Math.round((frame.width - w) / 2);
    const y = Math.round((frame.height - h) / 2);
    const list = now.current.boxes;
    setBoxes([...list, { label: now.current.newLabel, box: [x, y, x + w, y + h], score: null, source: 'user' }]);
    setSelected(list.length);
  };
  const deleteBox = (index) => { setBoxes((list) => list.filter((_, i) => i !== index)); setSelected(-1); };

  const keyHandler = useRef(null);
  keyHandler.current = (e) => {
    const { selected, boxes } = now.current;
    if (!frame || EDITABLE.test(document.activeElement?.tagName || '') || e.ctrlKey || e.metaKey) return;
    if (document.querySelector('dialog[open]')) return;
    const step = e.shiftKey ? 10 : 1;
    const arrows = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (e.key === ',' || e.key === '.') { e.preventDefault(); go(e.key === '.' ? 1 : -1); return; }
    if (!admin) return;
    if (e.key in arrows && selected >= 0) {
      e.preventDefault();
      const [dx, dy] = arrows[e.key];
      change(selected, (b) => {
        const [x1, y1, x2, y2] = b.box;
        if (e.altKey) return { box: normalised([x1, y1, Math.max(x2 + dx, x1 + MIN_SIDE), Math.max(y2 + dy, y1 + MIN_SIDE)], frame.width, frame.height), source: 'user', score: null };
        const mx = clamp(dx, -x1, frame.width - x2);
        const my = clamp(dy, -y1, frame.height - y2);
        return { box: [x1 + mx, y1 + my, x2 + mx, y2 + my], source: 'user', score: null };
      });
    } else if ((e.key === 'Delete' || e.key === 'Backspace') && selected >= 0) {
      e.preventDefault(); deleteBox(selected);
    } else if (e.key === 'Escape') {
      setSelected(-1);
    } else if (e.key === '[' || e.key === ']') {
      const n = boxes.length;
      if (n) setSelected((s) => (s < 0 ? (e.key === ']' ? 0 : n - 1) : (s + (e.key === ']' ? 1 : -1) + n) % n));
    } else if (/^[1-9]$/.test(e.key) && Number(e.key) <= Math.min(QUICK_KEYS, labels.plus.length)) {
      const label = labels.plus[Number(e.key) - 1];
      setNewLabel(label);
      if (selected >= 0) change(selected, () => ({ label }));
    } else if (e.key === 'a') {
      addCentred();
    } else if (e.key === 's') {
      e.preventDefault(); run(save, 'Saved');
    } else if (e.key === 'v') {
      verify(true);
    }
  };
  useEffect(() => {
    const onKey = (e) => keyHandler.current(e);
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  if (error) return html`<main class="page"><${ErrorBox} error=${error} /><p><a href=${href('annotate', [], { show })}>All frames</a></p></main>`;
  if (!frame) return html`<main class="page page-loading"><${Spinner} /></main>`;
  const fromEvent = frame.source === 'event' || frame.source === 'review';
  return html`<main class="page an-page an-editor-page">
    <div class="page-head an-head">
      <a class="icon-button" href=${href('annotate', [], { show })} aria-label="All frames" title="All frames"><${Icon} name="back" /></a>
      <h1>Annotate</h1>
      <span class="muted small an-where">${frame.camera || 'imported'} · ${formatDateTime(frame.frame_time)}${frame.label ? ` · sent as ${frame.label}` : ''}</span>
      ${frame.verified ? html`<span class="badge badge-ok" data-testid="verified-badge">verified</span>` : html`<span class="badge">not verified</span>`}
      ${dirty && html`<span class="badge badge-motion" role="status">unsaved changes</span>`}
      <span class="an-nav">
        <button class="button" disabled=${!neighbour(-1)} onClick=${() => go(-1)} title="Previous frame (,)">Previous</button>
        <button class="button" disabled=${!neighbour(1)} onClick=${() => go(1)} title="Next frame (.)">Next</button>
      </span>
    </div>
    <div class="an-editor">
      <${Stage} frame=${frame} boxes=${boxes} suggestions=${suggestions} selected=${selected} drawing=${drawing}
        onPointer=${onPointer} unit=${unit} svgRef=${svgRef} />
      <aside class="an-side" aria-label="Boxes and actions">
        ${admin && html`<label class="field an-new-label">Label for new boxes
          <${LabelSelect} value=${newLabel} labels=${labels} onChange=${setNewLabel} label="Label for new boxes" /></label>`}
        <section class="an-boxes" aria-label="Boxes">
          <h2>Boxes <span class="muted">(${boxes.length})</span></h2>
          ${boxes.length === 0 && html`<p class="muted small">${admin ? 'No boxes. Drag on the image to draw one, or press a.' : 'No boxes.'}</p>`}
          <ol class="an-box-list">
            ${boxes.map((b, i) => html`<li key=${i} class=${i === selected ? 'an-row-on' : ''} data-box-row=${i}>
              <button class="an-swatch" style=${`background:${labelColour(b.label)}`} aria-label=${`Select box ${i + 1}, ${b.label}`}
                aria-pressed=${i === selected ? 'true' : 'false'} onClick=${() => setSelected(i)}></button>
              ${admin ? html`<${LabelSelect} value=${b.label} labels=${labels} label=${`Label of box ${i + 1}`}
                  onChange=${(label) => { change(i, () => ({ label })); setSelected(i); }} />`
                : html`<span>${b.label}</span>`}
              <span class="muted small an-size">${b.box[2] - b.box[0]}×${b.box[3] - b.box[1]}${b.source === 'detector' && b.score != null ? ` · ${Math.round(b.score * 100)} %` : ''}</span>
              ${admin && html`<button class="icon-button" aria-label=${`Delete box ${i + 1}`} title="Delete (Delete key)" onClick=${() => deleteBox(i)}>
                <${Icon} name="close" size=${16} /></button>`}
            </li>`)}
          </ol>
          ${suggestions.length > 0 && html`<div class="an-suggestions">
            <h3>Detector boxes not used</h3>
            ${suggestions.map((s) => html`<div class="an-suggestion-row"><span>${s.label}${s.score != null ? ` ${Math.round(s.score * 100)} %` : ''}</span>
              ${admin && html`<button class="button" onClick=${() => setBoxes((list) => [...list, { ...s }])}>Add</button>`}</div>`)}
          </div>`}
        </section>
        ${fromEvent && html`<div class="chips an-mark" role="group" aria-label="The object it was sent from">
          <span class="muted small">Sent object:</span>
          <button class="chip" disabled=${!admin || busy} aria-pressed=${frame.false_positive === false ? 'true' : 'false'} onClick=${() => mark(false)}>True positive</button>
          <button class="chip" disabled=${!admin || busy} aria-pressed=${frame.false_positive === true ? 'true' : 'false'} onClick=${() => mark(true)}>False positive</button>
        </div>`}
        ${admin && html`<div class="an-actions">
          <button class="button" disabled=${!dirty || busy} onClick=${() => run(save, 'Saved')} title="Save (s)">Save</button>
          ${frame.verified && !dirty ? html`<button class="button" disabled=${busy} onClick=${() => verify(false)}>Unverify</button>`
            : html`<button class="button button-primary" disabled=${busy} onClick=${() => verify(true)} title="Save and verify (v)">
                ${dirty ? 'Save and verify' : 'Verify'}</button>`}
          ${confirming ? html`<span class="an-confirm">Delete this frame? <button class="button button-danger" onClick=${remove}>Delete</button>
              <button class="button" onClick=${() => setConfirming(false)}>Keep</button></span>`
            : html`<button class="button button-danger" onClick=${() => setConfirming(true)}>Delete frame</button>`}
        </div>`}
        ${frame.source === 'event' && frame.source_id && html`<a class="small" href=${href('explore', [], { event: frame.source_id })}>The event in Explore</a>`}
        <${Keys} />
      </aside>
    </div>
  </main>`;
}
