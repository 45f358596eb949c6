// The objects a camera tracks now: events in progress from the API, kept current by the
// "events" feed (new / update / end) of the websocket.
import { useEffect, useState } from './html.js';
import { api } from './api.js';
import { subscribe } from './ws.js';

/** One object, whichever shape it came in (HTTP event JSON or the MQTT event's `after`). */
export function objectOf(event) {
  const sub = event.sub_label;
  return {
    id: event.id,
    camera: event.camera,
    label: event.label,
    subLabel: Array.isArray(sub) ? sub[0] : sub || null,
    subScore: Array.isArray(sub) ? sub[1] : event.sub_label_score ?? null,
    score: event.score ?? event.data?.score ?? event.top_score ?? 0,
    topScore: event.top_score ?? event.data?.top_score ?? 0,
    zones: event.current_zones ?? event.zones ?? [],
    stationary: Boolean(event.stationary),
    startTime: event.start_time,
    manual: event.data?.type === 'api',
  };
}

/** Objects in progress on `camera`, newest first, live. */
export function useTrackedObjects(camera) {
  const [objects, setObjects] = useState(new Map());
  const [error, setError] = useState(null);
  useEffect(() => {
    let live = true;
    const ended = new Set();
    const off = subscribe('events', (change) => {
      const after = change?.after;
      if (!after || after.camera !== camera) return;
      setObjects((now) => {
        const next = new Map(now);
        if (change.type === 'end' || after.end_time) { next.delete(after.id); ended.add(after.id); }
        else if (!after.false_positive) next.set(after.id, objectOf(after));
        return next;
      });
    });
    api.get('api/events', { cameras: camera, in_progress: 1, limit: 100, include_thumbnails: 0 })
      .then((events) => live && setObjects((now) => {
        const next = new Map(events.filter((e) => !ended.has(e.id)).map((e) => [e.id, objectOf(e)]));
        for (const [id, obj] of now) next.set(id, obj); // the feed is newer than the list
        return next;
      }), (failure) => live && setError(failure));
    return () => { live = false; off(); };
  }, [camera]);
  const list = [...objects.values()].sort((a, b) => (b.startTime || 0) - (a.startTime || 0));
  return { objects: list, error };
}
