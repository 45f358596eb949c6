// System: per-camera and detector figures, CPU and memory per process over the last hour
// (server-side history + the live stats), storage, version and uptime, the log tail.
import { html, useEffect, useMemo, useRef, useState } from '../lib/html.js';
import { useApi } from '../lib/api.js';
import { isAdmin } from '../lib/session.js';
import { useStats, useConfig, cameraNames } from '../lib/store.js';
import { useConnected } from '../lib/ws.js';
import { Card, ErrorBox, Empty, Sparkline, Spinner, formatDuration, formatMB, formatTime } from '../lib/ui.js';

export const title = 'System';

const HISTORY_POLL_MS = 10000;
const LOG_POLL_MS = 5000;
const CAMERA_FIGURES = [['camera_fps', 'Camera fps'], ['process_fps', 'Process fps'], ['skipped_fps', 'Skipped fps'],
  ['detection_fps', 'Detection fps']];
const LOG_LEVELS = ['debug', 'info', 'warning', 'error'];

/** Server samples, plus the newest live stats as the last point. */
function useSeries(stats) {
  const { data, error } = useApi('api/stats/history', { minutes: 60 }, HISTORY_POLL_MS);
  return useMemo(() => {
    const samples = [...(data?.samples || [])];
    if (stats?.cameras) samples.push(liveSample(stats));
    return { samples, error };
  }, [data, stats]);
}

function liveSample(stats) {
  const names = {};
  for (const [camera, f] of Object.entries(stats.cameras || {})) {
    if (f.capture_pid) names[f.capture_pid] = `capture ${camera}`;
    if (f.pid) names[f.pid] = `camera ${camera}`;
    if (f.ffmpeg_pid) names[f.ffmpeg_pid] = `ffmpeg ${camera}`;
  }
  for (const [name, d] of Object.entries(stats.detectors || {})) if (d.pid) names[d.pid] = `detector ${name}`;
  const processes = {};
  for (const [pid, u] of Object.entries(stats.cpu_usages || {})) processes[names[pid] || 'roost (main)'] = [Number(u.cpu), Number(u.mem)];
  return {
    t: Date.now() / 1000,
    cameras: Object.fromEntries(Object.entries(stats.cameras || {}).map(([c, f]) => [c, CAMERA_FIGURES.map(([k]) => f[k] || 0)])),
    detectors: Object.fromEntries(Object.entries(stats.detectors || {}).map(([n, d]) => [n, d.inference_speed || 0])),
    processes,
  };
}

const series = (samples, pick) => samples.map((s) => [s.t, pick(s)]).filter(([, v]) => typeof v === 'number' && !Number.isNaN(v));

function CameraCard({ name, stats, samples }) {
  const figures = stats?.cameras?.[name] || {};
  const offline = stats && !(figures.camera_fps > 0);
  // stalled: its camera process is dead or stuck (restarting); the figures are not current
  const state = offline ? html`<span class="badge badge-danger">offline</span>`
    : figures.stalled ? html`<span class="badge badge-warn" title="The camera process is not turning; Roost restarts it">stalled</span>`
      : html`<span class="badge badge-ok">online</span>`;
  return html`<${Card} title=${name} class="system-camera" actions=${state}>
    ${offline && figures.ffmpeg_error && html`<p class="system-error small">${figures.ffmpeg_error}</p>`}
    <div class="spark-grid">
      ${CAMERA_FIGURES.map(([key, label], i) => html`<${Sparkline} key=${key} label=${label}
        points=${series(samples, (s) => s.cameras?.[name]?.[i])} />`)}
    </div>
  <//>`;
}

function Processes({ samples }) {
  const names = [...new Set(samples.flatMap((s) => Object.keys(s.processes || {})))].sort((a, b) =>
    (a === 'roost (main)' ? -1 : b === 'roost (main)' ? 1 : a.localeCompare(b)));
  if (!names.length) return html`<${Empty}>No process figures yet.<//>`;
  return html`<div class="process-grid">
    ${names.map((name) => html`<div class="process" key=${name}><h3>${name}</h3>
      <div class="spark-pair">
        <${Sparkline} label="CPU" unit="%" points=${series(samples, (s) => s.processes?.[name]?.[0])} />
        <${Sparkline} label="Memory" unit="%" points=${series(samples, (s) => s.processes?.[name]?.[1])} />
      </div></div>`)}
  </div>`;
}

