// One camera: the live view with overlay toggles, the objects tracked now, the camera's
// switches (admins change them), a manual event, and a link to its recordings.
import { html, useEffect, useState } from '../lib/html.js';
import { api, act } from '../lib/api.js';
import { subscribe, useTopic } from '../lib/ws.js';
import { isAdmin, session } from '../lib/session.js';
import { SendToAnnotation } from '../lib/annotation.js';
import { useConfig, useStats } from '../lib/store.js';
import { href, navigate } from '../lib/router.js';
import { LiveView } from '../lib/live-view.js';
import { cameraStatus, aspectOf } from '../lib/cameras.js';
import { useTrackedObjects } from '../lib/objects.js';
import { Card, Dialog, Empty, ErrorBox, Icon, Spinner, Switch, formatDuration, timeAgo } from '../lib/ui.js';

export const title = 'Camera';

/** Frigate's debug overlay flags of latest.jpg, with the names people know them by. */
const OVERLAYS = [
  ['bbox', 'Boxes'], ['zones', 'Zones'], ['mask', 'Motion masks'], ['motion', 'Motion boxes'], ['regions', 'Regions'],
  ['timestamp', 'Timestamp'],
];
/** The switches Home Assistant also has, in its order. */
const SWITCHES = [
  ['detect', 'Object detection'], ['recordings', 'Recordings'], ['snapshots', 'Snapshots'],
  ['motion', 'Motion detection'], ['improve_contrast', 'Improve contrast'],
];

function useControls(camera) {
  const [values, setValues] = useState({});
  const [error, setError] = useState(null);
  useEffect(() => {
    let live = true;
    api.get('api/controls').then((all) => live && setValues((v) => ({ ...all[camera], ...v })),
      (failure) => live && setError(failure));
    const off = subscribe(`${camera}/+/state`, (payload, topic) => {
      const name = topic.split('/')[1];
      setValues((v) => ({ ...v, [name]: payload }));
    });
    return () => { live = false; off(); };
  }, [camera]);
  return { values, setValues, error };
}

function Switches({ camera, config }) {
  const { values, setValues, error } = useControls(camera);
  const [busy, setBusy] = useState(null);
  const admin = isAdmin();
  async function flip(name, on) {
    setBusy(name);
    const result = await act(() => api.put(`api/${encodeURIComponent(camera)}/controls/${name}`, { value: on ? 'ON' : 'OFF' }));
    if (result?.changed) setValues((v) => ({ ...v, ...result.changed }));
    setBusy(null);
  }
  const recordInConfig = config.cameras[camera]?.record?.enabled;
  return html`<${Card} title="Camera switches" class="camera-switches">
    <${ErrorBox} error=${error} />
    <div class="switch-list">
      ${SWITCHES.map(([name, label]) => html`<div class="switch-row" key=${name}>
        <${Switch} label=${label} checked=${values[name] === 'ON'} disabled=${!admin || busy === name || values[name] === undefined}
          onChange=${(on) => flip(name, on)}
          hint=${name === 'recordings' && !recordInConfig ? 'Recordings can only be turned on when record.enabled is set in the config' : undefined} />
      </div>`)}
    </div>
    ${!admin && html`<p class="muted small">Only admins can change these.</p>`}
  <//>`;
}

function TrackedObjects({ camera }) {
  const { objects, error } = useTrackedObjects(camera);
  return html`<${Card} title=${`Tracked now${objects.length ? ` (${objects.length})` : ''}`} class="camera-objects">
    <${ErrorBox} error=${error} />
    ${objects.length ? html`<ul class="object-list">
      ${objects.map((o) => html`<li key=${o.id} class="object-row" data-label=${o.label}>
        <span class="object-icon"><${Icon} name="object" size=${18} /></span>
        <span class="object-main">
          <span class="object-title"><b>${o.label}</b>${o.subLabel && html` · ${o.subLabel}${o.subScore ? ` (${Math.round(o.subScore * 100)}%)` : ''}`}
            ${o.manual && html` <span class="badge">manual</span>`}${o.stationary && html` <span class="badge">still</span>`}</span>
          <span class="muted small">${o.zones.length ? o.zones.join(', ') : 'no zone'} · since ${timeAgo(o.startTime)}</span>
        </span>
        ${(o.score || o.topScore) > 0 && html`<span class="object-score" title="Score">${Math.round((o.score || o.topScore) * 100)}%</span>`}
      </li>`)}
    </ul>` : html`<${Empty}>Nothing tracked right now.<//>`}
  <//>`;
}

const INPUT_ROLES = { restream: 'Camera connection (restream)', detect: 'Detect stream', record: 'Recording' };

function sinceText(seconds) {
  if (seconds === null || seconds === undefined) return 'no frame yet';
  return seconds < 2 ? 'frames now' : `last frame ${formatDuration(seconds)} ago`;
}

