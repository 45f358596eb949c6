// Quality: what the model is expected to get right on new footage and how sure that is, the
// confusion matrix as a picture, per-class precision and recall, the images it gets wrong,
// the comparison with the previous training, and retrain / export / import.
import { html, useState } from '../../lib/html.js';
import { act } from '../../lib/api.js';
import { navigate } from '../../lib/router.js';
import { isAdmin } from '../../lib/session.js';
import { Empty, formatDuration } from '../../lib/ui.js';
import { datasetUrl, importArchive, modelPath, percent } from './common.js';

const CELL = 56;
const LABEL_W = 96;

/** The confusion matrix as an SVG heat map: rows true class, columns predicted; each cell's
 *  shade is its share of the row, the diagonal in the accent colour, mistakes in red. */
export function ConfusionMatrix({ classes, rows }) {
  const n = classes.length;
  const width = LABEL_W + n * CELL;
  const height = 28 + n * CELL;
  return html`<figure class="cls-matrix">
    <svg viewBox=${`0 0 ${width} ${height + 4}`} width=${width} height=${height + 4} role="img"
      aria-label=${`Confusion matrix: rows are the true class, columns the predicted class; ${rows.map((r, i) => `${classes[i]}: ${r[i]} of ${r.reduce((a, b) => a + b, 0)} right`).join(', ')}`}>
      ${classes.map((cls, j) => html`<text x=${LABEL_W + j * CELL + CELL / 2} y="18" text-anchor="middle" class="cls-matrix-label">${cls}</text>`)}
      ${rows.map((row, i) => {
        const total = row.reduce((a, b) => a + b, 0) || 1;
        return html`<g>
          <text x=${LABEL_W - 8} y=${28 + i * CELL + CELL / 2 + 4} text-anchor="end" class="cls-matrix-label">${classes[i]}</text>
          ${row.map((count, j) => {
            const share = count / total;
            const fill = i === j ? 'var(--ok)' : 'var(--danger)';
            return html`<g data-cell=${`${i},${j}`}>
              <rect x=${LABEL_W + j * CELL + 1} y=${28 + i * CELL + 1} width=${CELL - 2} height=${CELL - 2} rx="4"
                fill=${count ? fill : 'var(--surface-2)'} fill-opacity=${count ? 0.15 + 0.85 * share : 1} />
              <text x=${LABEL_W + j * CELL + CELL / 2} y=${28 + i * CELL + CELL / 2 + 5} text-anchor="middle"
                class=${`cls-matrix-count ${share > 0.55 ? 'cls-matrix-strong' : ''}`}>${count}</text></g>`;
          })}</g>`;
      })}
    </svg>
    <figcaption class="small muted">Rows: the true class. Columns: what the model said about held-out images.</figcaption>
  </figure>`;
}

function Interval({ metrics }) {
  const interval = metrics.interval;
  if (!interval || metrics.accuracy === null) return null;
  return html`<div class="cls-interval" aria-label=${`likely between ${percent(interval.low)} and ${percent(interval.high)}`}>
    <span class="cls-interval-range" style=${`left:${interval.low * 100}%;width:${(interval.high - interval.low) * 100}%`}></span>
    <span class="cls-interval-mark" style=${`left:${metrics.accuracy * 100}%`}></span>
    <span class="cls-interval-scale small muted"><span>0 %</span><span>50 %</span><span>100 %</span></span>
  </div>`;
}

function ImportButton({ name }) {
  const [busy, setBusy] = useState(false);
  const pick = async (event) => {
    const file = event.currentTarget.files?.[0];
    event.currentTarget.value = '';
    if (!file) return;
    setBusy(true);
    const done = await act(() => importArchive(file, `${name}_imported`), `Imported as ${name}_imported`);
    setBusy(false);
    if (done) navigate('classification', [done.model], { tab: 'quality' });
  };
  return html`<label class=${`button ${busy ? 'cls-busy' : ''}`}>Import…
    <input type="file" accept=".zip,application/zip" class="cls-file" onChange=${pick} disabled=${busy} /></label>`;
}

