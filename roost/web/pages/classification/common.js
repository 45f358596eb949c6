// Shared by the Classification pages: model data, attempt names, image URLs, uploads.
import { html, useEffect, useState, useCallback } from '../../lib/html.js';
import { api, ApiError } from '../../lib/api.js';

/** The class every object model has (Frigate's rule); never assigned at run time. */
export const NONE = 'none';
/** Poll the status this often while a model trains. */
export const TRAINING_POLL_MS = 1000;

const enc = encodeURIComponent;
export const attemptUrl = (model, file) => `api/clips/${enc(model)}/train/${enc(file)}`;
export const datasetUrl = (model, cls, file) => `api/clips/${enc(model)}/dataset/${enc(cls)}/${enc(file)}`;
export const modelPath = (model, rest = '') => `api/classification/${enc(model)}${rest}`;

const ATTEMPT = /^(\d+\.\d+-[a-z0-9]+|none-none)-(\d+(?:\.\d+)?)-(.+)-([\d.]+|none)\.[a-z]+$/;

/** `<event_id>-<timestamp>-<class>-<score>.webp` → {event, timestamp, label, score} (CONTRACT.md);
 *  event is null for state models (`none-none`), score null for `none`. Null for other names. */
export function parseAttempt(file) {
  const m = ATTEMPT.exec(file);
  if (!m) return null;
  return { event: m[1] === 'none-none' ? null : m[1], timestamp: Number(m[2]), label: m[3],
    score: m[4] === 'none' ? null : Number(m[4]) };
}

export const percent = (value, digits = 0) => (value === null || value === undefined ? '–' : `${(value * 100).toFixed(digits)}\u00a0%`);

/** The model's description from /api/config: {type, threshold, objects, classificationType, cameras}. */
export function modelConfig(config, name) {
  const custom = config?.classification?.custom?.[name];
  if (!custom) return null;
  const object = custom.object_config;
  return {
    type: object ? 'object' : 'state', threshold: custom.threshold,
    objects: object?.objects || [], classificationType: object?.classification_type || null,
    cameras: custom.state_config?.cameras || {},
  };
}

/** Everything one model page shows, reloaded on demand and polled while training:
 *  {listing, dataset, status, config, error, reload}. */
export function useModel(name) {
  const [state, setState] = useState({ listing: null, dataset: null, status: null, config: null, error: null });
  const reload = useCallback(async () => {
    try {
      const [listing, dataset, status, config] = await Promise.all([
        api.get('api/classification'), api.get(modelPath(name, '/dataset')), api.get(modelPath(name, '/status')),
        api.get('api/config')]);
      setState({ listing: listing[name] || null, dataset, status, config: modelConfig(config, name), error: null });
      return status;
    } catch (error) {
      setState((s) => ({ ...s, error }));
      return null;
    }
  }, [name]);
  useEffect(() => { reload(); }, [reload]);
  const training = state.status?.state === 'training';
  useEffect(() => {
    if (!training) return () => {};
    const timer = setInterval(reload, TRAINING_POLL_MS);
    return () => clearInterval(timer);
  }, [training, reload]);
  return { ...state, reload };
}

/** Classes of the model: dataset folders plus configured/labelmap ones, sorted, `none` last. */
export function classesOf(dataset, status, extra = []) {
  const names = new Set([...Object.keys(dataset?.categories || {}), ...(status?.metrics?.confusion_matrix?.classes || []), ...extra]);
  return [...names].sort((a, b) => (a === NONE) - (b === NONE) || a.localeCompare(b));
}

async function send(method, path, body, headers = {}) {
  const response = await fetch(path, { method, credentials: 'same-origin', headers: { Accept: 'application/json', ...headers }, body });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, `${data?.message || response.statusText} (HTTP ${response.status})`, data);
  return data;
}

/** Upload image files into a class (multipart, parts named `file`). */
export function uploadImages(model, cls, files) {
  const form = new FormData();
  for (const file of files) form.append('file', file, file.name);
  return send('POST', modelPath(model, `/dataset/${enc(cls)}/upload`), form);
}

/** Import an exported model archive (the body is the zip). */
export function importArchive(file, name) {
  return send('POST', `api/classification/import${name ? `?name=${enc(name)}` : ''}`, file, { 'Content-Type': 'application/zip' });
}

/** The model's state as shown everywhere: {key, label, detail}. */
export function statusOf(listing, status) {
  const state = status?.state || listing?.status || 'untrained';
  const progress = status?.progress;
  if (state === 'training') {
    const stage = progress?.stage || 'starting';
    const counts = progress?.total ? ` ${progress.done}/${progress.total}` : '';
    return { key: 'training', label: 'Training', detail: `${stage}${counts}`,
      fraction: progress?.total ? progress.done / progress.total : null };
  }
  if (state === 'failed') return { key: 'failed', label: 'Failed', detail: progress?.message || 'training failed' };
  if (state === 'complete') return { key: 'ready', label: 'Ready', detail: '' };
  return { key: 'untrained', label: 'Untrained', detail: 'label images, then train' };
}

export function StatusBadge({ info }) {
  const cls = { ready: 'badge badge-ok', failed: 'badge badge-danger', training: 'badge badge-object', untrained: 'badge' }[info.key];
  return info.key === 'training'
    ? html`<span class=${cls} role="status">${info.label}${info.fraction !== null && info.fraction !== undefined ? ` ${Math.round(info.fraction * 100)} %` : '…'}</span>`
    : html`<span class=${cls}>${info.label}</span>`;
}
