// Settings → Motion tuner: the live picture with the motion boxes (blue) and masks drawn by
// the server (latest.jpg?motion=1&mask=1), sliders that change the camera's motion
// threshold and contour area at once through the same controls as MQTT
// (`<camera>/motion_threshold/set`, published back on `/state`), and a save that writes
// them to the config file.
import { html, useEffect, useRef, useState } from '../lib/html.js';
import { api } from '../lib/api.js';
import { subscribe } from '../lib/ws.js';
import { LiveView } from '../lib/live-view.js';
import { Card, ErrorBox, Spinner, Switch, toast } from '../lib/ui.js';
import { CameraPicker, SaveNotice, pickCamera, saveConfig, useFreshConfig } from './settings-common.js';

const SLIDERS = [
  { control: 'motion_threshold', key: 'threshold', label: 'Threshold', min: 1, max: 255,
    hint: 'How much a pixel must change to count as motion. Higher is less sensitive.' },
  { control: 'motion_contour_area', key: 'contour_area', label: 'Contour area', min: 1, max: 200,
    hint: 'Smallest changed area (in motion-frame pixels) reported as motion. Higher ignores small things.' },
];
const SEND_DELAY_MS = 150;

/** The camera's motion controls, live: from /api/controls, then the `/state` topics. */
function useMotionControls(camera) {
  const [values, setValues] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let live = true;
    api.get('api/controls').then((all) => live && setValues((v) => ({ ...all[camera], ...v })), (e) => live && setError(e));
    const offs = ['motion_threshold', 'motion_contour_area', 'improve_contrast'].map((name) =>
      subscribe(`${camera}/${name}/state`, (payload) => setValues((v) => ({ ...v, [name]: name === 'improve_contrast' ? payload : Number(payload) }))));
    const offMotion = subscribe(`${camera}/motion`, (payload) => setValues((v) => ({ ...v, moving: payload === 'ON' })));
    return () => { live = false; offs.forEach((off) => off()); offMotion(); };
  }, [camera]);
  return { values, setValues, error };
}

function Tuner({ config, name }) {
  const camera = config.cameras[name];
  const { values, setValues, error } = useMotionControls(name);
  const [answer, setAnswer] = useState(null);
  const [saving, setSaving] = useState(false);
  const timers = useRef({});
  useEffect(() => () => Object.values(timers.current).forEach(clearTimeout), []);
  const send = (control, value) => {
    clearTimeout(timers.current[control]);
    timers.current[control] = setTimeout(() => {
      api.put(`api/${encodeURIComponent(name)}/controls/${control}`, { value }).catch((e) => toast(e.message, 'error'));
    }, SEND_DELAY_MS);
  };
  if (error) return html`<${ErrorBox} error=${error} />`;
  if (!values) return html`<${Spinner} />`;
  const saved = camera.motion;
  const dirty = values.motion_threshold !== saved.threshold || values.motion_contour_area !== saved.contour_area
    || (values.improve_contrast === 'ON') !== saved.improve_contrast;
  const save = async () => {
    setSaving(true);
    try {
      setAnswer(await saveConfig({ cameras: { [name]: { motion: {
        threshold: values.motion_threshold, contour_area: values.motion_contour_area, improve_contrast: values.improve_contrast === 'ON' } } } }));
      Object.assign(saved, { threshold: values.motion_threshold, contour_area: values.motion_contour_area, improve_contrast: values.improve_contrast === 'ON' });
    } catch (e) {
      toast(e.message, 'error');
    }
    setSaving(false);
  };
  const { width, height } = camera.detect;
  return html`<div class="settings-split settings-motion">
    <div>
      <div class="settings-stage settings-motion-stage">
        <${LiveView} camera=${name} overlays=${{ motion: 1, mask: 1 }} height=${Math.min(height, 720)} aspect=${width / height} intervalMs=${500} />
      </div>
      <p class="settings-hint">Blue boxes are motion; grey areas are motion masks (edit them under Masks & zones).</p>
    </div>
    <div class="settings-side">
      <${Card} title="Motion" actions=${values.moving !== undefined && html`<span class=${`badge ${values.moving ? 'badge-motion' : ''}`} role="status">${values.moving ? 'Motion' : 'No motion'}</span>`}>
        <div class="settings-form">
          ${SLIDERS.map((s) => html`<label class="settings-slider" key=${s.control}>
            <span class="settings-slider-head"><span>${s.label}</span><output>${values[s.control]}</output></span>
            <input type="range" min=${s.min} max=${s.max} step="1" value=${values[s.control]} aria-label=${s.label}
              onInput=${(e) => { const v = Number(e.target.value); setValues((old) => ({ ...old, [s.control]: v })); send(s.control, v); }} />
            <span class="settings-hint">${s.hint} Saved: ${saved[s.key]}.</span>
          </label>`)}
          <${Switch} label="Improve contrast" checked=${values.improve_contrast === 'ON'}
            onChange=${(on) => { setValues((old) => ({ ...old, improve_contrast: on ? 'ON' : 'OFF' })); send('improve_contrast', on ? 'ON' : 'OFF'); }} />
          <p class="settings-hint">Changes act at once; they last until Roost restarts unless saved.</p>
          <div class="settings-toolbar">
            <button class="button button-primary" onClick=${save} disabled=${saving || !dirty}>Save to config</button>
            <span class="muted small" role="status">${dirty ? 'Not saved' : 'Saved'}</span>
          </div>
          ${!dirty && html`<${SaveNotice} answer=${answer} onDismiss=${() => setAnswer(null)} />`}
        </div>
      <//>
    </div>
  </div>`;
}

export default function MotionTab({ route }) {
  const { config, error, reload } = useFreshConfig();
  if (error && !config) return html`<${ErrorBox} error=${error} onRetry=${reload} />`;
  if (!config) return html`<${Spinner} />`;
  const name = pickCamera(config, route);
  return html`<section>
    <div class="settings-toolbar"><${CameraPicker} config=${config} camera=${name} tab="motion" /></div>
    <${Tuner} key=${name} config=${config} name=${name} />
  </section>`;
}
