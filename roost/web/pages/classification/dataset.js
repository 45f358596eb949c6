// Dataset: the labelled images per class; select to move or delete, upload your own images,
// add a class.
import { html, useState } from '../../lib/html.js';
import { api, act } from '../../lib/api.js';
import { isAdmin } from '../../lib/session.js';
import { toast } from '../../lib/ui.js';
import { datasetUrl, modelPath, uploadImages } from './common.js';

function Upload({ name, cls, onDone }) {
  const [busy, setBusy] = useState(false);
  const pick = async (event) => {
    const files = [...(event.currentTarget.files || [])];
    event.currentTarget.value = '';
    if (!files.length) return;
    setBusy(true);
    try {
      const done = await uploadImages(name, cls, files);
      toast(`Added ${done.files.length} image${done.files.length === 1 ? '' : 's'} to ${cls}`);
      onDone();
    } catch (error) {
      toast(`Upload refused: ${error.message}`, 'error');
    } finally {
      setBusy(false);
    }
  };
  return html`<label class=${`button cls-upload ${busy ? 'cls-busy' : ''}`}>${busy ? 'Uploading…' : 'Upload images'}
    <input type="file" multiple accept="image/*" class="cls-file" aria-label=${`Upload images to ${cls}`} onChange=${pick} disabled=${busy} /></label>`;
}

export function DatasetView({ name, model, classes }) {
  const { dataset, reload } = model;
  const [selected, setSelected] = useState(new Set());
  const [newClass, setNewClass] = useState('');
  const admin = isAdmin();
  const key = (cls, file) => `${cls}/${file}`;
  const toggle = (cls, file) => {
    const next = new Set(selected);
    const k = key(cls, file);
    if (next.has(k)) next.delete(k); else next.add(k);
    setSelected(next);
  };
  const chosen = [...selected].map((k) => k.split('/'));
  const move = async (target) => {
    for (const [cls, file] of chosen) {
      if (cls === target) continue;
      if (await act(() => api.post(modelPath(name, `/dataset/${encodeURIComponent(cls)}/reclassify`), { id: file, new_category: target })) === undefined) break;
    }
    toast(`Moved ${chosen.length} image${chosen.length === 1 ? '' : 's'} to ${target}`);
    setSelected(new Set());
    reload();
  };
  const remove = async () => {
    const byClass = {};
    for (const [cls, file] of chosen) (byClass[cls] ||= []).push(file);
    for (const [cls, ids] of Object.entries(byClass)) {
      await act(() => api.post(modelPath(name, `/dataset/${encodeURIComponent(cls)}/delete`), { ids }));
    }
    toast(`Deleted ${chosen.length} image${chosen.length === 1 ? '' : 's'}`);
    setSelected(new Set());
    reload();
  };
  const addClass = async (event) => {
    event.preventDefault();
    const cls = newClass.trim();
    if (!cls) return;
    if (await act(() => api.post(modelPath(name, `/dataset/${encodeURIComponent(cls)}/create`)), `Class ${cls} added`)) {
      setNewClass('');
      reload();
    }
  };
  return html`<section class="cls-dataset">
    ${admin && html`<div class="cls-toolbar" role="toolbar" aria-label="Selected images">
      <span class="small">${chosen.length ? `${chosen.length} selected` : 'Click images to select them'}</span>
      ${chosen.length > 0 && html`<span class="small muted">Move to</span>
        ${classes.map((cls) => html`<button class="chip" onClick=${() => move(cls)}>${cls}</button>`)}
        <button class="button button-danger" onClick=${remove}>Delete</button>
        <button class="button" onClick=${() => setSelected(new Set())}>Clear</button>`}
      <form class="cls-add-class" onSubmit=${addClass}>
        <input value=${newClass} placeholder="new class" maxlength="64" aria-label="New class name" onInput=${(e) => setNewClass(e.currentTarget.value)} />
        <button class="button">Add class</button></form>
    </div>`}
    ${classes.map((cls) => {
      const files = dataset.categories[cls] || [];
      return html`<div class="cls-class" data-class=${cls} key=${cls}>
        <div class="cls-class-head"><h2>${cls}</h2><span class="badge">${files.length} image${files.length === 1 ? '' : 's'}</span>
          ${admin && html`<${Upload} name=${name} cls=${cls} onDone=${reload} />`}</div>
        ${files.length ? html`<div class="cls-tiles">${files.map((file) => {
          const on = selected.has(key(cls, file));
          return html`<button class=${`cls-tile ${on ? 'cls-selected' : ''}`} key=${file} aria-pressed=${on ? 'true' : 'false'}
            title=${file} disabled=${!admin} onClick=${() => toggle(cls, file)}>
            <img src=${datasetUrl(name, cls, file)} alt=${`${cls}: ${file}`} loading="lazy" /></button>`;
        })}</div>` : html`<p class="muted small">No images yet: file some from Recent classifications or upload your own.</p>`}
      </div>`;
    })}
  </section>`;
}
