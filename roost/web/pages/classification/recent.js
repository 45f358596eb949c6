// Recent classifications: the model's latest attempts, newest or "suggested next" first
// (training's ranking: uncertain and unlike anything labelled), grouped by event for object
// models. One click on a class (or its number key) files an image; click, shift-click and
// drag select many. Near-duplicates of dataset images are marked, and a bulk selection says
// how many distinct images it holds: filing twenty copies of one moment teaches nothing new.
import { html, useEffect, useRef, useState } from '../../lib/html.js';
import { api, act, useApi } from '../../lib/api.js';
import { isAdmin } from '../../lib/session.js';
import { Empty, ErrorBox, Spinner, formatDateTime, formatTime, toast } from '../../lib/ui.js';
import { attemptUrl, modelPath, parseAttempt, percent } from './common.js';

const MAX_NUMBER_KEYS = 9;

function useSuggestions(name, trained, files) {
  const [byFile, setByFile] = useState(new Map());
  useEffect(() => {
    if (!trained || !files?.length) { setByFile(new Map()); return () => {}; }
    let live = true;
    api.get(modelPath(name, '/suggestions'), { limit: 500 })
      .then((list) => live && setByFile(new Map(list.map((s, i) => [s.file, { ...s, rank: i }]))))
      .catch(() => live && setByFile(new Map()));
    return () => { live = false; };
  }, [name, trained, files?.join('|')]);
  return byFile;
}

/** How many distinct images the selection holds (near-duplicates clustered by the server). */
function useDistinct(name, files) {
  const [answer, setAnswer] = useState(null);
  const key = files.join('|');
  useEffect(() => {
    if (files.length < 2) { setAnswer(null); return () => {}; }
    let live = true;
    const timer = setTimeout(() => {
      api.post(modelPath(name, '/distinct'), { files }).then((a) => live && setAnswer(a)).catch(() => live && setAnswer(null));
    }, 250);
    return () => { live = false; clearTimeout(timer); };
  }, [name, key]);
  return answer && answer.files === files.length ? answer : null;
}

function Tile({ name, file, info, suggestion, selected, classes, admin, onPointer, onFile }) {
  const near = suggestion?.near_duplicate;
  return html`<div class=${`cls-tile cls-attempt ${selected ? 'cls-selected' : ''}`} data-file=${file}
      aria-selected=${selected ? 'true' : 'false'}>
    <button class="cls-tile-pick" aria-pressed=${selected ? 'true' : 'false'} aria-label=${`Select ${file}`}
      onMouseDown=${(e) => onPointer(e, 'down')} onMouseEnter=${(e) => onPointer(e, 'enter')}
      onClick=${(e) => onPointer(e, 'click')} onFocus=${(e) => onPointer(e, 'focus')}>
      <img src=${attemptUrl(name, file)} alt=${info ? `${info.label} ${percent(info.score)}` : file} loading="lazy" draggable="false" />
      ${near && html`<span class="badge cls-near" title=${`Looks like ${suggestion.nearest_dataset_image} (${percent(suggestion.similarity)} similar)`}>≈ in dataset</span>`}
    </button>
    <div class="cls-tile-meta small">
      <span><b>${info?.label ?? '?'}</b> ${info?.score !== null && info?.score !== undefined ? percent(info.score) : ''}</span>
      <span class="muted">${info ? formatTime(info.timestamp) : ''}</span>
    </div>
    ${admin && html`<div class="cls-file-as" role="group" aria-label=${`File ${file} as`}>
      ${classes.map((cls, i) => html`<button class="cls-file-button" title=${i < MAX_NUMBER_KEYS ? `File as ${cls} (key ${i + 1})` : `File as ${cls}`}
        onClick=${() => onFile([file], cls)}>${i < MAX_NUMBER_KEYS ? html`<kbd>${i + 1}</kbd>` : ''}${cls}</button>`)}
    </div>`}
  </div>`;
}

