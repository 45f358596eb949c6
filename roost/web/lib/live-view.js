// A camera's live picture. When the restream serves the camera and no overlay is asked
// for, the camera's own H.264 plays in a <video> through the low-latency player
// (roost/web/player/live-player.js: MSE over a websocket, no re-encoding). Otherwise, and
// when the browser cannot play the stream, `latest.jpg` is fetched again as soon as the
// previous one has loaded (at most every `intervalMs`), with Frigate's overlay flags as
// query parameters. Both pause while the tab is hidden or the view is off screen.
import { html, useEffect, useMemo, useRef, useState } from './html.js';
import { url } from './api.js';
import { startLivePlayer } from '../player/live-player.js';

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
 * restreamed: the restream serves this camera (the player can play it).
 * onFrame(img) is called after every new `latest.jpg` picture.
 */
export function LiveView({ camera, overlays = {}, height = 360, active = true, aspect = 16 / 9,
  intervalMs = DEFAULT_INTERVAL_MS, onFrame, alt, restreamed = false }) {
  const box = useRef(null);
  const visible = useVisible(box);
  const [tick, setTick] = useState(0);
  const [shown, setShown] = useState(false);
  const flags = Object.fromEntries(Object.entries(overlays).map(([k, v]) => [k, v ? 1 : 0]));
  const flagKey = JSON.stringify(flags);
  const running = active && visible;
  const [playerFailed, setPlayerFailed] = useState(false);
  const playing = restreamed && !playerFailed && running && !Object.values(flags).some(Boolean);
  const video = useRef(null);
  useEffect(() => {
    if (!playing || !video.current) return undefined;
    return startLivePlayer(video.current, camera, {  // its stop function is the cleanup
      fallback: 'none',
      onFallback: () => setPlayerFailed(true),
      onState: (state) => { if (state === 'playing') setShown(true); },
    });
  }, [camera, playing]);
  // The still the player shows until its first keyframe arrives (up to a GOP away).
  const poster = useMemo(() => url(`api/${encodeURIComponent(camera)}/latest.jpg`, { h: height, cache: Date.now() }),
    [camera, height, playing]);
  const src = tick === 0 ? null
    : url(`api/${encodeURIComponent(camera)}/latest.jpg`, { h: height, ...flags, cache: tick });

  useEffect(() => { if (running && !playing) setTick((t) => t + 1); }, [running, flagKey, playing]);

  const timer = useRef(null);
  const loadedAt = useRef(0);
  useEffect(() => () => clearTimeout(timer.current), []);
  function next(delay) {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setTick((t) => t + 1), delay);
  }
  useEffect(() => { if (!running || playing) clearTimeout(timer.current); }, [running, playing]);

  function loaded(event) {
    setShown(true);
    onFrame?.(event.currentTarget);
    const took = Date.now() - loadedAt.current;
    if (running && !playing) next(Math.max(intervalMs - took, 100));
  }
  function failed() {
    if (running) next(intervalMs * 3);
  }
  useEffect(() => { loadedAt.current = Date.now(); }, [src]);
  return html`<div ref=${box} class=${`live-view ${shown ? 'live-shown' : ''}`} style=${`aspect-ratio: ${aspect}`}>
    ${playing && html`<video ref=${video} class="live-video" muted playsinline aria-label=${alt || `Live video of ${camera}`}
      poster=${poster}></video>`}
    ${!playing && src && html`<img src=${src} alt=${alt || `Live view of ${camera}`} decoding="async" onLoad=${loaded} onError=${failed} />`}
  </div>`;
}
