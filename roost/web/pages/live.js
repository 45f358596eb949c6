// The live dashboard: every camera's picture with its status, activity and states.
import { html } from '../lib/html.js';
import { useConfig, useStats, cameraNames } from '../lib/store.js';
import { LiveView } from '../lib/live-view.js';
import { cameraStatus, useActivity, useClassificationStates, aspectOf } from '../lib/cameras.js';
import { href } from '../lib/router.js';
import { ErrorBox, Spinner, Empty, Icon } from '../lib/ui.js';

export const title = 'Live';

function CameraTile({ name, config, stats, motion, objects, states }) {
  const status = cameraStatus(stats, name);
  const enabled = config.cameras[name]?.enabled !== false;
  const offline = status.known && !status.online;
  const classification = Object.entries(states || {});
  return html`<article class=${`cam-tile ${offline ? 'cam-offline' : ''}`} data-camera=${name}
      data-status=${!status.known ? 'unknown' : status.online ? 'online' : 'offline'}>
    <a class="cam-view" href=${href('camera', [name])} aria-label=${`Open camera ${name}`}>
      <${LiveView} camera=${name} height=${360} aspect=${aspectOf(config, name)} active=${status.online}
        restreamed=${status.restreamed} />
      <div class="cam-badges">
        ${motion && !offline && html`<span class="badge badge-motion" title="Motion now"><${Icon} name="motion" size=${14} />Motion</span>`}
        ${objects > 0 && !offline && html`<span class="badge badge-object" title="Objects tracked now"><${Icon} name="object" size=${14} />${objects}</span>`}
      </div>
      ${offline && html`<div class="cam-offline-note" role="status">
        <strong>${enabled ? 'Offline' : 'Disabled'}</strong>
        <span>${status.error || (enabled ? 'No frames from the camera.' : 'The camera is disabled in the config.')}</span></div>`}
      ${!status.known && html`<div class="cam-offline-note"><${Spinner} /></div>`}
    </a>
    <footer class="cam-foot">
      <a class="cam-name" href=${href('camera', [name])}>${name}</a>
      ${status.known && html`<span class=${`badge ${status.online ? 'badge-ok' : 'badge-danger'}`}>
        ${status.online ? `${status.fps.toFixed(1)} fps` : 'offline'}</span>`}
      ${!offline && status.inputs.filter((i) => i.trouble).map((i) => html`<span class="badge badge-warn" data-input=${i.role}
        title=${`${i.role}: ${i.state}${i.error ? ` — ${i.error}` : ''}`}>${i.role} ${i.state}</span>`)}
      ${classification.length > 0 && html`<span class="cam-states">
        ${classification.map(([model, state]) => html`<span class="badge" title=${`State classification ${model}`}>${model}: <b>${state}</b></span>`)}</span>`}
    </footer>
  </article>`;
}

export default function Live() {
  const { config, error } = useConfig();
  const { stats, error: statsError } = useStats();
  const names = cameraNames(config);
  const { motion, objects } = useActivity(names);
  const states = useClassificationStates();
  if (error) return html`<main class="page"><${ErrorBox} error=${error} /></main>`;
  if (!config) return html`<div class="page-loading"><${Spinner} /></div>`;
  return html`<main class="page live-page">
    <div class="page-head"><h1>Live</h1>
      <span class="muted">${names.length} camera${names.length === 1 ? '' : 's'}</span></div>
    <${ErrorBox} error=${statsError} />
    ${names.length ? html`<div class="cam-grid">
      ${names.map((name) => html`<${CameraTile} key=${name} name=${name} config=${config} stats=${stats}
        motion=${motion[name]} objects=${objects[name] || 0} states=${states[name]} />`)}
    </div>` : html`<${Empty}>No cameras configured. Add them under <code>cameras:</code> in the config.<//>`}
  </main>`;
}
