// Settings → Cameras: the camera list (enable/disable, edit, delete) and the camera form:
// streams with their roles, credentials entered once (never shown back: the server stores
// a {FRIGATE_*} reference), and a probe (ffprobe + one frame) that must succeed before a
// save — an unreachable camera shows ffmpeg's reason and nothing is written.
import { html, useEffect, useState } from '../lib/html.js';
import { api, act } from '../lib/api.js';
import { Card, Dialog, ErrorBox, Icon, Spinner, Switch, toast } from '../lib/ui.js';
import { SaveNotice, saveConfig, useFreshConfig } from './settings-common.js';

const ROLES = [['detect', 'Detect'], ['record', 'Record'], ['audio', 'Audio']];
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

function rolesOf(camera) {
  return [...new Set((camera.ffmpeg?.inputs || []).flatMap((i) => i.roles))];
}

function CameraList({ config, onEdit, onAnswer, reload }) {
  const [deleting, setDeleting] = useState(null);
  const names = Object.keys(config.cameras);
  const toggle = async (name, on) => {
    const answer = await act(() => saveConfig({ cameras: { [name]: { enabled: on } } }));
    if (answer) { onAnswer(answer); reload(); }
  };
  const remove = async () => {
    const answer = await act(() => api.del(`api/camera_setup/${encodeURIComponent(deleting)}`));
    setDeleting(null);
    if (answer) { onAnswer(answer); reload(); }
  };
  return html`<${Card} title="Cameras" actions=${html`<button class="button button-primary" onClick=${() => onEdit('')}>
      <${Icon} name="plus" size=${18} /> Add camera</button>`}>
    <table class="settings-table settings-cameras">
      <thead><tr><th>Camera</th><th>Detect</th><th>Enabled</th><th></th></tr></thead>
      <tbody>${names.map((name) => {
        const camera = config.cameras[name];
        return html`<tr key=${name} data-camera=${name}>
          <td><strong>${name}</strong><div class="muted small">${rolesOf(camera).join(', ')}</div></td>
          <td class="small">${camera.detect.width}×${camera.detect.height} · ${camera.detect.fps} fps</td>
          <td><${Switch} label=${camera.enabled ? 'On' : 'Off'} checked=${camera.enabled} onChange=${(on) => toggle(name, on)} /></td>
          <td class="settings-actions"><button class="button" onClick=${() => onEdit(name)}>Edit</button>
            <button class="button button-danger" onClick=${() => setDeleting(name)} aria-label=${`Delete ${name}`}>Delete</button></td>
        </tr>`;
      })}</tbody>
    </table>
    <${Dialog} open=${Boolean(deleting)} title=${`Delete camera ${deleting}?`} onClose=${() => setDeleting(null)}>
      <p>The camera's section is removed from the config file (its recordings and events stay until they expire).</p>
      <div class="settings-toolbar"><button class="button button-danger" onClick=${remove}>Delete camera</button>
        <button class="button" onClick=${() => setDeleting(null)}>Cancel</button></div>
    <//>
  <//>`;
}

function emptyForm() {
  return { name: '', inputs: [{ path: '', roles: ['detect'], input_args: null }], username: '', password: '',
    has_password: false, enabled: true, width: '', height: '', fps: 5 };
}

function StreamRow({ stream, index, count, onChange, onRemove }) {
  const flip = (role) => onChange({ ...stream, roles: stream.roles.includes(role) ? stream.roles.filter((r) => r !== role) : [...stream.roles, role] });
  return html`<fieldset class="settings-stream">
    <legend>Stream ${index + 1}</legend>
    <label class="field">URL or file <input value=${stream.path} placeholder="rtsp://192.168.1.20:554/stream1" spellcheck="false"
      onInput=${(e) => onChange({ ...stream, path: e.target.value })} /></label>
    <div class="chips" role="group" aria-label=${`Roles of stream ${index + 1}`}>
      ${ROLES.map(([role, label]) => html`<button type="button" class="chip" aria-pressed=${stream.roles.includes(role) ? 'true' : 'false'}
        onClick=${() => flip(role)}>${label}</button>`)}
      ${count > 1 && html`<button type="button" class="link-button settings-stream-remove" onClick=${onRemove}>Remove stream</button>`}
    </div>
    <label class="field">Input args <span class="muted small">(optional, ffmpeg; empty keeps Roost's defaults)</span>
      <input value=${stream.input_args || ''} spellcheck="false" placeholder="-stream_loop -1 -re"
        onInput=${(e) => onChange({ ...stream, input_args: e.target.value })} /></label>
  </fieldset>`;
}

