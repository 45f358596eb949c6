// The wizard, as Frigate's: 1. name, type and classes (object models get `none`); 2. for
// state models, cameras and the crop drawn, dragged and resized on each camera's current
// frame; 3. the generated examples, class by class, click to select (an object model's
// unselected images go to `none`); then training starts by itself and shows its progress.
import { html, useEffect, useRef, useState } from '../../lib/html.js';
import { api, ApiError } from '../../lib/api.js';
import { href } from '../../lib/router.js';
import { isAdmin } from '../../lib/session.js';
import { ErrorBox, Spinner, toast } from '../../lib/ui.js';
import { NONE, TRAINING_POLL_MS, attemptUrl, modelPath, percent, statusOf, StatusBadge } from './common.js';
import { ConfusionMatrix } from './quality.js';

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const CLASS = /^[A-Za-z0-9_ -]{1,64}$/;
const MIN_CROP = 0.03;
const EXAMPLE_POLL_MS = 800;
const DEFAULT_CROP = [0.3, 0.3, 0.7, 0.7];

const clamp = (v, lo = 0, hi = 1) => Math.min(hi, Math.max(lo, v));
const round3 = (v) => Math.round(v * 1000) / 1000;

/** A rectangle over the camera's current frame: drag on the picture to draw a new one, drag
 *  inside it to move it, drag a corner to resize. `crop` is [x1, y1, x2, y2] in 0–1. */
export function CropEditor({ camera, crop, onChange }) {
  const box = useRef(null);
  const gesture = useRef(null);
  const point = (event) => {
    const r = box.current.getBoundingClientRect();
    return [clamp((event.clientX - r.left) / r.width), clamp((event.clientY - r.top) / r.height)];
  };
  const down = (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    box.current.setPointerCapture?.(event.pointerId);
    const [x, y] = point(event);
    const corner = event.target.dataset?.corner;
    const [x1, y1, x2, y2] = crop;
    if (corner) gesture.current = { kind: 'resize', corner, start: crop };
    else if (x > x1 && x < x2 && y > y1 && y < y2) gesture.current = { kind: 'move', from: [x, y], start: crop };
    else gesture.current = { kind: 'draw', from: [x, y] };
  };
  const move = (event) => {
    const g = gesture.current;
    if (!g) return;
    const [x, y] = point(event);
    if (g.kind === 'draw') {
      const [fx, fy] = g.from;
      onChange([Math.min(fx, x), Math.min(fy, y), Math.max(fx, x), Math.max(fy, y)].map(round3));
    } else if (g.kind === 'move') {
      const [x1, y1, x2, y2] = g.start;
      const dx = clamp(x - g.from[0], -x1, 1 - x2);
      const dy = clamp(y - g.from[1], -y1, 1 - y2);
      onChange([x1 + dx, y1 + dy, x2 + dx, y2 + dy].map(round3));
    } else {
      let [x1, y1, x2, y2] = g.start;
      if (g.corner.includes('w')) x1 = Math.min(x, x2 - MIN_CROP);
      if (g.corner.includes('e')) x2 = Math.max(x, x1 + MIN_CROP);
      if (g.corner.includes('n')) y1 = Math.min(y, y2 - MIN_CROP);
      if (g.corner.includes('s')) y2 = Math.max(y, y1 + MIN_CROP);
      onChange([x1, y1, x2, y2].map((v) => round3(clamp(v))));
    }
  };
  const up = () => {
    const g = gesture.current;
    gesture.current = null;
    if (g?.kind === 'draw' && (crop[2] - crop[0] < MIN_CROP || crop[3] - crop[1] < MIN_CROP)) {
      const [x, y] = g.from;  // a click, not a drag: a default-sized box around the point
      onChange([clamp(x - 0.1), clamp(y - 0.1), clamp(x + 0.1), clamp(y + 0.1)].map(round3));
    }
  };
  const [x1, y1, x2, y2] = crop;
  return html`<div class="cls-crop" ref=${box} data-camera=${camera} onPointerDown=${down} onPointerMove=${move}
      onPointerUp=${up} onPointerCancel=${up}>
    <img src=${`api/${encodeURIComponent(camera)}/latest.jpg?h=480`} alt=${`Current frame of ${camera}`} draggable="false" />
    <div class="cls-crop-shade" style=${`clip-path: polygon(0 0, 100% 0, 100% 100%, 0 100%, 0 ${y1 * 100}%, ${x1 * 100}% ${y1 * 100}%, ${x1 * 100}% ${y2 * 100}%, ${x2 * 100}% ${y2 * 100}%, ${x2 * 100}% ${y1 * 100}%, 0 ${y1 * 100}%)`}></div>
    <div class="cls-crop-box" style=${`left:${x1 * 100}%;top:${y1 * 100}%;width:${(x2 - x1) * 100}%;height:${(y2 - y1) * 100}%`}
      role="img" aria-label=${`Crop of ${camera}: ${crop.map((v) => v.toFixed(2)).join(', ')}`}>
      ${['nw', 'ne', 'sw', 'se'].map((c) => html`<span class=${`cls-handle cls-handle-${c}`} data-corner=${c}></span>`)}
    </div>
  </div>`;
}

