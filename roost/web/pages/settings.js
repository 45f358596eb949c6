// Settings (admin only): tabs for the camera list, the masks and zones editor, the motion
// tuner, the whole config file and the users. Each tab is its own module, loaded on demand.
import { html, useEffect, useState } from '../lib/html.js';
import { isAdmin, session } from '../lib/session.js';
import { href } from '../lib/router.js';
import { ErrorBox, Spinner } from '../lib/ui.js';

export const title = 'Settings';

const ALL_TABS = [
  ['cameras', 'Cameras'], ['zones', 'Masks & zones'], ['motion', 'Motion tuner'],
  ['config', 'Config file'], ['users', 'Users'],
];
/** A tab shows only when its module (pages/settings-<name>.js) exists. */
const TABS = ALL_TABS.filter(([name]) => session.pages.includes(`settings-${name}`));
const tabs = new Map();

function loadTab(name) {
  if (!tabs.has(name)) tabs.set(name, import(`./settings-${name}.js`).catch((e) => { tabs.delete(name); throw e; }));
  return tabs.get(name);
}

export default function Settings({ route }) {
  const tab = TABS.some(([name]) => name === route.args[0]) ? route.args[0] : TABS[0][0];
  const [loaded, setLoaded] = useState({ tab: null, module: null, error: null });
  useEffect(() => {
    let live = true;
    loadTab(tab).then((module) => live && setLoaded({ tab, module, error: null }),
      (error) => live && setLoaded({ tab, module: null, error }));
    return () => { live = false; };
  }, [tab]);
  if (!isAdmin()) {
    return html`<main class="page"><div class="page-head"><h1>Settings</h1></div>
      <p class="empty">Settings need the admin role. Ask an admin to change them.</p></main>`;
  }
  const Tab = loaded.tab === tab && loaded.module ? loaded.module.default : null;
  return html`<main class="page settings-page">
    <div class="page-head"><h1>Settings</h1></div>
    <nav class="settings-tabs" aria-label="Settings sections">
      ${TABS.map(([name, label]) => html`<a href=${href('settings', [name])} class="settings-tab"
        aria-current=${name === tab ? 'page' : undefined}>${label}</a>`)}
    </nav>
    ${loaded.error && loaded.tab === tab ? html`<${ErrorBox} error=${loaded.error} />`
      : Tab ? html`<${Tab} route=${route} key=${tab} />` : html`<div class="page-loading"><${Spinner} /></div>`}
  </main>`;
}
