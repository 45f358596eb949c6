// The "Tune detector" panel of the annotation list: how many verified frames there are against
// Frigate+'s rules (10 for a first model, 10 new for each next), a button that starts a tune
// (`POST api/annotations/tune`), its progress while it runs (polled), and the tuned models with
// AP@0.5 of the base and the tuned model on the held-out frames. "Use this model" sets
// `model.path` through `PUT api/config/set`, the same checked write-back as the settings pages.
import { html, useEffect, useState } from '../../lib/html.js';
import { act, api, useApi } from '../../lib/api.js';
import { isAdmin } from '../../lib/session.js';
import { formatDateTime, formatDuration, toast } from '../../lib/ui.js';
import { SaveNotice, saveConfig } from '../settings-common.js';

const POLL_RUNNING_MS = 1500;
const POLL_IDLE_MS = 15000;
/** What each step of a tune is called on the page (stages of roost.tune.job / train_torch). */
const STAGES = {
  starting: 'Starting', preparing: 'Reading the frames', prepared: 'Frames ready', features: 'Computing features',
  training: 'Training', exporting: 'Exporting', quantizing: 'Making it int8', scoring: 'Scoring base and tuned',
  finished: 'Finishing', done: 'Done',
};

const ap = (value) => (typeof value === 'number' ? value.toFixed(2) : '–');

function gainText(base, tuned) {
  if (typeof base !== 'number' || typeof tuned !== 'number') return '';
  const gain = tuned - base;
  return `${gain >= 0 ? '+' : '−'}${Math.abs(gain).toFixed(2)}`;
}

function Progress({ progress }) {
  const { stage, step, steps, message, elapsed_seconds: elapsed } = progress;
  const share = steps ? Math.min(100, Math.round((100 * step) / steps)) : 0;
  return html`<div class="tune-running" data-testid="tune-progress">
    <div class="tune-stage"><strong>${STAGES[stage] || stage || 'Working'}</strong>
      ${steps ? html`<span class="muted">${step} / ${steps}</span>` : ''}
      ${elapsed != null && html`<span class="muted tune-elapsed">${formatDuration(elapsed)}</span>`}</div>
    <div class="tune-bar" role="progressbar" aria-label="Tune progress" aria-valuemin="0" aria-valuemax="100"
      aria-valuenow=${share}><span style=${`width: ${steps ? share : 8}%`}></span></div>
    ${message && html`<p class="muted small tune-message">${message}</p>`}
  </div>`;
}

function ModelRow({ model, onUse, busy }) {
  const labels = Object.keys(model.ap50?.tuned || {}).sort();
  const base = model.map50?.base;
  const tuned = model.map50?.tuned;
  return html`<li class=${`tune-model ${model.in_use ? 'tune-in-use' : ''}`} data-model=${model.name}>
    <div class="tune-model-head">
      <strong>${model.created ? formatDateTime(model.created) : model.name}</strong>
      ${model.in_use ? html`<span class="badge badge-ok">in use</span>`
        : isAdmin() && html`<button class="button" disabled=${busy} onClick=${() => onUse(model)}>Use this model</button>`}
    </div>
    <p class="muted small">${model.frames ? `${model.frames.train} frames trained, ${model.frames.held_out} held out (the latest)` : ''}
      ${model.tune_seconds != null ? ` · tuned in ${formatDuration(model.tune_seconds)}` : ''}
      ${model.new_labels?.length ? ` · new labels: ${model.new_labels.join(', ')}` : ''}</p>
    <table class="tune-scores">
      <thead><tr><th scope="col">AP@0.5</th><th scope="col">base</th><th scope="col">tuned</th><th scope="col">gain</th></tr></thead>
      <tbody>
        ${labels.map((label) => html`<tr><th scope="row">${label}${' '}<span class="muted small">${model.held_out_boxes?.[label] ?? 0} boxes</span></th>
          <td>${ap(model.ap50.base?.[label])}</td><td>${ap(model.ap50.tuned[label])}</td>
          <td>${gainText(model.ap50.base?.[label], model.ap50.tuned[label])}</td></tr>`)}
        <tr class="tune-mean"><th scope="row">mean</th><td>${ap(base)}</td><td>${ap(tuned)}</td><td>${gainText(base, tuned)}</td></tr>
      </tbody>
    </table>
  </li>`;
}

