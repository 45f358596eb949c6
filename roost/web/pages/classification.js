// Classification: the custom models (Frigate's Classification page). Routes:
//   #/classification                       every model: type, status, classes, last training, quality
//   #/classification/new                   the wizard (name and classes, crop, examples, training)
//   #/classification/<model>?tab=recent|dataset|quality
import { html, useEffect } from '../lib/html.js';
import { api, act, useApi } from '../lib/api.js';
import { href } from '../lib/router.js';
import { isAdmin } from '../lib/session.js';
import { Empty, ErrorBox, Spinner, formatDateTime } from '../lib/ui.js';
import { NONE, StatusBadge, classesOf, modelConfig, modelPath, percent, statusOf, useModel } from './classification/common.js';
import { Wizard } from './classification/wizard.js';
import { Recent } from './classification/recent.js';
import { DatasetView } from './classification/dataset.js';
import { Quality } from './classification/quality.js';

export const title = 'Classification';

const TABS = [['recent', 'Recent classifications'], ['dataset', 'Dataset'], ['quality', 'Quality']];

function ModelCard({ name, entry, config }) {
  const { data: dataset } = useApi(modelPath(name, '/dataset'));
  const { data: status } = useApi(modelPath(name, '/status'), null, entry.status === 'training' ? 1000 : 0);
  const info = statusOf(entry, status);
  const meta = dataset?.training_metadata;
  const conf = modelConfig(config, name);
  const counts = Object.entries(dataset?.categories || {});
  const metrics = status?.metrics;
  return html`<a class="card cls-card" href=${href('classification', [name])} data-model=${name}>
    <div class="cls-card-head">
      <h2>${name}</h2>
      <span class="badge">${entry.type === 'state' ? 'State' : `Object · ${(conf?.objects || []).join(', ')}`}</span>
      <${StatusBadge} info=${info} />
    </div>
    ${info.key === 'failed' && html`<p class="cls-failed small">${info.detail}</p>`}
    ${info.key === 'training' && html`<div class="cls-progress" aria-hidden="true"><span style=${`width:${Math.round((info.fraction || 0.05) * 100)}%`}></span></div>`}
    <ul class="cls-counts">
      ${counts.length ? counts.map(([cls, files]) => html`<li><span>${cls}</span><b>${files.length}</b></li>`)
        : html`<li class="muted">no labelled images yet</li>`}
    </ul>
    <p class="small muted">${meta?.has_trained
      ? html`Trained ${formatDateTime(Date.parse(meta.last_training_date) / 1000)}${meta.new_images_count ? html` · <b class="cls-new">${meta.new_images_count} new since</b>` : ''}${meta.dataset_changed && !meta.new_images_count ? ' · dataset changed since' : ''}`
      : 'Never trained'}</p>
    ${metrics && html`<p class="cls-verdict small">${metrics.verdict}</p>`}
  </a>`;
}

function Models() {
  const { data: listing, error, reload } = useApi('api/classification');
  const { data: config } = useApi('api/config');
  const names = Object.keys(listing || {}).sort();
  return html`<main class="page cls-page">
    <div class="page-head"><h1>Classification</h1>
      ${isAdmin() && html`<a class="button button-primary" href=${href('classification', ['new'])}>New model</a>`}</div>
    <p class="muted cls-intro">Custom models that tell the state of a part of a camera's picture (a door open or closed) or
      a finer kind of a tracked object (your cat, a delivery person). Diversity beats volume: a few images from different
      events and times teach more than many from one.</p>
    ${error && html`<${ErrorBox} error=${error} onRetry=${reload} />`}
    ${!listing && !error && html`<${Spinner} />`}
    ${listing && !names.length && html`<${Empty}>No classification models yet. ${isAdmin() ? 'Create one with “New model”.' : ''}<//>`}
    <div class="cls-grid">${names.map((name) => html`<${ModelCard} key=${name} name=${name} entry=${listing[name]} config=${config} />`)}</div>
  </main>`;
}

function ModelPage({ name, tab }) {
  const model = useModel(name);
  const { listing, dataset, status, config, error, reload } = model;
  if (error && !dataset) return html`<main class="page"><${ErrorBox} error=${error} onRetry=${reload} /></main>`;
  if (!dataset || !status) return html`<main class="page"><${Spinner} /></main>`;
  const info = statusOf(listing, status);
  const classes = classesOf(dataset, status, config?.type === 'object' ? [NONE] : []);
  const train = async () => {
    if (await act(() => api.post(modelPath(name, '/train')), `Training ${name}`)) reload();
  };
  return html`<main class="page cls-page">
    <div class="page-head">
      <span class="cls-title">
        <a class="icon-button" href=${href('classification')} aria-label="All models" title="All models">‹</a>
        <h1>${name}</h1>
        <span class="badge">${(config?.type || listing?.type) === 'object' ? `Object · ${config?.objects.join(', ')} · ${config?.classificationType}` : 'State'}</span>
        <${StatusBadge} info=${info} />
        ${info.key === 'training' && html`<span class="small muted" role="status">${info.detail}</span>`}
      </span>
      <span class="cls-head-end">
        ${isAdmin() && tab !== 'quality' && html`<button class="button button-primary" disabled=${info.key === 'training'} onClick=${train}>
          ${info.key === 'training' ? 'Training…' : dataset.training_metadata.has_trained ? 'Retrain' : 'Train'}</button>`}
      </span>
    </div>
    ${info.key === 'failed' && html`<p class="cls-failed" role="alert">Training failed: ${info.detail}</p>`}
    <nav class="chips cls-tabs" aria-label="Views">
      ${TABS.map(([key, label]) => html`<a class="chip" aria-pressed=${tab === key ? 'true' : 'false'}
        href=${href('classification', [name], { tab: key })}>${label}</a>`)}
    </nav>
    ${tab === 'recent' && html`<${Recent} name=${name} model=${model} classes=${classes} />`}
    ${tab === 'dataset' && html`<${DatasetView} name=${name} model=${model} classes=${classes} />`}
    ${tab === 'quality' && html`<${Quality} name=${name} model=${model} onTrain=${train} />`}
  </main>`;
}

export default function Classification({ route }) {
  const [first] = route.args;
  useEffect(() => { document.title = first && first !== 'new' ? `${first} · Classification · Roost` : 'Classification · Roost'; }, [first]);
  if (!first) return html`<${Models} />`;
  if (first === 'new') return html`<${Wizard} />`;
  const tab = TABS.some(([key]) => key === route.params.tab) ? route.params.tab : 'recent';
  return html`<${ModelPage} key=${first} name=${first} tab=${tab} />`;
}

