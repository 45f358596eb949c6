// Data most pages share, fetched once per tab and kept fresh: the effective config
// (cameras, zones, objects) and the stats (polled, and whatever `/ws` pushes on "stats").
import { api } from './api.js';
import { ws } from './ws.js';
import { useEffect, useState } from './html.js';

const STATS_POLL_MS = 5000;

let configPromise = null;
/** The effective `/api/config` (cached for the tab's life). */
export function loadConfig() {
  configPromise ??= api.get('api/config').catch((error) => { configPromise = null; throw error; });
  return configPromise;
}

/** {config, error}; config is undefined while loading. */
export function useConfig() {
  const [state, setState] = useState({ config: undefined, error: null });
  useEffect(() => {
    let live = true;
    loadConfig().then((config) => live && setState({ config, error: null }),
      (error) => live && setState({ config: undefined, error }));
    return () => { live = false; };
  }, []);
  return state;
}

/** Camera names in config order. */
export const cameraNames = (config) => Object.keys(config?.cameras || {});

// Stats: one poller for all components that use them, running while any is mounted.
const statsListeners = new Set();
let latestStats = null;
let statsError = null;
let timer = null;
let fetchedAt = 0;

function publishStats(stats, error = null) {
  latestStats = stats ?? latestStats;
  statsError = error;
  if (stats) fetchedAt = Date.now();
  for (const fn of statsListeners) fn(latestStats, statsError);
}

async function pollStats() {
  try { publishStats(await api.get('api/stats')); } catch (error) { publishStats(null, error); }
}

ws.subscribe('stats', (payload) => typeof payload === 'object' && publishStats(payload));

/** {stats, error}: `/api/stats`, refreshed every few seconds while mounted. */
export function useStats() {
  const [state, setState] = useState({ stats: latestStats, error: statsError });
  useEffect(() => {
    const fn = (stats, error) => setState({ stats, error });
    statsListeners.add(fn);
    if (!timer) {
      if (Date.now() - fetchedAt > STATS_POLL_MS / 2) pollStats();
      timer = setInterval(pollStats, STATS_POLL_MS);
    }
    return () => {
      statsListeners.delete(fn);
      if (!statsListeners.size) { clearInterval(timer); timer = null; }
    };
  }, []);
  return state;
}
