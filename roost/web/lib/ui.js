// Shared components and formatters. Styles: styles/base.css (classes named after the component).
import { html, useEffect, useRef, useState } from './html.js';
import { Icon } from './icons.js';

export { Icon };

// ---- toasts ---------------------------------------------------------------------------
const toastListeners = new Set();
let toastId = 0;
const TOAST_MS = { info: 3500, error: 7000 };

/** Show a short message; kind "info" or "error" (errors stay longer and are announced). */
export function toast(message, kind = 'info') {
  const item = { id: ++toastId, message: String(message), kind };
  for (const fn of toastListeners) fn(item);
}

export function Toasts() {
  const [items, setItems] = useState([]);
  useEffect(() => {
    const add = (item) => {
      setItems((list) => [...list.slice(-4), item]);
      setTimeout(() => setItems((list) => list.filter((i) => i.id !== item.id)), TOAST_MS[item.kind] || 3500);
    };
    toastListeners.add(add);
    return () => toastListeners.delete(add);
  }, []);
  return html`<div class="toasts" aria-live="polite">
    ${items.map((i) => html`<div key=${i.id} class="toast toast-${i.kind}" role=${i.kind === 'error' ? 'alert' : 'status'}>
      <span>${i.message}</span>
      <button class="icon-button" aria-label="Dismiss" onClick=${() => setItems((l) => l.filter((x) => x.id !== i.id))}>
        <${Icon} name="close" size=${16} /></button></div>`)}
  </div>`;
}

// ---- dialog ---------------------------------------------------------------------------
/** A modal dialog (native <dialog>: focus trap and Escape for free). */
export function Dialog({ open, title, onClose, children, wide = false }) {
  const ref = useRef(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return html`<dialog ref=${ref} class=${`dialog ${wide ? 'dialog-wide' : ''}`} onClose=${onClose}
      onClick=${(e) => e.target === ref.current && onClose?.()}>
    ${open && html`<div class="dialog-body">
      <header class="dialog-head"><h2>${title}</h2>
        <button class="icon-button" aria-label="Close" onClick=${onClose}><${Icon} name="close" /></button></header>
      ${children}</div>`}
  </dialog>`;
}

// ---- images and grids -----------------------------------------------------------------
/** An <img> loaded only near the viewport, with a placeholder while loading and a
 *  "no image" state when the server has none. */
export function LazyImg({ src, alt = '', class: cls = '', width, height, onClick }) {
  const [state, setState] = useState('loading');
  useEffect(() => setState('loading'), [src]);
  return html`<span class=${`lazy-img lazy-${state} ${cls}`} onClick=${onClick}>
    ${state === 'error' ? html`<span class="lazy-missing">no image</span>`
      : html`<img src=${src} alt=${alt} loading="lazy" decoding="async" width=${width} height=${height}
          onLoad=${() => setState('loaded')} onError=${() => setState('error')} />`}
  </span>`;
}

/** A responsive grid of `items` drawn by `render(item)`; `onMore()` is called when the end
 *  of the grid scrolls into view and `hasMore` is true (infinite scroll, no "load all"). */
export function ThumbGrid({ items, render, keyOf = (i) => i.id, onMore, hasMore = false, loading = false, empty = 'Nothing here yet.' }) {
  const sentinel = useRef(null);
  useEffect(() => {
    if (!onMore || !hasMore || !sentinel.current) return undefined;
    const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && onMore(),
      { rootMargin: '600px' });
    observer.observe(sentinel.current);
    return () => observer.disconnect();
  }, [onMore, hasMore, items.length]);
  if (!items.length && !loading) return html`<${Empty}>${empty}<//>`;
  return html`<div class="thumb-grid">
    ${items.map((item) => html`<div class="thumb-cell" key=${keyOf(item)}>${render(item)}</div>`)}
  </div>
  ${hasMore && html`<div ref=${sentinel} class="grid-sentinel">${loading ? html`<${Spinner} />` : ''}</div>`}`;
}

// ---- small pieces ---------------------------------------------------------------------
export function Spinner({ label = 'Loading' }) {
  return html`<span class="spinner" role="status" aria-label=${label}></span>`;
}

export function ErrorBox({ error, onRetry }) {
  if (!error) return null;
  return html`<div class="error-box" role="alert"><${Icon} name="alert" /><span>${error.message || String(error)}</span>
    ${onRetry && html`<button class="button" onClick=${onRetry}>Retry</button>`}</div>`;
}

export function Empty({ children }) {
  return html`<p class="empty">${children}</p>`;
}

/** An accessible on/off switch (a button with role="switch"). */
export function Switch({ checked, onChange, label, disabled = false, hint }) {
  return html`<button type="button" role="switch" class="switch" aria-checked=${checked ? 'true' : 'false'}
      disabled=${disabled} onClick=${() => onChange(!checked)} title=${hint}>
    <span class="switch-track"><span class="switch-thumb"></span></span><span class="switch-label">${label}</span>
  </button>`;
}

export function Card({ title, actions, children, class: cls = '' }) {
  return html`<section class=${`card ${cls}`}>
    ${(title || actions) && html`<header class="card-head"><h2>${title}</h2>${actions}</header>`}
    ${children}</section>`;
}

/** A tiny line chart of [[epoch_s, value], ...] (SVG, scales to its box). */
export function Sparkline({ points, max, unit = '', label, digits = 1 }) {
  const width = 240;
  const height = 56;
  const last = points.length ? points[points.length - 1][1] : null;
  let path = '';
  let area = '';
  if (points.length > 1) {
    const t0 = points[0][0];
    const span = Math.max(points[points.length - 1][0] - t0, 1);
    const top = Math.max(max ?? 0, ...points.map((p) => p[1]) , 1e-9) * 1.15; // headroom: a flat line is not the top edge
    const xy = points.map(([t, v]) => [((t - t0) / span) * width, height - 2 - (v / top) * (height - 6)]);
    path = xy.map(([x, y], i) => `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`).join('');
    area = `${path}L${width},${height}L0,${height}Z`;
  }
  return html`<figure class="sparkline">
    <figcaption><span>${label}</span><strong>${last === null ? '—' : `${last.toFixed(digits)}${unit}`}</strong></figcaption>
    <svg viewBox=${`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img"
      aria-label=${`${label}: ${last === null ? 'no data' : last.toFixed(digits) + unit}`}>
      ${area && html`<path class="spark-area" d=${area} />`}${path && html`<path class="spark-line" d=${path} />`}
    </svg></figure>`;
}

// ---- formatters -----------------------------------------------------------------------
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short', hourCycle: 'h23' });

/** epoch seconds → local "14:03:22" */
export const formatTime = (epoch) => timeFormat.format(new Date(epoch * 1000));
/** epoch seconds → local "2 Dec 2026, 14:03" */
export const formatDateTime = (epoch) => dateTimeFormat.format(new Date(epoch * 1000));

/** seconds → "1 h 02 min", "3 min 05 s", "12 s" */
export function formatDuration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 86400) return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${s} s`;
}

/** megabytes (Frigate's storage unit) → "812 MB", "1.4 GB", "2.10 TB" */
export function formatMB(mb) {
  if (mb >= 1024 * 1024) return `${(mb / 1024 / 1024).toFixed(2)} TB`;
  if (mb >= 1024) return `${(mb / 1024).toFixed(1)} GB`;
  return `${Math.round(mb)} MB`;
}

/** epoch seconds → "just now", "5 min ago", "3 h ago", else the date */
export function timeAgo(epoch, now = Date.now() / 1000) {
  const s = now - epoch;
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return formatDateTime(epoch);
}