export function Quality({ name, model, onTrain }) {
  const { status, dataset } = model;
  const metrics = status?.metrics;
  const comparison = status?.comparison;
  const training = status?.state === 'training';
  const actions = html`<div class="cls-actions">
    ${isAdmin() && html`<button class="button button-primary" disabled=${training} onClick=${onTrain}>${training ? 'Training…' : 'Retrain'}</button>`}
    ${metrics && html`<a class="button" href=${modelPath(name, '/export?dataset=1')} download=${`${name}.zip`}>Export with dataset</a>`}
    ${isAdmin() && html`<${ImportButton} name=${name} />`}
  </div>`;
  if (!metrics) {
    return html`<section class="cls-quality">${actions}<${Empty}>No trained model yet: label at least two images per class
      (from different events or times) on Recent classifications or Dataset, then train.<//></section>`;
  }
  const classes = metrics.confusion_matrix.classes;
  const rows = metrics.confusion_matrix.rows_true_columns_predicted;
  const enough = metrics.enough;
  return html`<section class="cls-quality">
    ${actions}
    <div class="cls-quality-grid">
      <div class="card cls-figure">
        <h2>Expected accuracy on new footage</h2>
        <p class=${`cls-big ${enough ? '' : 'cls-unsure'}`}>${metrics.accuracy === null ? '?' : percent(metrics.accuracy)}</p>
        <${Interval} metrics=${metrics} />
        <p class=${enough ? 'cls-verdict' : 'cls-verdict cls-warn'}>${metrics.verdict}</p>
        <p class="small muted">${`Measured on images the model did not see, holding out whole ${
          metrics.group_kinds?.event ? 'events' : metrics.group_kinds?.minute ? 'minutes' : 'groups of similar images'} at a time (${
          metrics.method === 'none' ? 'nothing could be held out' : `${metrics.folds} folds`}), so neighbouring frames cannot flatter it.`}
          ${status.training_seconds ? ` Trained on ${metrics.images} images in ${formatDuration(status.training_seconds)}.` : ''}</p>
        ${comparison && html`<p class=${comparison.worse ? 'cls-worse' : 'small'} role=${comparison.worse ? 'alert' : undefined}>
          ${comparison.worse ? `Worse than before: ${percent(comparison.accuracy)} now, ${percent(comparison.previous_accuracy)} with the previous training. Check the newest labels below.`
            : comparison.previous_accuracy !== null ? `Previous training: ${percent(comparison.previous_accuracy)}.` : 'First training of this model.'}</p>`}
      </div>
      <div class="card">
        <h2>Confusion matrix</h2>
        ${rows ? html`<${ConfusionMatrix} classes=${classes} rows=${rows} />` : html`<p class="muted">Not enough groups to hold any out.</p>`}
      </div>
      <div class="card">
        <h2>Per class</h2>
        <table class="cls-table">
          <thead><tr><th>Class</th><th>Precision</th><th>Recall</th><th>Images</th><th>${Object.keys(metrics.group_kinds || {}).join() === 'event' ? 'Events' : Object.keys(metrics.group_kinds || {}).join() === 'minute' ? 'Minutes' : 'Groups'}</th></tr></thead>
          <tbody>${classes.map((cls) => {
            const row = metrics.per_class?.[cls] || {};
            return html`<tr><th scope="row">${cls}</th><td>${percent(row.precision)}</td><td>${percent(row.recall)}</td>
              <td>${row.support ?? (dataset?.categories?.[cls] || []).length}</td><td>${metrics.groups_per_class?.[cls] ?? '–'}</td></tr>`;
          })}</tbody>
        </table>
      </div>
    </div>
    <h2 class="cls-section">Images the model gets wrong ${metrics.misclassified.length ? `(${metrics.misclassified.length})` : ''}</h2>
    ${metrics.misclassified.length ? html`<div class="cls-tiles">${metrics.misclassified.map((m) => {
      const [cls, file] = String(m.image).split('/');
      return html`<figure class="cls-tile cls-wrong" key=${m.image}>
        <img src=${datasetUrl(name, cls, file)} alt=${`${cls} image taken for ${m.predicted}`} />
        <figcaption class="small"><b>${m.true}</b> seen as <b>${m.predicted}</b> ${percent(m.score)}</figcaption></figure>`;
    })}</div>` : html`<p class="muted">None: every held-out image was classified right.</p>`}
  </section>`;
}
