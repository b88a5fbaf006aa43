// Small DOM and formatting helpers shared by the views.

/** h('div', {class: 'x', onclick: f}, child, 'text', ...): an element; null/false children are skipped. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function bytes(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return '–';
  let i = 0;
  let v = n;
  while (v >= 1024 && i < UNITS.length - 1) { v /= 1024; i++; }
  return (i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)) + ' ' + UNITS[i];
}

export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const s = Math.round(ms / 1000);
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
  return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
}

export function when(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

export function shortDigest(d) {
  return d && d.startsWith('sha256:') ? d.slice(0, 19) + '…' : d || '';
}

export function stateBadge(state) {
  return h('span', { class: 'badge state-' + state }, state);
}

/** A labelled progress bar; value 0..1 or null (unknown). */
export function bar(value, label) {
  const pct = value === null ? null : Math.max(0, Math.min(100, Math.floor(value * 100)));
  return h('div', {
    class: 'bar' + (pct === null ? ' unknown' : ''), role: 'progressbar', 'aria-label': label,
    'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': pct === null ? null : String(pct),
  }, h('div', { class: 'fill', style: 'width:' + (pct === null ? 0 : pct) + '%' }),
  h('span', { class: 'pct' }, pct === null ? '' : pct + ' %'));
}

/** A problem document shown plainly: title, detail, and per-field errors. */
export function problemBox(p, heading) {
  if (!p) return null;
  return h('div', { class: 'problem', role: 'alert' },
    h('strong', {}, heading || p.title || 'Failed'),
    heading && p.title ? h('div', {}, p.title) : null,
    p.detail ? h('div', { class: 'detail' }, p.detail) : null,
    Array.isArray(p.errors) && p.errors.length
      ? h('ul', {}, p.errors.map((e) => h('li', {}, h('code', {}, e.field), ': ', e.message))) : null,
    p.type ? h('div', { class: 'type' }, p.type) : null);
}

/** Bytes, rate and ETA of a job's progress ({bytesDone, bytesTotal, bytesSkipped}); rate in bytes/s or null. */
export function progressLine(p, rate, running) {
  if (!p) return '';
  const done = (p.bytesDone || 0) + (p.bytesSkipped || 0);
  const parts = [bytes(done) + ' of ' + (p.bytesTotal ? bytes(p.bytesTotal) : '?')];
  if (p.bytesSkipped) parts.push(bytes(p.bytesSkipped) + ' already there');
  if (running && rate !== null && rate !== undefined) {
    parts.push(bytes(rate) + '/s');
    const left = (p.bytesTotal || 0) - done;
    if (rate > 0 && left > 0) parts.push('ETA ' + duration(left / rate * 1000));
  }
  return parts.join(' · ');
}

/** Fraction of a job done, for its bar. */
export function fraction(job) {
  if (job.state === 'succeeded') return 1;
  const p = job.progress;
  if (!p || !p.bytesTotal) return job.state === 'running' || job.state === 'queued' ? null : 0;
  return ((p.bytesDone || 0) + (p.bytesSkipped || 0)) / p.bytesTotal;
}

/** What a job is about, in one line. */
export function summary(job) {
  const r = job.request || {};
  if (r.source && r.destination) return r.source + ' → ' + r.destination;
  if (r.yaml) return 'YAML (' + Object.keys(r.yaml).join(', ') + ') → ' + (r.destination || '');
  return r.image || r.source || '';
}