function StepOne({ draft, setDraft, labels, onNext }) {
  const [classText, setClassText] = useState('');
  const [problem, setProblem] = useState('');
  const addClass = () => {
    const cls = classText.trim();
    if (!cls) return;
    if (!CLASS.test(cls)) { setProblem(`“${cls}”: use letters, digits, spaces, _ or - (at most 64).`); return; }
    if (cls === NONE && draft.type === 'object') { setProblem('“none” is added for you.'); return; }
    if (!draft.classes.includes(cls)) setDraft({ ...draft, classes: [...draft.classes, cls] });
    setClassText('');
    setProblem('');
  };
  const next = (event) => {
    event.preventDefault();
    if (classText.trim()) { addClass(); return; }
    if (!NAME.test(draft.name)) { setProblem('Name: 1–64 letters, digits, _ or - (no spaces).'); return; }
    const needed = draft.type === 'object' ? 1 : 2;
    if (draft.classes.length < needed) { setProblem(draft.type === 'object' ? 'Add at least one class (none is added for you).' : 'Add at least two states, e.g. open and closed.'); return; }
    if (draft.type === 'object' && !draft.label) { setProblem('Choose the object label to classify.'); return; }
    onNext();
  };
  const all = draft.type === 'object' ? [...draft.classes, NONE] : draft.classes;
  return html`<form class="card cls-step" onSubmit=${next}>
    <h2>1 · Name and classes</h2>
    <label class="field">Name<input value=${draft.name} placeholder="garage_door" autofocus
      onInput=${(e) => setDraft({ ...draft, name: e.currentTarget.value.trim() })} /></label>
    <fieldset class="cls-types"><legend class="field">Type</legend>
      <label class="chip" aria-pressed=${draft.type === 'state' ? 'true' : 'false'}><input type="radio" name="type" checked=${draft.type === 'state'}
        onChange=${() => setDraft({ ...draft, type: 'state' })} />State: a part of the picture (door open / closed)</label>
      <label class="chip" aria-pressed=${draft.type === 'object' ? 'true' : 'false'}><input type="radio" name="type" checked=${draft.type === 'object'}
        onChange=${() => setDraft({ ...draft, type: 'object', label: draft.label || labels[0] || '' })} />Object: a finer kind of a tracked object</label>
    </fieldset>
    ${draft.type === 'object' && html`<div class="cls-row">
      <label class="field">Object label<select value=${draft.label} onChange=${(e) => setDraft({ ...draft, label: e.currentTarget.value })}>
        ${labels.map((l) => html`<option value=${l}>${l}</option>`)}</select></label>
      <label class="field">Assign as<select value=${draft.classificationType} onChange=${(e) => setDraft({ ...draft, classificationType: e.currentTarget.value })}>
        <option value="sub_label">Sub label (one identity: Leo, Charlie)</option><option value="attribute">Attribute (helmet: yes / no)</option></select></label>
    </div>`}
    <div class="field">Classes
      <div class="cls-row"><input value=${classText} placeholder=${draft.type === 'object' ? 'delivery_person' : 'open'} aria-label="Class name"
        onInput=${(e) => setClassText(e.currentTarget.value)} onKeyDown=${(e) => e.key === 'Enter' && (e.preventDefault(), addClass())} />
        <button type="button" class="button" onClick=${addClass}>Add</button></div>
      <span class="chips">${all.map((cls) => html`<span class="chip" key=${cls}>${cls}${cls !== NONE || draft.type !== 'object'
        ? html` <button type="button" class="cls-x" aria-label=${`Remove ${cls}`} onClick=${() => setDraft({ ...draft, classes: draft.classes.filter((c) => c !== cls) })}>×</button>`
        : html` <span class="muted small">(automatic)</span>`}</span>`)}</span>
    </div>
    ${problem && html`<p class="cls-warn" role="alert">${problem}</p>`}
    <div class="cls-step-end"><a class="button" href=${href('classification')}>Cancel</a><button class="button button-primary">Next</button></div>
  </form>`;
}

