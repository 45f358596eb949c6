// Inline SVG icons (24x24, stroke = currentColor), drawn for Roost.
import { html } from './html.js';

const PATHS = {
  live: 'M3 7h13v10H3zM16 10l5-3v10l-5-3',
  review: 'M4 5h16v11H8l-4 4zM8 10h8M8 13h5',
  explore: 'M11 4a7 7 0 1 0 0 14 7 7 0 0 0 0-14zM16 16l5 5',
  recordings: 'M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zM12 7v5l3 2',
  exports: 'M12 3v12M7 10l5 5 5-5M4 19h16',
  system: 'M4 20V10M10 20V4M16 20v-7M22 20H2',
  settings: 'M12 9a3 3 0 1 0 0 6 3 3 0 0 0 0-6zM12 2v3M12 19v3M4.9 4.9l2.1 2.1M17 17l2.1 2.1M2 12h3M19 12h3M4.9 19.1 7 17M17 7l2.1-2.1',
  logout: 'M15 4h4v16h-4M10 8l-4 4 4 4M6 12h10',
  close: 'M6 6l12 12M18 6L6 18',
  back: 'M15 5l-7 7 7 7',
  camera: 'M4 8h3l2-2h6l2 2h3v11H4zM12 10a3 3 0 1 0 0 6 3 3 0 0 0 0-6z',
  motion: 'M4 12h3l2-6 4 12 2-6h5',
  object: 'M12 4a4 4 0 1 0 0 8 4 4 0 0 0 0-8zM5 20c1-4 4-6 7-6s6 2 7 6',
  plus: 'M12 5v14M5 12h14',
  user: 'M12 4a4 4 0 1 0 0 8 4 4 0 0 0 0-8zM5 20c1-4 4-6 7-6s6 2 7 6',
  refresh: 'M20 12a8 8 0 1 1-3-6.2M20 4v5h-5',
  alert: 'M12 3l10 18H2zM12 10v5M12 18v.5',
  classification: 'M4 4h7v7H4zM13 4h7v7h-7zM4 13h7v7H4zM14 17l2 2 4-4',
  annotate: 'M3 8V3h5M16 3h5v5M21 16v5h-5M8 21H3v-5M8 8h8v8H8z',
};

export function Icon({ name, size = 20, title }) {
  return html`<svg class="icon" width=${size} height=${size} viewBox="0 0 24 24" fill="none"
    stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"
    aria-hidden=${title ? undefined : 'true'} role=${title ? 'img' : undefined}>
    ${title ? html`<title>${title}</title>` : null}<path d=${PATHS[name] || PATHS.alert} /></svg>`;
}