function Storage({ stats }) {
  const { data, error } = useApi('api/recordings/storage', null, 60000);
  const disks = Object.entries(stats?.service?.storage || {});
  return html`<${Card} title="Storage" class="system-storage">
    <${ErrorBox} error=${error} />
    ${disks.map(([path, d]) => {
      const share = d.total ? Math.round((d.used / d.total) * 100) : 0;
      return html`<div class="disk" key=${path}>
        <div class="disk-head"><code>${path}</code><span>${formatMB(d.free)} free of ${formatMB(d.total)}</span></div>
        <div class="meter" role="meter" aria-valuemin="0" aria-valuemax="100" aria-valuenow=${share}
          aria-label=${`${path} ${share}% used`}><span style=${`width: ${share}%`} class=${share > 90 ? 'meter-high' : ''}></span></div>
      </div>`;
    })}
    ${data && html`<table class="table storage-table"><thead><tr><th>Camera</th><th>Recordings</th><th>Last hour</th></tr></thead>
      <tbody>${Object.entries(data).map(([camera, s]) => html`<tr key=${camera}><td>${camera}</td>
        <td>${formatMB(s.usage)}</td><td>${formatMB(s.bandwidth)}</td></tr>`)}</tbody></table>`}
  <//>`;
}

function Logs() {
  const [level, setLevel] = useState('info');
  const { data, error, reload } = useApi('api/logs', { level, limit: 300 }, LOG_POLL_MS);
  const box = useRef(null);
  const stick = useRef(true);
  useEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [data]);
  return html`<${Card} title="Server log" class="system-logs" actions=${html`
    <label class="log-level"><span class="muted small">Level</span>
      <select value=${level} onChange=${(e) => setLevel(e.target.value)} aria-label="Minimum log level">
        ${LOG_LEVELS.map((l) => html`<option value=${l}>${l}</option>`)}</select></label>`}>
    <${ErrorBox} error=${error} onRetry=${reload} />
    <div class="log-box" ref=${box} tabindex="0" aria-label="Log lines"
      onScroll=${(e) => { const el = e.currentTarget; stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40; }}>
      ${data && !data.lines.length && html`<${Empty}>No log lines at ${level} or above.<//>`}
      ${data?.lines.map((line, i) => html`<div class=${`log-line log-${line.level}`} key=${`${line.time}-${i}`}>
        <span class="log-time">${formatTime(line.time)}</span><span class="log-lvl">${line.level}</span>
        <span class="log-name">${line.logger}</span><span class="log-msg">${line.message}</span></div>`)}
    </div>
    ${data && html`<p class="muted small">${data.lines.length} of ${data.total} line${data.total === 1 ? '' : 's'} at ${level} or above (main process).</p>`}
  <//>`;
}

export default function System() {
  const { stats, error } = useStats();
  const { config } = useConfig();
  const connected = useConnected();
  const { samples, error: historyError } = useSeries(stats);
  if (!stats && !error) return html`<div class="page-loading"><${Spinner} /></div>`;
  const service = stats?.service || {};
  const detectors = Object.entries(stats?.detectors || {});
  const cameras = config ? cameraNames(config) : Object.keys(stats?.cameras || {});
  return html`<main class="page system-page">
    <div class="page-head"><h1>System</h1>
      <dl class="facts">
        <div><dt>Version</dt><dd data-testid="version">${service.version || '—'}</dd></div>
        <div><dt>Uptime</dt><dd data-testid="uptime">${service.uptime !== undefined ? formatDuration(service.uptime) : '—'}</dd></div>
        <div><dt>Live updates</dt><dd>${connected ? 'connected' : 'reconnecting…'}</dd></div>
      </dl>
    </div>
    <${ErrorBox} error=${error || historyError} />
    <h2 class="section-title">Cameras</h2>
    <div class="system-grid">
      ${cameras.map((name) => html`<${CameraCard} key=${name} name=${name} stats=${stats} samples=${samples} />`)}
    </div>
    <div class="system-two">
      <${Card} title="Detectors" class="system-detectors">
        ${detectors.length ? detectors.map(([name, d]) => html`<div class="detector" key=${name}>
          <${Sparkline} label=${`${name} inference`} unit=" ms" points=${series(samples, (s) => s.detectors?.[name])} />
          <p class="muted small">pid ${d.pid ?? '—'} · ${d.stalled ? html`<span class="badge badge-warn">stalled</span>`
            : d.detection_start ? 'busy' : 'idle'}</p></div>`)
          : html`<${Empty}>No detector is running.<//>`}
      <//>
      <${Storage} stats=${stats} />
    </div>
    <${Card} title="Processes (CPU and memory, % of the machine)" class="system-processes"><${Processes} samples=${samples} /><//>
    ${isAdmin() && html`<${Logs} />`}
  </main>`;
}
