// Live facts about cameras shared by the dashboard and the camera page: online/offline from
// the stats, motion and object counts from `/ws`, state-classification states.
import { useEffect, useState } from './html.js';
import { api } from './api.js';
import { subscribe } from './ws.js';

/** {online, fps, error, restreamed, inputs} of one camera from `/api/stats` (camera_fps 0 = offline,
 *  as the Home Assistant integration reads it). */
export function cameraStatus(stats, name) {
  const figures = stats?.cameras?.[name];
  if (!figures) return { known: false, online: false, fps: 0, error: '', restreamed: false, inputs: [] };
  return {
    known: true,
    online: figures.camera_fps > 0,
    fps: figures.camera_fps,
    detectFps: figures.detection_fps,
    error: figures.ffmpeg_error || '',
    // the restream serves the camera's own stream: the live player can play it
    restreamed: figures.inputs?.restream?.state === 'streaming',
    inputs: inputHealth(figures.inputs),
  };
}

const INPUT_ORDER = ['restream', 'detect', 'record'];

/** The camera's inputs (`/api/stats` → `inputs`) as rows a person reads: role, state
 *  (streaming / reconnecting / failed / off), seconds since the last frame, the last error;
 *  `trouble` marks the ones that are not streaming although they should. */
export function inputHealth(inputs) {
  return Object.entries(inputs || {})
    .sort(([a], [b]) => INPUT_ORDER.indexOf(a) - INPUT_ORDER.indexOf(b))
    .map(([role, input]) => ({
      role, state: input.state, error: input.last_error || '', since: input.seconds_since_frame,
      clients: input.clients, codec: input.codec,
      trouble: input.state === 'reconnecting' || input.state === 'failed',
    }));
}

/** Per camera: motion (bool) and active object count, live from `/ws`; seeded from the
 *  events in progress so a page opened mid-event shows it at once. */
export function useActivity(cameras) {
  const [motion, setMotion] = useState({});
  const [objects, setObjects] = useState({});
  const key = cameras.join(',');
  useEffect(() => {
    if (!cameras.length) return undefined;
    let live = true;
    api.get('api/events', { in_progress: 1, limit: 200, include_thumbnails: 0 }).then((events) => {
      if (!live) return;
      const counts = {};
      for (const e of events) counts[e.camera] = (counts[e.camera] || 0) + 1;
      setObjects((now) => ({ ...counts, ...now }));
    }).catch(() => {});
    const offs = cameras.flatMap((camera) => [
      subscribe(`${camera}/motion`, (p) => setMotion((m) => ({ ...m, [camera]: p === 'ON' }))),
      subscribe(`${camera}/all`, (p) => setObjects((o) => ({ ...o, [camera]: Number(p) || 0 }))),
    ]);
    return () => { live = false; offs.forEach((off) => off()); };
  }, [key]);
  return { motion, objects };
}

/** {camera: {model: state}} of the state classification models, live from `/ws`. */
export function useClassificationStates() {
  const [states, setStates] = useState({});
  useEffect(() => {
    let live = true;
    api.get('api/classification').then((models) => {
      if (!live) return;
      const found = {};
      for (const [model, info] of Object.entries(models || {})) {
        for (const [camera, state] of Object.entries(info.states || {})) {
          if (state) (found[camera] ||= {})[model] = state;
        }
      }
      setStates((now) => {
        const merged = { ...found };
        for (const [camera, models] of Object.entries(now)) merged[camera] = { ...merged[camera], ...models };
        return merged;
      });
    }).catch(() => {});
    const off = subscribe('+/classification/+', (state, topic) => {
      const [camera, , model] = topic.split('/');
      setStates((s) => ({ ...s, [camera]: { ...s[camera], [model]: String(state) } }));
    });
    return () => { live = false; off(); };
  }, []);
  return states;
}

/** width / height of a camera's detect frames (16:9 when the config does not say). */
export function aspectOf(config, name) {
  const detect = config?.cameras?.[name]?.detect;
  return detect?.width && detect?.height ? detect.width / detect.height : 16 / 9;
}
