// What the settings tabs share: the config as it is now (not the tab-long cache of
// lib/store.js: these tabs change it), the camera picker, saving a change through
// `PUT /api/config/set` (comments kept, validated) and the "restart to apply" notice.
import { html, useCallback, useEffect, useState } from '../lib/html.js';
import { api } from '../lib/api.js';
import { navigate } from '../lib/router.js';
import { toast } from '../lib/ui.js';
import { waitForRestart } from './settings-config.js';

/** {config, error, reload}: a fresh `/api/config`, fetched on mount and on reload(). */
export function useFreshConfig() {
  const [state, setState] = useState({ config: undefined, error: null });
  const reload = useCallback(() => api.get('api/config', { cache: Date.now() })
    .then((config) => setState({ config, error: null }), (error) => setState((s) => ({ ...s, error }))), []);
  useEffect(() => { reload(); }, [reload]);
  return { ...state, reload };
}

/** Save a nested change (`{cameras: {front: {...}}}`); null values delete keys. Resolves to
 *  the server's answer ({success, requires_restart, message}); throws ApiError when the
 *  result would be invalid (the file is then untouched). */
export function saveConfig(change) {
  return api.put('api/config/set', { config_data: change });
}

/** The camera the tab edits: `?camera=` or the first one; the picker keeps it in the query. */
export function CameraPicker({ config, camera, tab }) {
  const names = Object.keys(config?.cameras || {});
  return html`<label class="field settings-camera-pick">Camera
    <select value=${camera} onChange=${(e) => navigate('settings', [tab], { camera: e.target.value }, true)}>
      ${names.map((name) => html`<option value=${name}>${config.cameras[name].friendly_name || name}</option>`)}
    </select></label>`;
}

export function pickCamera(config, route) {
  const names = Object.keys(config?.cameras || {});
  return names.includes(route.params.camera) ? route.params.camera : names[0];
}

/** After a save: "applied" or "restart to apply" with a restart button. */
export function SaveNotice({ answer, onDismiss }) {
  const [busy, setBusy] = useState('');
  if (!answer) return null;
  const restart = async () => {
    setBusy('Restarting…');
    try {
      await api.post('api/restart');
      const back = await waitForRestart((m) => setBusy(m));
      toast(back ? 'Roost restarted with the new config' : 'Roost did not come back in 2 minutes; see its log', back ? 'info' : 'error');
      if (back) onDismiss?.();
    } catch (error) {
      toast(error.message, 'error');
    }
    setBusy('');
  };
  return html`<div class=${`settings-result ${answer.requires_restart ? 'settings-restart' : 'settings-ok'}`} role="status">
    ${answer.requires_restart
      ? html`<span><strong>Saved.</strong> Roost needs a restart to apply this change.</span>
          <button class="button button-primary" onClick=${restart} disabled=${!!busy}>${busy || 'Restart now'}</button>`
      : html`<span><strong>Saved and applied.</strong> Roost uses it now; no restart needed.</span>`}
  </div>`;
}

/** Polygon points [[x, y], ...] of the config (detect pixels, or already 0-1) → relative 0-1. */
export function toRelative(points, width, height) {
  const flat = points.flat();
  const relative = flat.every((v) => v <= 1);
  return points.map(([x, y]) => (relative ? [x, y] : [x / width, y / height]));
}

/** Relative points → Frigate's "x1,y1,x2,y2,..." with 3 decimals (as its UI writes). */
export function coordinateText(points) {
  return points.map(([x, y]) => `${round3(x)},${round3(y)}`).join(',');
}

const round3 = (v) => String(Math.round(Math.min(1, Math.max(0, v)) * 1000) / 1000);