function StepTwo({ draft, setDraft, cameras, onBack, onNext }) {
  const chosen = Object.keys(draft.crops);
  const toggle = (camera) => {
    const crops = { ...draft.crops };
    if (crops[camera]) delete crops[camera]; else crops[camera] = [...DEFAULT_CROP];
    setDraft({ ...draft, crops });
  };
  return html`<div class="card cls-step">
    <h2>2 · Where to look</h2>
    <p class="muted small">Pick the cameras and drag on each picture to draw a tight box around the area whose state you want
      to know; drag the box to move it and its corners to resize.</p>
    <div class="chips" role="group" aria-label="Cameras">${cameras.map((camera) => html`<button class="chip" type="button"
      aria-pressed=${draft.crops[camera] ? 'true' : 'false'} onClick=${() => toggle(camera)}>${camera}</button>`)}</div>
    <div class="cls-crops">${chosen.map((camera) => html`<div key=${camera}><h3 class="small">${camera}</h3>
      <${CropEditor} camera=${camera} crop=${draft.crops[camera]} onChange=${(crop) => setDraft({ ...draft, crops: { ...draft.crops, [camera]: crop } })} /></div>`)}</div>
    ${!chosen.length && html`<p class="cls-warn">Choose at least one camera.</p>`}
    <div class="cls-step-end"><button class="button" onClick=${onBack}>Back</button>
      <button class="button button-primary" disabled=${!chosen.length} onClick=${onNext}>Create and find examples</button></div>
  </div>`;
}

async function createModel(draft) {
  const entry = draft.type === 'state'
    ? { threshold: 0.8, state_config: { motion: true, interval: 10, cameras: Object.fromEntries(Object.entries(draft.crops).map(([c, crop]) => [c, { crop }])) } }
    : { threshold: 0.8, object_config: { objects: [draft.label], classification_type: draft.classificationType } };
  await api.put('api/config/set', { config_data: { classification: { custom: { [draft.name]: entry } } } });
  const classes = draft.type === 'object' ? [...draft.classes, NONE] : draft.classes;
  for (const cls of classes) await api.post(modelPath(draft.name, `/dataset/${encodeURIComponent(cls)}/create`));
  const body = draft.type === 'state' ? { model_name: draft.name, cameras: draft.crops } : { model_name: draft.name, label: draft.label };
  await api.post(`api/classification/generate_examples/${draft.type}`, body);
}

