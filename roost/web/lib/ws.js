// The websocket client of `/ws`. The server sends {"topic", "payload"} with Roost's MQTT
// topics relative to the prefix: "events", "reviews", "tracked_object_update", "stats",
// "<camera>/motion", "<camera>/<label>" (counts), "<camera>/<switch>/state",
// "<camera>/classification/<model>", "model_state", ... Payloads that are JSON text are
// parsed. One connection per tab, reconnecting with back-off.
import { useEffect, useState } from './html.js';

/** Feeds: every message is news, so a late subscriber is not handed the previous one. */
const FEEDS = new Set(['events', 'reviews', 'tracked_object_update']);
const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 10000;

/** MQTT-style match: "+" one level, "#" the rest. */
export function topicMatches(pattern, topic) {
  if (pattern === topic || pattern === '#') return true;
  const p = pattern.split('/');
  const t = topic.split('/');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '#') return true;
    if (i >= t.length || (p[i] !== '+' && p[i] !== t[i])) return false;
  }
  return p.length === t.length;
}

function parse(payload) {
  if (typeof payload !== 'string') return payload;
  const first = payload.trimStart()[0];
  if (first === '{' || first === '[') {
    try { return JSON.parse(payload); } catch { return payload; }
  }
  return payload;
}

class RoostSocket {
  constructor() {
    this.handlers = new Set(); // {pattern, fn}
    this.last = new Map(); // topic → latest payload (state-like topics)
    this.connected = false;
    this.statusHandlers = new Set();
    this.delay = RECONNECT_MIN_MS;
    this.socket = null;
    this.outbox = [];
  }

  start() {
    if (this.socket) return;
    const address = new URL('ws', document.baseURI);
    address.protocol = address.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(address);
    this.socket = socket;
    socket.onopen = () => {
      this.delay = RECONNECT_MIN_MS;
      this.setConnected(true);
      for (const text of this.outbox.splice(0)) socket.send(text);
    };
    socket.onmessage = (message) => {
      let data;
      try { data = JSON.parse(message.data); } catch { return; }
      if (!data || typeof data.topic !== 'string') return;
      this.dispatch(data.topic, parse(data.payload));
    };
    socket.onclose = () => {
      this.socket = null;
      this.setConnected(false);
      setTimeout(() => this.start(), this.delay);
      this.delay = Math.min(this.delay * 2, RECONNECT_MAX_MS);
    };
  }

  dispatch(topic, payload) {
    if (!FEEDS.has(topic)) this.last.set(topic, payload);
    for (const { pattern, fn } of [...this.handlers]) {
      if (topicMatches(pattern, topic)) {
        try { fn(payload, topic); } catch (error) { console.warn('ws handler failed', topic, error); }
      }
    }
  }

  setConnected(value) {
    this.connected = value;
    for (const fn of this.statusHandlers) fn(value);
  }

  /** Call fn(payload, topic) for every message whose topic matches `pattern`; at once for
   *  the latest value of each matching state topic already seen. Returns unsubscribe. */
  subscribe(pattern, fn) {
    const entry = { pattern, fn };
    this.handlers.add(entry);
    for (const [topic, payload] of this.last) {
      if (topicMatches(pattern, topic)) fn(payload, topic);
    }
    return () => this.handlers.delete(entry);
  }

  /** Send a command, e.g. send("front/detect/set", "OFF") (ignored by the server for viewers). */
  send(topic, payload) {
    const text = JSON.stringify({ topic, payload });
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(text);
    else this.outbox.push(text);
  }

  /** Latest payload of a state topic, or undefined. */
  value(topic) { return this.last.get(topic); }

  onStatus(fn) {
    this.statusHandlers.add(fn);
    fn(this.connected);
    return () => this.statusHandlers.delete(fn);
  }
}

export const ws = new RoostSocket();
export const subscribe = (pattern, fn) => ws.subscribe(pattern, fn);

/** The latest payload of one state topic, re-rendering on change ("front/motion" → "ON"). */
export function useTopic(topic, initial = undefined) {
  const [value, setValue] = useState(() => ws.value(topic) ?? initial);
  useEffect(() => ws.subscribe(topic, (payload) => setValue(payload)), [topic]);
  return value;
}

/** Whether the websocket is connected. */
export function useConnected() {
  const [connected, setConnected] = useState(ws.connected);
  useEffect(() => ws.onStatus(setConnected), []);
  return connected;
}
