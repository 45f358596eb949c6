// A camera's live picture. Today: `latest.jpg` fetched again as soon as the previous one
// has loaded (at most every `intervalMs`), paused while the tab is hidden or the view is
// off screen, with Frigate's overlay flags as query parameters.
//
// Seam for the low-latency player (restream issue): `LiveView` is the one component pages
// use for live video. A module under `roost/web/player/` can make it play the camera's
// own stream and keep this JPEG refresher as the fallback; pages need no change.
import { html, useEffect, useRef, useState } from './html.js';
import { url } from './api.js';

const DEFAULT_INTERVAL_MS = 1000;

/** Whether `ref`'s element is on screen and the tab visible. */
function useVisible(ref) {
  const [onScreen, setOnScreen] = useState(true);
  const [tabVisible, setTabVisible] = useState(document.visibilityState !== 'hidden');
  useEffect(() => {
    const update = () => setTabVisible(document.visibilityState !== 'hidden');
    document.addEventListener('visibilitychange', update);
    return () => document.removeEventListener('visibilitychange', update);
  }, []);
  useEffect(() => {
    if (!ref.current) return undefined;
    const observer = new IntersectionObserver((entries) => setOnScreen(entries.some((e) => e.isIntersecting)));
    observer.observe(ref.current);
    return () => observer.disconnect();
  }, []);
  return onScreen && tabVisible;
}

/**
 * camera: name; overlays: {bbox, zones, mask, motion, regions, timestamp} → 0/1 flags;
 * height: pixel height asked of the server (smaller = cheaper); active: false stops
 * fetching and keeps the last picture (an offline camera); aspect: width / height.
 * onFrame(img) is called after every new picture.
 */
export function LiveView({ camera, overlays = {}, height = 360, active = true, aspect = 16 / 9,
  intervalMs = DEFAULT_INTERVAL_MS, onFrame, alt }) {
  const box = useRef(null);
  const visible = useVisible(box);
  const [tick, setTick] = useState(0);
  const [shown, setShown] = useState(false);
  const flags = Object.fromEntries(Object.entries(overlays).map(([k, v]) => [k, v ? 1 : 0]));
  const flagKey = JSON.stringify(flags);
  const running = active && visible;
  const src = tick === 0 ? null
    : url(`api/${encodeURIComponent(camera)}/latest.jpg`, { h: height, ...flags, cache: tick });

  useEffect(() => { if (running) setTick((t) => t + 1); }, [running, flagKey]);

  const timer = useRef(null);
  const loadedAt = useRef(0);
  useEffect(() => () => clearTimeout(timer.current), []);
  function next(delay) {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setTick((t) => t + 1), delay);
  }
  useEffect(() => { if (!running) clearTimeout(timer.current); }, [running]);

  function loaded(event) {
    setShown(true);
    onFrame?.(event.currentTarget);
    const took = Date.now() - loadedAt.current;
    if (running) next(Math.max(intervalMs - took, 100));
  }
  function failed() {
    if (running) next(intervalMs * 3);
  }
  useEffect(() => { loadedAt.current = Date.now(); }, [src]);
  return html`<div ref=${box} class=${`live-view ${shown ? 'live-shown' : ''}`} style=${`aspect-ratio: ${aspect}`}>
    ${src && html`<img src=${src} alt=${alt || `Live view of ${camera}`} decoding="async" onLoad=${loaded} onError=${failed} />`}
  </div>`;
}