/** Each input's state, the time since its last frame and its last error (`/api/stats`). */
function Health({ inputs }) {
  if (!inputs.length) return null;
  return html`<${Card} title="Camera health" class="camera-health">
    <ul class="health-list">
      ${inputs.map((i) => html`<li key=${i.role} class="health-row" data-input=${i.role} data-state=${i.state}>
        <span class=${`health-dot health-${i.state === 'failed' ? 'failed' : i.trouble ? 'trouble' : i.state}`} aria-hidden="true"></span>
        <span class="health-main">
          <span><b>${INPUT_ROLES[i.role] || i.role}</b> · ${i.state}${i.codec ? ` · ${i.codec}` : ''}${i.clients !== undefined && i.clients !== null ? ` · ${i.clients} client${i.clients === 1 ? '' : 's'}` : ''}</span>
          <span class="muted small">${i.state === 'off' ? 'not used' : sinceText(i.since)}</span>
          ${i.error && html`<span class="health-error small">${i.error}</span>`}
        </span>
      </li>`)}
    </ul>
  <//>`;
}

function ManualEvent({ camera, open, onClose }) {
  const [label, setLabel] = useState('manual');
  const [subLabel, setSubLabel] = useState('');
  const [duration, setDuration] = useState(30);
  const [busy, setBusy] = useState(false);
  async function submit(event) {
    event.preventDefault();
    setBusy(true);
    const done = await act(() => api.post(`api/events/${encodeURIComponent(camera)}/${encodeURIComponent(label)}/create`,
      { sub_label: subLabel || null, duration: Number(duration), include_recording: true }), `Event "${label}" started on ${camera}`);
    setBusy(false);
    if (done) onClose();
  }
  return html`<${Dialog} open=${open} title=${`New event on ${camera}`} onClose=${onClose}>
    <form class="manual-form" onSubmit=${submit}>
      <label class="field"><span>Label</span><input required pattern="[A-Za-z0-9_ \\-]{1,50}" value=${label}
        onInput=${(e) => setLabel(e.target.value)} /></label>
      <label class="field"><span>Sub label (optional)</span><input maxlength="100" value=${subLabel}
        onInput=${(e) => setSubLabel(e.target.value)} /></label>
      <label class="field"><span>Duration (seconds)</span><input type="number" min="1" max="86400" required value=${duration}
        onInput=${(e) => setDuration(e.target.value)} /></label>
      <div class="form-actions"><button type="button" class="button" onClick=${onClose}>Cancel</button>
        <button class="button button-primary" type="submit" disabled=${busy}>Create event</button></div>
    </form>
  <//>`;
}

export default function Camera({ route }) {
  const camera = route.args[0];
  const { config, error } = useConfig();
  const { stats } = useStats();
  const motion = useTopic(`${camera}/motion`);
  const [manualOpen, setManualOpen] = useState(false);
  const overlays = Object.fromEntries(OVERLAYS.map(([key]) => [key, route.params[key] === '1']));
  if (error) return html`<main class="page"><${ErrorBox} error=${error} /></main>`;
  if (!config) return html`<div class="page-loading"><${Spinner} /></div>`;
  if (!camera || !config.cameras[camera]) {
    return html`<main class="page"><${ErrorBox} error=${new Error(`There is no camera "${camera || ''}".`)} />
      <p><a href="#/">Back to the live dashboard</a></p></main>`;
  }
  const status = cameraStatus(stats, camera);
  function toggle(key) {
    const params = { ...route.params, [key]: overlays[key] ? null : '1' };
    navigate('camera', [camera], params, true);
  }
  return html`<main class="page camera-page">
    <div class="page-head">
      <a class="icon-button" href="#/" aria-label="Back to all cameras"><${Icon} name="back" /></a>
      <h1>${camera}</h1>
      ${status.known && html`<span class=${`badge ${status.online ? 'badge-ok' : 'badge-danger'}`} data-testid="camera-status">
        ${status.online ? `${status.fps.toFixed(1)} fps` : 'offline'}</span>`}
      ${motion === 'ON' && status.online && html`<span class="badge badge-motion"><${Icon} name="motion" size=${14} />Motion</span>`}
      <span class="head-actions">
        ${session.pages.includes('recordings') && html`<a class="button" href=${href('recordings', [], { camera })}>
          <${Icon} name="recordings" size=${18} />Recordings</a>`}
        ${isAdmin() && html`<button class="button" onClick=${() => setManualOpen(true)}><${Icon} name="plus" size=${18} />Manual event</button>`}
        ${status.online && html`<${SendToAnnotation} camera=${camera} />`}
      </span>
    </div>
    <div class="camera-layout">
      <section class="camera-live" aria-label="Live view">
        <div class="camera-frame" style=${`--aspect: ${aspectOf(config, camera)}`}>
          <${LiveView} camera=${camera} overlays=${overlays} height=${720} aspect=${aspectOf(config, camera)}
            active=${status.online} intervalMs=${500} restreamed=${status.restreamed} />
          ${status.known && !status.online && html`<div class="cam-offline-note camera-offline" role="status"><strong>Offline</strong>
            <span>${status.error || 'No frames from the camera.'}</span></div>`}
        </div>
        <div class="chips overlay-toggles" role="group" aria-label="Overlays">
          ${OVERLAYS.map(([key, label]) => html`<button type="button" class="chip" aria-pressed=${overlays[key] ? 'true' : 'false'}
            data-overlay=${key} onClick=${() => toggle(key)}>${label}</button>`)}
        </div>
      </section>
      <aside class="camera-side">
        <${Switches} camera=${camera} config=${config} />
        <${TrackedObjects} camera=${camera} />
        <${Health} inputs=${status.inputs} />
      </aside>
    </div>
    <${ManualEvent} camera=${camera} open=${manualOpen} onClose=${() => setManualOpen(false)} />
  </main>`;
}