function useExamples(name, active) {
  const [run, setRun] = useState(null);
  useEffect(() => {
    if (!active) return () => {};
    let live = true;
    const poll = async () => {
      try {
        const answer = await api.get(modelPath(name, '/examples'));
        if (!live) return;
        setRun(answer);
        if (answer.state === 'running') setTimeout(poll, EXAMPLE_POLL_MS);
      } catch (error) {
        if (live) setRun({ state: 'failed', error: error.message, files: [] });
      }
    };
    poll();
    return () => { live = false; };
  }, [name, active]);
  return run;
}

function StepThree({ draft, run, onDone }) {
  const classes = draft.classes;
  const [index, setIndex] = useState(0);
  const [assigned, setAssigned] = useState({});  // file → class
  const [busy, setBusy] = useState(false);
  if (!run || run.state === 'running') {
    return html`<div class="card cls-step"><h2>3 · Examples</h2><p role="status"><${Spinner} label="Collecting examples" />
      Collecting examples from the recordings${run?.total ? `: ${run.done} of ${run.total}` : '…'}</p></div>`;
  }
  const files = run.files || [];
  const cls = classes[index];
  const last = index === classes.length - 1;
  const toggle = (file) => {
    const next = { ...assigned };
    if (next[file] === cls) delete next[file]; else if (!next[file]) next[file] = cls;
    setAssigned(next);
  };
  const finish = async () => {
    setBusy(true);
    try {
      const labels = { ...assigned };
      if (draft.type === 'object') for (const file of files) labels[file] ||= NONE;
      for (const [file, target] of Object.entries(labels)) {
        await api.post(modelPath(draft.name, '/dataset/categorize'), { category: target, training_file: file });
      }
      await api.post(modelPath(draft.name, '/train'));
      onDone(Object.keys(labels).length);
    } catch (error) {
      toast(error.message, 'error');
      setBusy(false);
    }
  };
  return html`<div class="card cls-step">
    <h2>3 · Examples <span class="muted small">class ${index + 1} of ${classes.length}</span></h2>
    ${run.state === 'failed' && html`<p class="cls-warn" role="alert">Could not collect examples: ${run.error}</p>`}
    ${files.length ? html`<p>Click every image that shows <b class="cls-current">${cls}</b>.
        ${draft.type === 'object' ? 'Images you leave out of every class become “none”.' : 'You need not pick all; missing states can be filed later from Recent classifications.'}</p>
      <div class="cls-tiles">${files.map((file) => {
        const owner = assigned[file];
        return html`<button class=${`cls-tile ${owner === cls ? 'cls-selected' : ''} ${owner && owner !== cls ? 'cls-taken' : ''}`} key=${file}
          aria-pressed=${owner === cls ? 'true' : 'false'} disabled=${Boolean(owner && owner !== cls)} onClick=${() => toggle(file)} data-file=${file}>
          <img src=${attemptUrl(draft.name, file)} alt=${`Example ${file}`} loading="lazy" />
          ${owner && html`<span class="badge cls-owner">${owner}</span>`}</button>`;
      })}</div>`
      : html`<p class="muted">No examples were found yet (examples come from recorded activity). Finish now and file images from
        Recent classifications as the model sees them.</p>`}
    <div class="cls-step-end">
      ${index > 0 && html`<button class="button" onClick=${() => setIndex(index - 1)}>Back</button>`}
      ${!last && html`<button class="button button-primary" onClick=${() => setIndex(index + 1)}>Next: ${classes[index + 1]}</button>`}
      ${last && html`<button class="button button-primary" disabled=${busy} onClick=${finish}>${busy ? 'Saving…' : 'Finish and train'}</button>`}
    </div>
  </div>`;
}