export function TunePanel({ verifiedCount }) {
  const [running, setRunning] = useState(false);
  const { data, error, reload } = useApi('api/annotations/tune', undefined, running ? POLL_RUNNING_MS : POLL_IDLE_MS);
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState(null);
  useEffect(() => { if (data) setRunning(data.running); }, [data?.running]);
  useEffect(() => { if (data) reload(); }, [verifiedCount]);  // the counts follow the list's
  useEffect(() => {
    if (data && !data.running && data.progress?.state === 'complete' && running) toast('Tuned model ready: its scores are below');
  }, [data?.progress?.state]);
  if (error && !data) return html`<section class="card tune-panel"><p class="tune-error">Tuning: ${error.message}</p></section>`;
  if (!data) return null;
  const { counts, progress, models } = data;
  /** One panel action: buttons off while it runs, the server's message on failure. */
  const run = async (fn, done) => {
    setBusy(true);
    const result = await act(fn, done);
    setBusy(false);
    reload();
    return result;
  };
  const start = async () => { if (await run(() => api.post('api/annotations/tune'))) setRunning(true); };
  const cancel = () => run(() => api.del('api/annotations/tune'), 'Tune cancelled; nothing was written');
  const use = async (model) => {
    const answer = await run(() => saveConfig({ model: { path: model ? model.path : null } }));
    if (answer) setAnswer(answer);
  };
  const blocked = counts.refusal || (!data.available && data.unavailable_reason);
  const inUse = models.some((m) => m.in_use);
  return html`<section class="card tune-panel" aria-labelledby="tune-title" data-testid="tune-panel">
    <header class="card-head"><h2 id="tune-title">Tune detector</h2>
      ${isAdmin() && data.running && html`<button class="button" onClick=${cancel} disabled=${busy}>Cancel</button>`}
      ${isAdmin() && html`<button class="button button-primary" onClick=${start} data-testid="tune-start"
        disabled=${busy || data.running || !!blocked}>${data.running ? 'Tuning…' : 'Tune now'}</button>`}</header>
    <p class="tune-counts" data-testid="tune-counts"><strong>${counts.verified}</strong> verified
      ${counts.has_model ? html` · <strong>${counts.new_since_last_model}</strong> new since the last model` : ''}
      <span class="muted"> · a first model needs ${counts.min_verified}, each next one ${counts.min_new} new</span></p>
    ${blocked && !data.running && html`<p class="tune-refusal" role="note" data-testid="tune-refusal">${blocked}</p>`}
    ${!blocked && !data.running && !['failed', 'cancelled'].includes(progress.state) && html`<p class="muted small">
      Fine-tunes the detector on this machine in the background (a few minutes on two cores), holding the latest
      fifth of the verified frames out to score it. Cameras keep running.</p>`}
    ${data.running && html`<${Progress} progress=${progress} />`}
    ${progress.state === 'failed' && html`<p class="tune-error" role="alert" data-testid="tune-failed">
      The last tune failed: ${progress.message}</p>`}
    ${progress.state === 'cancelled' && !data.running && html`<p class="muted small">The last tune was cancelled.</p>`}
    <${SaveNotice} answer=${answer} onDismiss=${() => setAnswer(null)} />
    ${models.length > 0 && html`<h3 class="tune-models-title">Tuned models</h3>
      <ul class="tune-models">${models.map((model) => html`<${ModelRow} key=${model.name} model=${model} onUse=${use} busy=${busy} />`)}</ul>
      ${inUse && isAdmin() && html`<button class="button tune-default" disabled=${busy} onClick=${() => use(null)}>Use the default model</button>`}`}
  </section>`;
}