function CameraForm({ name, onClose, onAnswer }) {
  const isNew = !name;
  const [form, setForm] = useState(isNew ? emptyForm() : null);
  const [error, setError] = useState(null);
  const [probe, setProbe] = useState(null);  // {success, width, height, codec, fps, frame} or {success: false, message}
  const [busy, setBusy] = useState('');
  useEffect(() => {
    if (isNew) return;
    api.get(`api/camera_setup/${encodeURIComponent(name)}`).then((f) => setForm({ ...f, password: '', width: f.width || '', height: f.height || '', fps: f.fps || 5 }), setError);
  }, [name]);
  if (error) return html`<${ErrorBox} error=${error} />`;
  if (!form) return html`<${Spinner} />`;
  const set = (patch) => setForm((f) => ({ ...f, ...patch }));
  const detectIndex = Math.max(0, form.inputs.findIndex((i) => i.roles.includes('detect')));

  const runProbe = async () => {
    const stream = form.inputs[detectIndex];
    setBusy('Reading the stream…');
    setProbe(null);
    try {
      const answer = await api.post('api/camera_setup/probe', { path: stream.path.trim(), username: form.username,
        password: form.password || null, camera: isNew ? null : name });
      setProbe(answer);
      if (answer.success) set({ width: answer.width, height: answer.height, fps: form.fps || Math.min(5, Math.round(answer.fps) || 5) });
      setBusy('');
      return answer;
    } catch (e) {
      setBusy('');
      toast(e.message, 'error');
      return null;
    }
  };
  const save = async () => {
    const cameraName = isNew ? form.name.trim() : name;
    if (!NAME.test(cameraName)) { toast('Name: 1-64 letters, digits, "_" or "-"', 'error'); return; }
    if (!form.inputs.some((i) => i.roles.includes('detect'))) { toast('One stream needs the Detect role', 'error'); return; }
    const probed = await runProbe();
    if (!probed?.success) return;  // the reason is shown; nothing is saved
    setBusy('Saving…');
    const body = {
      inputs: form.inputs.map((i) => ({ path: i.path.trim(), roles: i.roles, input_args: i.input_args === null ? null : i.input_args })),
      username: form.username.trim(), password: form.password || null, enabled: form.enabled,
      width: Number(form.width || probed.width), height: Number(form.height || probed.height), fps: Number(form.fps) || 5, create: isNew,
    };
    const answer = await act(() => api.put(`api/camera_setup/${encodeURIComponent(cameraName)}`, body));
    setBusy('');
    if (answer) { onAnswer(answer); onClose(true); }
  };

  return html`<${Card} title=${isNew ? 'Add a camera' : `Edit ${name}`} class="settings-camera-form">
    <div class="settings-split">
      <div class="settings-form">
        ${isNew && html`<label class="field">Name <input value=${form.name} placeholder="front_door" spellcheck="false"
          onInput=${(e) => set({ name: e.target.value })} /></label>`}
        ${form.inputs.map((stream, index) => html`<${StreamRow} key=${index} stream=${stream} index=${index} count=${form.inputs.length}
          onChange=${(s) => set({ inputs: form.inputs.map((old, i) => (i === index ? s : old)) })}
          onRemove=${() => set({ inputs: form.inputs.filter((_, i) => i !== index) })} />`)}
        ${form.inputs.length < 4 && html`<button type="button" class="button" onClick=${() => set({ inputs: [...form.inputs, { path: '', roles: ['record'], input_args: null }] })}>
          <${Icon} name="plus" size=${18} /> Add a stream</button>`}
        <div class="settings-row">
          <label class="field">User <input value=${form.username} autocomplete="off" spellcheck="false" onInput=${(e) => set({ username: e.target.value })} /></label>
          <label class="field">Password <input type="password" value=${form.password} autocomplete="new-password"
            placeholder=${form.has_password ? 'unchanged (stored)' : ''} onInput=${(e) => set({ password: e.target.value })} /></label>
        </div>
        <p class="settings-hint">${'Credentials are used for every stream of this camera. The password is stored as '}<code>{FRIGATE_…_PASSWORD}</code>${' under '}<code>environment_vars</code>${' and never shown again.'}</p>
        <div class="settings-row">
          <label class="field">Detect width <input type="number" min="16" value=${form.width} onInput=${(e) => set({ width: e.target.value })} /></label>
          <label class="field">Detect height <input type="number" min="16" value=${form.height} onInput=${(e) => set({ height: e.target.value })} /></label>
          <label class="field">Detect fps <input type="number" min="1" max="60" value=${form.fps} onInput=${(e) => set({ fps: e.target.value })} /></label>
        </div>
        <${Switch} label="Enabled" checked=${form.enabled} onChange=${(on) => set({ enabled: on })} />
        <div class="settings-toolbar">
          <button class="button" onClick=${runProbe} disabled=${!!busy || !form.inputs[detectIndex]?.path.trim()}>Test stream</button>
          <button class="button button-primary" onClick=${save} disabled=${!!busy}>${isNew ? 'Add camera' : 'Save camera'}</button>
          <button class="button" onClick=${() => onClose(false)} disabled=${!!busy}>Cancel</button>
          <span class="muted small" role="status">${busy}</span>
        </div>
      </div>
      <div class="settings-probe" aria-live="polite">
        ${probe === null ? html`<p class="muted small">Test the detect stream to see its size and a frame. Saving tests it first.</p>`
          : probe.success ? html`<p class="settings-probe-ok"><strong>${probe.width}×${probe.height}</strong> · ${probe.codec}
              ${probe.fps ? ` · ${probe.fps} fps` : ''}</p><img src=${probe.frame} alt="Test frame from the stream" />`
          : html`<p><strong>The stream cannot be read.</strong> Nothing was saved.</p><pre class="settings-error-box">${probe.message}</pre>`}
      </div>
    </div>
  <//>`;
}

export default function CamerasTab() {
  const { config, error, reload } = useFreshConfig();
  const [editing, setEditing] = useState(null);  // null: list; '': new camera; name: edit
  const [answer, setAnswer] = useState(null);
  if (error && !config) return html`<${ErrorBox} error=${error} onRetry=${reload} />`;
  if (!config) return html`<${Spinner} />`;
  return html`<section class="settings-cameras-tab">
    <${SaveNotice} answer=${answer} onDismiss=${() => { setAnswer(null); reload(); }} />
    ${editing !== null
      ? html`<${CameraForm} key=${editing} name=${editing} onAnswer=${setAnswer}
          onClose=${(saved) => { setEditing(null); if (saved) reload(); }} />`
      : html`<${CameraList} config=${config} onEdit=${setEditing} onAnswer=${setAnswer} reload=${reload} />`}
  </section>`;
}
