// The shell: header with navigation, the logged-in user and logout; the current page (a
// module in pages/, loaded on first visit); toasts. Without a session on the
// authenticated port every route shows the login page.
import { html, render, useEffect, useState } from './lib/html.js';
import { setUnauthorizedHandler } from './lib/api.js';
import { session, isAdmin, logout } from './lib/session.js';
import { useRoute, href } from './lib/router.js';
import { ws, useConnected } from './lib/ws.js';
import { Icon, Toasts, Spinner, ErrorBox, toast } from './lib/ui.js';

/** The navigation, in Frigate's order; an entry shows only when its module exists. */
const NAV = [
  ['live', 'Live'], ['review', 'Review'], ['explore', 'Explore'],
  ['recordings', 'Recordings'], ['exports', 'Exports'], ['classification', 'Classification'], ['annotate', 'Annotate'],
  ['system', 'System'],
  ['settings', 'Settings'],
];
/** Entries only admins see. */
const ADMIN_NAV = new Set(['settings', 'annotate']);
/** Pages reached from other pages, not the nav (the single camera page). */
const NAV_OF = { camera: 'live' };

const modules = new Map();
const styled = new Set();

function loadStyle(page) {
  if (styled.has(page) || !session.styles.includes(page)) return;
  styled.add(page);
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = `ui/pages/${page}.css`;
  document.head.append(link);
}

function loadPage(page) {
  if (!session.pages.includes(page)) return Promise.reject(new Error(`There is no page "${page}".`));
  loadStyle(page);
  if (!modules.has(page)) {
    modules.set(page, import(`./pages/${page}.js`).catch((error) => { modules.delete(page); throw error; }));
  }
  return modules.get(page);
}

function Header({ current }) {
  const connected = useConnected();
  const user = session.user;
  return html`<header class="app-header">
    <a class="brand" href="#/" aria-label="Roost, live dashboard"><img src="ui/icon.svg" alt="" width="28" height="28" /><span>Roost</span></a>
    <nav class="app-nav" aria-label="Pages">
      ${NAV.filter(([page]) => session.pages.includes(page) && (!ADMIN_NAV.has(page) || isAdmin())).map(([page, label]) => html`
        <a href=${href(page)} class="nav-link" aria-current=${current === page ? 'page' : undefined}>
          <${Icon} name=${page} /><span>${label}</span></a>`)}
    </nav>
    <div class="header-end">
      <span class=${`ws-dot ${connected ? 'ws-on' : 'ws-off'}`} title=${connected ? 'Live updates connected' : 'Live updates disconnected; reconnecting'}
        role="status" aria-label=${connected ? 'Live updates connected' : 'Live updates disconnected'}></span>
      <span class="user" title="Logged in user and role"><${Icon} name="user" size=${18} />
        <span class="user-name">${user.username}</span><span class=${`role role-${user.role}`}>${user.role}</span></span>
      ${session.authenticated && html`<button class="icon-button" onClick=${logout} aria-label="Log out" title="Log out">
        <${Icon} name="logout" /></button>`}
    </div>
  </header>`;
}

function PageHost({ route }) {
  const [loaded, setLoaded] = useState({ page: null, module: null, error: null });
  useEffect(() => {
    let live = true;
    loadPage(route.page).then((module) => live && setLoaded({ page: route.page, module, error: null }),
      (error) => live && setLoaded({ page: route.page, module: null, error }));
    return () => { live = false; };
  }, [route.page]);
  if (loaded.page !== route.page) return html`<div class="page-loading"><${Spinner} /></div>`;
  if (loaded.error) return html`<main class="page"><${ErrorBox} error=${loaded.error} />
    <p><a href="#/">Back to the live dashboard</a></p></main>`;
  const Page = loaded.module.default;
  document.title = `${loaded.module.title || route.page} · Roost`;
  return html`<${Page} route=${route} key=${route.page} />`;
}

function App() {
  const route = useRoute();
  useEffect(() => ws.start(), []);
  const current = NAV_OF[route.page] || route.page;
  return html`<a class="skip-link" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
    <${Header} current=${current} />
    <div id="main" class="app-main" tabindex="-1"><${PageHost} route=${route} /></div>
    <${Toasts} />`;
}

function LoginApp() {
  const [module, setModule] = useState(null);
  useEffect(() => { loadPage('login').then(setModule, (error) => toast(error.message, 'error')); }, []);
  document.title = 'Log in · Roost';
  return html`${module ? html`<${module.default} />` : html`<div class="page-loading"><${Spinner} /></div>`}<${Toasts} />`;
}

setUnauthorizedHandler(() => {
  if (session.authenticated) window.location.replace('./');
});
document.documentElement.dataset.admin = isAdmin() ? 'true' : 'false';
render(session.user ? html`<${App} />` : html`<${LoginApp} />`, document.getElementById('app'));
