// "Send to annotation" (Frigate's "Send to Frigate+", kept on this machine): a frame and the
// detector's boxes go to the Annotate page, with the user's call on the object when asked.
// Used by Explore (an event), Review (an item) and the camera page (the live frame).
import { html, useState } from './html.js';
import { api } from './api.js';
import { href } from './router.js';
import { isAdmin, session } from './session.js';
import { toast } from './ui.js';

/** POST the right path for `target` ({event, falsePositive} | {review} | {camera}). */
export function sendToAnnotation(target) {
  if (target.event) {
    const id = encodeURIComponent(target.event);
    return target.falsePositive ? api.put(`api/events/${id}/false_positive`) : api.post(`api/events/${id}/plus`);
  }
  if (target.review) return api.post(`api/review/${encodeURIComponent(target.review)}/plus`);
  return api.post(`api/${encodeURIComponent(target.camera)}/plus`);
}

/** Admin-only buttons. For an event (`label` given) the user says whether it is one. */
export function SendToAnnotation({ event, review, camera, label, compact = false }) {
  const [sent, setSent] = useState(null);
  const [busy, setBusy] = useState(false);
  if (!isAdmin() || !session.pages.includes('annotate')) return null;
  const send = async (falsePositive) => {
    setBusy(true);
    try {
      const answer = await sendToAnnotation({ event, review, camera, falsePositive });
      setSent(answer.plus_id);
      toast(answer.message === 'Already sent to annotation' ? 'Already in annotation (mark updated)' : 'Sent to annotation');
    } catch (error) {
      toast(error.message, 'error');
    } finally {
      setBusy(false);
    }
  };
  const open = sent && html`<a class="button" href=${href('annotate', [sent])}>Open in Annotate</a>`;
  if (event) {
    return html`<div class="an-send" role="group" aria-label="Send to annotation">
      <span class="muted small">${compact ? 'Annotate:' : `Send to annotation — is this a ${label}?`}</span>
      <button class="button" disabled=${busy} onClick=${() => send(false)} title="Send the frame as a true positive">Yes, a ${label}</button>
      <button class="button" disabled=${busy} onClick=${() => send(true)} title="Send the frame as a false positive">No</button>
      ${open}
    </div>`;
  }
  return html`<span class="an-send">
    <button class="button" disabled=${busy} onClick=${() => send(null)}
      title="Keep this frame and the detector's boxes for annotation">Send to annotation</button>${open}</span>`;
}