export function Recent({ name, model, classes }) {
  const { status, config, reload: reloadModel } = model;
  const { data: files, error, loading, reload } = useApi(modelPath(name, '/train'));
  const trained = Boolean(status?.metrics);
  const suggestions = useSuggestions(name, trained, files);
  const [order, setOrder] = useState('suggested');
  const [selected, setSelected] = useState([]);
  const anchor = useRef(null);
  const dragging = useRef(null);
  const focused = useRef(null);
  const admin = isAdmin();
  const objectModel = config?.type === 'object';

  const list = (files || []).map((file) => ({ file, info: parseAttempt(file), suggestion: suggestions.get(file) }));
  const shown = trained ? order : 'newest';
  const useRanking = shown === 'suggested' && suggestions.size > 0;
  if (useRanking) list.sort((a, b) => (a.suggestion?.rank ?? 1e9) - (b.suggestion?.rank ?? 1e9));
  const groups = [];
  if (objectModel) {
    const byEvent = new Map();
    for (const item of list) {
      const id = item.info?.event || 'unknown';
      if (!byEvent.has(id)) { byEvent.set(id, []); groups.push({ id, items: byEvent.get(id) }); }
      byEvent.get(id).push(item);
    }
  } else {
    groups.push({ id: null, items: list });
  }
  const flat = groups.flatMap((g) => g.items.map((i) => i.file));
  const selectedFiles = flat.filter((f) => selected.includes(f));
  const distinct = useDistinct(name, selectedFiles);

  useEffect(() => {
    const up = () => { dragging.current = null; };
    window.addEventListener('mouseup', up);
    return () => window.removeEventListener('mouseup', up);
  }, []);

  const fileAs = async (chosen, cls) => {
    let moved = 0;
    for (const file of chosen) {
      const done = await act(() => api.post(modelPath(name, '/dataset/categorize'), { category: cls, training_file: file }));
      if (done === undefined) break;
      moved += 1;
    }
    if (moved) toast(`Filed ${moved} image${moved === 1 ? '' : 's'} as ${cls}`);
    setSelected((s) => s.filter((f) => !chosen.includes(f)));
    reload();
    reloadModel();
  };

  const onPointer = (event, kind, file) => {
    if (kind === 'focus') { focused.current = file; return; }
    if (kind === 'enter') {  // dragging over tiles selects the start tile and every tile passed
      const start = dragging.current;
      if (start && start !== file) setSelected((s) => [...new Set([...s, start, file])]);
      return;
    }
    if (kind === 'down') {
      if (event.button !== 0 || event.shiftKey) return;
      dragging.current = file;
      return;
    }
    // click
    if (event.shiftKey && anchor.current && flat.includes(anchor.current)) {
      const [a, b] = [flat.indexOf(anchor.current), flat.indexOf(file)].sort((x, y) => x - y);
      setSelected((s) => [...new Set([...s, ...flat.slice(a, b + 1)])]);
    } else {
      setSelected((s) => (s.includes(file) ? s.filter((f) => f !== file) : [...s, file]));
      anchor.current = file;
    }
  };

  useEffect(() => {
    if (!admin) return () => {};
    const onKey = (event) => {
      if (event.target.closest?.('input, textarea, select') || event.ctrlKey || event.metaKey || event.altKey) return;
      const n = Number(event.key);
      if (!Number.isInteger(n) || n < 1 || n > Math.min(classes.length, MAX_NUMBER_KEYS)) {
        if (event.key === 'Escape') setSelected([]);
        return;
      }
      const chosen = selectedFiles.length ? selectedFiles : focused.current ? [focused.current] : [];
      if (chosen.length) { event.preventDefault(); fileAs(chosen, classes[n - 1]); }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  if (error) return html`<${ErrorBox} error=${error} onRetry=${reload} />`;
  if (loading && !files) return html`<${Spinner} />`;
  const copies = distinct && distinct.distinct < distinct.files;
  return html`<section class="cls-recent">
    <div class="cls-toolbar" role="toolbar" aria-label="Recent classifications">
      <span class="chips" role="group" aria-label="Order">
        <button class="chip" aria-pressed=${shown === 'suggested' ? 'true' : 'false'} disabled=${!trained}
          title=${trained ? 'Uncertain images unlike anything labelled first' : 'Train the model to get suggestions'}
          onClick=${() => setOrder('suggested')}>Suggested next</button>
        <button class="chip" aria-pressed=${shown === 'newest' ? 'true' : 'false'} onClick=${() => setOrder('newest')}>Newest</button>
      </span>
      <span class="small muted">${(files || []).length} recent · click, shift-click or drag to select · keys 1–${Math.min(classes.length, MAX_NUMBER_KEYS)} file</span>
      ${admin && selectedFiles.length > 0 && html`<span class="cls-bulk">
        <b>${selectedFiles.length} selected</b>
        ${classes.map((cls, i) => html`<button class="chip" onClick=${() => fileAs(selectedFiles, cls)}>${i < MAX_NUMBER_KEYS ? `${i + 1} ` : ''}${cls}</button>`)}
        <button class="button" onClick=${() => setSelected([])}>Clear</button></span>`}
    </div>
    ${copies && html`<p class="cls-warn cls-dup-warning" role="alert">
      ${distinct.files} images selected, but they hold only ${distinct.distinct} distinct
      image${distinct.distinct === 1 ? '' : 's'}: the rest are near-copies of the same moment. Filing copies adds little and
      makes the model learn that one moment; keep one of each and label images from other times instead.</p>`}
    ${!files?.length && html`<${Empty}>No recent classifications yet. They appear here as the model runs${
      objectModel ? ' on tracked objects' : ' on the cameras'}; an untrained model saves none.<//>`}
    ${groups.map((group) => html`<div class="cls-group" key=${group.id || 'all'}>
      ${group.id && html`<h3 class="cls-group-head small">${group.id === 'unknown' ? 'Other images'
        : `Event ${formatDateTime(Number(group.id.split('-')[0]))}`} <span class="muted">· ${group.items.length}</span></h3>`}
      <div class="cls-tiles">${group.items.map(({ file, info, suggestion }) => html`<${Tile} key=${file} name=${name} file=${file}
        info=${info} suggestion=${suggestion} selected=${selected.includes(file)} classes=${classes} admin=${admin}
        onPointer=${(e, kind) => onPointer(e, kind, file)} onFile=${fileAs} />`)}</div>
    </div>`)}
  </section>`;
}
