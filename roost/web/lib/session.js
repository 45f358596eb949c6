// Who is using the page, from the boot JSON the server embeds in index.html: on the
// authenticated port the logged-in user (or null: the login page is shown); on the trusted
// port "anonymous" with the admin role, as Frigate treats it.
import { api } from './api.js';

const boot = JSON.parse(document.getElementById('roost-boot')?.textContent || '{}');

export const session = {
  user: boot.user || null,
  /** True on the port with logins (then a logout button makes sense). */
  authenticated: Boolean(boot.authenticated),
  /** Page modules present in pages/ (the nav shows only those). */
  pages: boot.pages || [],
  styles: boot.styles || [],
  version: boot.version || '',
};

/** Admin actions (switches, deletes, manual events, logs) are shown only when this is true. */
export function isAdmin() {
  return session.user?.role === 'admin';
}

export async function logout() {
  try { await api.get('api/logout'); } finally { window.location.replace('./'); }
}
