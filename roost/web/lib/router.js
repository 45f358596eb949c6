// Hash routing: "#/camera/front?overlay=1" → {page: "camera", args: ["front"], params: {overlay: "1"}}.
// A page is the module pages/<page>.js (loaded on first visit); "#/" is the live dashboard.
import { useEffect, useState } from './html.js';

export const DEFAULT_PAGE = 'live';

export function parseHash(hash) {
  const text = (hash || '').replace(/^#\/?/, '');
  const [path, query = ''] = text.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { page: parts[0] || DEFAULT_PAGE, args: parts.slice(1), params: Object.fromEntries(new URLSearchParams(query)) };
}

/** href for a page: href("recordings", [], {camera: "front"}) → "#/recordings?camera=front". */
export function href(page, args = [], params = {}) {
  const path = [page, ...args].map(encodeURIComponent).join('/');
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== ''));
  const text = query.toString();
  return `#/${path}${text ? `?${text}` : ''}`;
}

/** Go to a page; `replace` changes the URL without a new history entry (filters, tabs). */
export function navigate(page, args = [], params = {}, replace = false) {
  const target = href(page, args, params);
  if (replace) {
    history.replaceState(null, '', target);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    window.location.hash = target;
  }
}

/** The current route, re-rendering on every hash change. */
export function useRoute() {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
