// The API client: JSON over fetch with the session cookie, errors as ApiError carrying the
// server's message (Roost answers {"success": false, "message": ...}). Paths are relative
// ("api/events"), so the UI also works behind a reverse proxy under a sub-path.
import { useEffect, useState, useCallback, useRef } from './html.js';
import { toast } from './ui.js';

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/** "api/events" + {camera: "front", limit: 50} → "api/events?camera=front&limit=50"
 *  (null, undefined and "" values are left out; arrays become comma-separated lists). */
export function url(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value === null || value === undefined || value === '') continue;
    query.set(key, Array.isArray(value) ? value.join(',') : String(value));
  }
  const text = query.toString();
  return text ? `${path}${path.includes('?') ? '&' : '?'}${text}` : path;
}

let onUnauthorized = () => {};
/** The shell installs what a 401 does (the session ended: show the login). */
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

async function request(method, path, { params, body, signal } = {}) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' }, signal };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url(path, params), init);
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, `Roost is not reachable (${error.message})`, null);
  }
  const type = response.headers.get('content-type') || '';
  const data = type.includes('json') ? await response.json().catch((error) => { if (error.name === 'AbortError') throw error; return null; }) : await response.text();
  if (!response.ok) {
    const message = (data && data.message) || (typeof data === 'string' && data) || response.statusText;
    if (response.status === 401 && !path.endsWith('login')) onUnauthorized();
    throw new ApiError(response.status, `${message} (HTTP ${response.status})`, data);
  }
  return data;
}

export const api = {
  get: (path, params, options) => request('GET', path, { params, ...options }),
  post: (path, body = {}, options) => request('POST', path, { body, ...options }),
  put: (path, body = {}, options) => request('PUT', path, { body, ...options }),
  del: (path, options) => request('DELETE', path, options),
};

/** Run an action (a promise-returning fn); show `done` as a toast on success and the
 *  server's message on failure. Resolves to the result, or undefined after an error. */
export async function act(fn, done) {
  try {
    const result = await fn();
    if (done) toast(done);
    return result;
  } catch (error) {
    toast(error.message, 'error');
    return undefined;
  }
}

/** GET `path` with `params` while the component is mounted; refetches when they change.
 *  Returns {data, error, loading, reload}. `intervalMs` polls (0: once). */
export function useApi(path, params, intervalMs = 0) {
  const [state, setState] = useState({ data: undefined, error: null, loading: true });
  const key = path === null ? null : url(path, params);
  const tick = useRef(0);
  const load = useCallback(() => {
    if (key === null) return () => {};
    const controller = new AbortController();
    const mine = ++tick.current;
    setState((s) => ({ ...s, loading: true }));
    request('GET', key, { signal: controller.signal })
      .then((data) => mine === tick.current && setState({ data, error: null, loading: false }))
      .catch((error) => error.name !== 'AbortError' && mine === tick.current
        && setState((s) => ({ data: s.data, error, loading: false })));
    return () => controller.abort();
  }, [key]);
  useEffect(() => {
    let cancel = load();
    if (!intervalMs) return () => cancel();
    const timer = setInterval(() => { cancel = load(); }, intervalMs);
    return () => { clearInterval(timer); cancel(); };
  }, [load, intervalMs]);
  return { ...state, reload: load };
}