function Training({ name, labelled }) {
  const [status, setStatus] = useState(null);
  useEffect(() => {
    let live = true;
    const poll = async () => {
      try {
        const answer = await api.get(modelPath(name, '/status'));
        if (!live) return;
        setStatus(answer);
        if (answer.state === 'training' || answer.state === 'untrained') setTimeout(poll, TRAINING_POLL_MS);
      } catch (error) {
        if (live) setStatus({ state: 'failed', progress: { message: error.message } });
      }
    };
    poll();
    return () => { live = false; };
  }, [name]);
  const info = statusOf(null, status);
  const metrics = status?.state === 'complete' ? status.metrics : null;
  return html`<div class="card cls-step">
    <h2>Training ${name} <${StatusBadge} info=${info} /></h2>
    <p class="small muted">${labelled} images labelled.</p>
    ${info.key === 'training' && html`<div class="cls-progress" role="progressbar" aria-valuemin="0" aria-valuemax="100"
      aria-valuenow=${Math.round((info.fraction || 0) * 100)}><span style=${`width:${Math.round((info.fraction || 0.05) * 100)}%`}></span></div>
      <p class="small" role="status">${info.detail}</p>`}
    ${info.key === 'failed' && html`<p class="cls-warn" role="alert">Training failed: ${info.detail}. Label more images on the
      model's page and train again.</p>`}
    ${metrics && html`<p class="cls-big">${percent(metrics.accuracy)}</p><p class=${metrics.enough ? 'cls-verdict' : 'cls-verdict cls-warn'}>${metrics.verdict}</p>
      ${metrics.confusion_matrix.rows_true_columns_predicted && html`<${ConfusionMatrix} classes=${metrics.confusion_matrix.classes}
        rows=${metrics.confusion_matrix.rows_true_columns_predicted} />`}`}
    <div class="cls-step-end"><a class="button button-primary" href=${href('classification', [name], { tab: info.key === 'ready' ? 'quality' : 'recent' })}>Open ${name}</a></div>
  </div>`;
}

export function Wizard() {
  const [step, setStep] = useState(1);
  const [draft, setDraft] = useState({ name: '', type: 'state', classes: [], label: '', classificationType: 'sub_label', crops: {} });
  const [config, setConfig] = useState(null);
  const [error, setError] = useState(null);
  const [labelled, setLabelled] = useState(0);
  useEffect(() => { api.get('api/config').then(setConfig, setError); }, []);
  const run = useExamples(draft.name, step === 3);
  if (!isAdmin()) return html`<main class="page"><p>Only admins can create models.</p></main>`;
  if (error) return html`<main class="page"><${ErrorBox} error=${error} /></main>`;
  if (!config) return html`<main class="page"><${Spinner} /></main>`;
  const cameras = Object.keys(config.cameras || {});
  const labels = [...new Set(Object.values(config.cameras || {}).flatMap((c) => c.objects?.track || []))].sort();
  const create = async () => {
    if (config.classification?.custom?.[draft.name]) { toast(`A model named ${draft.name} exists already`, 'error'); return; }
    try {
      await createModel(draft);
      setStep(3);
    } catch (problem) {
      toast(problem instanceof ApiError ? problem.message : String(problem), 'error');
    }
  };
  return html`<main class="page cls-page cls-wizard">
    <div class="page-head"><a class="icon-button" href=${href('classification')} aria-label="All models" title="All models">‹</a><h1>New model</h1>
      <ol class="cls-steps" aria-label="Steps">${['Name and classes', draft.type === 'state' ? 'Crop' : 'Objects', 'Examples', 'Training']
        .map((label, i) => html`<li aria-current=${step === i + 1 ? 'step' : undefined}>${label}</li>`)}</ol></div>
    ${step === 1 && html`<${StepOne} draft=${draft} setDraft=${setDraft} labels=${labels} onNext=${() => (draft.type === 'state' ? setStep(2) : create())} />`}
    ${step === 2 && html`<${StepTwo} draft=${draft} setDraft=${setDraft} cameras=${cameras} onBack=${() => setStep(1)} onNext=${create} />`}
    ${step === 3 && html`<${StepThree} draft=${draft} run=${run} onDone=${(n) => { setLabelled(n); setStep(4); }} />`}
    ${step === 4 && html`<${Training} name=${draft.name} labelled=${labelled} />`}
  </main>`;
}

