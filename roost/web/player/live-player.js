// Roost's low-latency live player: the camera's own H.264, copied (never re-encoded) from
// the restream into fragmented MP4 over a websocket and played through Media Source
// Extensions; MJPEG (or latest.jpg) when the browser cannot play the stream's codec.
// See README.md beside this file for the API and how a page uses it.

const RETRY_MS = 2000;
const MAX_FAILED_TRIES = 3;
const KEEP_SECONDS = 10;
const EDGE_SECONDS = 0.05; // where a jump lands, before the newest frame
const CATCH_UP_SECONDS = 0.15; // behind more than this: play at 1.1x until caught up

/**
 * Play camera (or restream stream) `camera` in `video`. Returns stop().
 * options:
 *   base        URL of the Roost server the paths are relative to (default: the page's
 *               document.baseURI, so a UI served under a proxy sub-path works)
 *   onFallback  (reason: string) => void, called once when MJPEG takes over
 *   onState     (state: "connecting" | "playing" | "reconnecting" | "fallback" | "stopped") => void
 *   fallback    "mjpeg" (default: an <img> of api/<camera>?fps= after the video),
 *               "latest" (an <img> polling api/<camera>/latest.jpg), or "none" (only
 *               onFallback is called: the page shows its own picture)
 *   fallbackFps frames per second of the fallback (default 5)
 *   maxLatency  seconds behind the live edge before the player jumps ahead (default 0.5)
 */
export function startLivePlayer(video, camera, options = {}) {
  const opts = { base: document.baseURI, fallback: "mjpeg", fallbackFps: 5, maxLatency: 0.5, ...options };
  let stopped = false;
  let socket = null;
  let mediaSource = null;
  let objectUrl = null;
  let failedTries = 0;
  let retryTimer = null;
  let fallbackImage = null;
  let pollTimer = null;
  let fellBack = false;

  const state = (s) => opts.onState && opts.onState(s);
  video.muted = true;
  video.playsInline = true;

  const relative = (path) => new URL(path, opts.base);

  function wsUrl() {
    const target = relative(`live/mse/api/ws?src=${encodeURIComponent(camera)}`);
    target.protocol = target.protocol === "https:" ? "wss:" : "ws:";
    return target.href;
  }

  function connect() {
    if (stopped) return;
    if (!window.MediaSource) return fallBack("this browser has no Media Source Extensions");
    state(failedTries ? "reconnecting" : "connecting");
    const queue = [];
    let sourceBuffer = null;
    let gotData = false;
    socket = new WebSocket(wsUrl());
    socket.binaryType = "arraybuffer";

    const pump = () => {
      if (!sourceBuffer || sourceBuffer.updating || !queue.length) return;
      try {
        sourceBuffer.appendBuffer(queue.shift());
      } catch (error) {
        if (error.name === "QuotaExceededError") trim(true);
        else socket.close();
      }
    };

    const trim = (hard) => {
      const ranges = sourceBuffer.buffered;
      if (!ranges.length || sourceBuffer.updating) return;
      const keepFrom = video.currentTime - (hard ? 1 : KEEP_SECONDS);
      if (keepFrom > ranges.start(0)) sourceBuffer.remove(ranges.start(0), keepFrom);
    };

    // Stay at the live edge: jump when far behind, play a little faster when slightly behind.
    const followLiveEdge = () => {
      const ranges = video.buffered;
      if (!ranges.length) return;
      const end = ranges.end(ranges.length - 1);
      const behind = end - video.currentTime;
      if (video.currentTime < ranges.start(ranges.length - 1) || behind > opts.maxLatency) {
        video.currentTime = Math.max(ranges.start(ranges.length - 1), end - EDGE_SECONDS);
      }
      video.playbackRate = behind > CATCH_UP_SECONDS ? 1.1 : 1.0;
      if (video.paused) video.play().catch(() => {});
    };

    socket.onmessage = (event) => {
      if (typeof event.data === "string") {
        const message = JSON.parse(event.data);
        if (message.type === "error") {
          socket.close();
          return;
        }
        if (message.type !== "mse") return;
        if (!MediaSource.isTypeSupported(message.value)) {
          return fallBack(`this browser cannot play ${message.value}`);
        }
        mediaSource = new MediaSource();
        if (objectUrl) URL.revokeObjectURL(objectUrl);
        objectUrl = URL.createObjectURL(mediaSource);
        mediaSource.addEventListener("sourceopen", () => {
          sourceBuffer = mediaSource.addSourceBuffer(message.value);
          sourceBuffer.mode = "segments";
          sourceBuffer.addEventListener("updateend", () => {
            followLiveEdge();
            if (video.currentTime > KEEP_SECONDS * 2) trim(false);
            pump();
          });
          pump();
        }, { once: true });
        video.src = objectUrl;
        return;
      }
      if (!gotData) {
        gotData = true;
        failedTries = 0;
        state("playing");
      }
      queue.push(event.data);
      pump();
    };

    socket.onclose = () => {
      if (stopped || fellBack) return;
      failedTries = gotData ? 1 : failedTries + 1;
      if (failedTries > MAX_FAILED_TRIES) return fallBack("the live stream is not available");
      state("reconnecting");
      retryTimer = setTimeout(connect, RETRY_MS);
    };
  }

  function fallBack(reason) {
    if (stopped || fallbackImage || fellBack) return;
    fellBack = true;
    closeSocket();
    state("fallback");
    if (opts.onFallback) opts.onFallback(reason);
    if (opts.fallback === "none") return;
    const image = document.createElement("img");
    image.className = video.className;
    image.alt = `${camera} (live images)`;
    image.dataset.roostFallback = opts.fallback;
    image.style.cssText = video.style.cssText;
    video.style.display = "none";
    video.after(image);
    fallbackImage = image;
    const api = `api/${encodeURIComponent(camera)}`;
    if (opts.fallback === "latest") {
      const refresh = () => { image.src = relative(`${api}/latest.jpg?t=${Date.now()}`).href; };
      refresh();
      pollTimer = setInterval(refresh, 1000 / opts.fallbackFps);
    } else {
      image.src = relative(`${api}?fps=${opts.fallbackFps}`).href;
    }
  }

  function closeSocket() {
    clearTimeout(retryTimer);
    if (socket) {
      socket.onclose = null;
      socket.close();
      socket = null;
    }
  }

  connect();

  return function stop() {
    stopped = true;
    closeSocket();
    clearInterval(pollTimer);
    if (fallbackImage) {
      fallbackImage.src = "";
      fallbackImage.remove();
      fallbackImage = null;
      video.style.display = "";
    }
    video.removeAttribute("src");
    video.load();
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    state("stopped");
  };
}
