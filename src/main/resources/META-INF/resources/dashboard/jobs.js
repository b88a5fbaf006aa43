// The jobs list (newest first, filtered, refreshed every second) and one job's detail (live over SSE).

import { api, followEvents } from './api.js';
import { h, clear, bar, bytes, duration, when, shortDigest, stateBadge, problemBox, progressLine, fraction, summary } from './ui.js';

const STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];
const TYPES = ['copy', 'sync', 'delete', 'import'];
const REFRESH_MS = 1000;

/** Rates measured between refreshes, per job: {bytes, at, rate}. */
const rates = new Map();

function measure(job) {
  if (job.state !== 'running' || !job.progress) { rates.delete(job.id); return null; }
  const now = performance.now();
  const b = (job.progress.bytesDone || 0);
  const prev = rates.get(job.id);
  if (!prev) { rates.set(job.id, { bytes: b, at: now, rate: null }); return null; }
  if (now - prev.at < 200) return prev.rate;
  const instant = Math.max(0, (b - prev.bytes) / ((now - prev.at) / 1000));
  const rate = prev.rate === null ? instant : prev.rate * 0.6 + instant * 0.4;
  rates.set(job.id, { bytes: b, at: now, rate });
  return rate;
}

export function jobsView(main, ctx, params) {
  const state = params.get('state') || '';
  const type = params.get('type') || '';
  const status = h('p', { class: 'muted', 'aria-live': 'polite' });
  const body = h('tbody');
  const select = (id, label, values, value) => h('label', { for: id }, label + ' ',
    h('select', { id, name: id, onchange: () => applyFilters() },
      h('option', { value: '' }, 'any'), values.map((v) => h('option', { value: v, selected: v === value }, v))));
  const filters = h('form', { class: 'filters', 'aria-label': 'Filter jobs', onsubmit: (e) => { e.preventDefault(); applyFilters(); } },
    select('filter-state', 'State', STATES, state), select('filter-type', 'Type', TYPES, type));

  function applyFilters() {
    const q = new URLSearchParams();
    const s = filters.querySelector('#filter-state').value;
    const t = filters.querySelector('#filter-type').value;
    if (s) q.set('state', s);
    if (t) q.set('type', t);
    location.hash = '#/jobs' + (q.toString() ? '?' + q : '');
  }

  clear(main,
    h('div', { class: 'title-row' }, h('h1', {}, 'Jobs'),
      ctx.caller.level >= 2 ? h('a', { class: 'button', href: '#/copy' }, 'New copy') : null),
    filters,
    h('table', { class: 'jobs' },
      h('caption', { class: 'sr-only' }, 'Jobs, newest first'),
      h('thead', {}, h('tr', {}, ['Job', 'State', 'What', 'Progress', 'Created'].map((c) => h('th', { scope: 'col' }, c)))),
      body),
    status);

  let timer = null;
  let stopped = false;
  async function refresh() {
    const q = { limit: '50' };
    if (state) q.state = state;
    if (type) q.type = type;
    try {
      const page = (await api.jobs(q)).body;
      if (stopped) return;
      render(page.items);
      status.textContent = page.items.length ? '' : 'No jobs' + (state || type ? ' match these filters.' : ' yet.');
    } catch (e) {
      if (stopped) return;
      clear(status, problemBox(e.problem, 'Could not list jobs'));
    }
    if (!stopped) timer = setTimeout(refresh, REFRESH_MS);
  }

  function render(items) {
    const rows = items.map((job) => {
      const rate = measure(job);
      const running = job.state === 'running';
      const what = h('td', { class: 'what' }, h('div', { class: 'summary' }, summary(job)));
      if (job.state === 'failed' && job.error) {
        what.append(h('div', { class: 'problem inline' }, h('strong', {}, job.error.title), ' ', job.error.detail || ''));
      }
      return h('tr', { 'data-job': job.id, 'data-state': job.state },
        h('td', {}, h('a', { href: '#/jobs/' + job.id, 'aria-label': job.type + ' job ' + job.id }, job.type), ' ',
          h('code', { class: 'id' }, job.id.slice(0, 8))),
        h('td', {}, stateBadge(job.state)),
        what,
        h('td', { class: 'progress' },
          job.type === 'delete' ? null : bar(fraction(job), 'progress of job ' + job.id),
          h('div', { class: 'small' }, job.type === 'delete' ? '' : progressLine(job.progress, rate, running),
            job.durationMs !== undefined ? ' · took ' + duration(job.durationMs) : '')),
        h('td', { class: 'small' }, when(job.createdAt)));
    });
    body.replaceChildren(...rows);
  }

  refresh();
  return () => { stopped = true; clearTimeout(timer); };
}

// ---- one job ---------------------------------------------------------------------------------------

const BLOB_STATUS = {
  started: 'streaming', skipped: null, retrying: 'retrying', done: 'done', failed: 'failed',
};

export function jobView(main, ctx, id) {
  const head = h('div');
  const overall = h('section', { 'aria-label': 'Progress' });
  const live = h('p', { class: 'small muted', 'aria-live': 'polite' });
  const blobsBody = h('tbody');
  const manifests = h('ul', { class: 'manifests' });
  const images = h('tbody');
  const request = h('pre', { class: 'json' });
  const result = h('section');
  const blobs = new Map();
  const imageRows = new Map();
  let job = null;
  let rate = null;

  clear(main,
    h('p', {}, h('a', { href: '#/jobs' }, '← All jobs')),
    head, overall, live,
    h('section', { class: 'images-section', hidden: true }, h('h2', {}, 'Images'),
      h('table', {}, h('thead', {}, h('tr', {}, ['Source', 'Destination', 'State', 'Detail'].map((c) => h('th', { scope: 'col' }, c)))), images)),
    h('section', { class: 'blobs-section' }, h('h2', {}, 'Blobs'),
      h('table', { class: 'blobs' }, h('thead', {}, h('tr', {}, ['Digest', 'Type', 'Size', 'Status', 'Progress'].map((c) => h('th', { scope: 'col' }, c)))), blobsBody)),
    h('section', {}, h('h2', {}, 'Manifests pushed'), manifests),
    result,
    h('section', {}, h('h2', {}, 'Request'), h('p', { class: 'small muted' }, 'As submitted, with credentials removed (listed under "redacted").'), request));

  function renderHead() {
    const terminal = ['succeeded', 'failed', 'cancelled'].includes(job.state);
    const canCancel = !terminal && ctx.caller.level >= 2;
    const canRerun = terminal && (job.type === 'delete' ? ctx.caller.level >= 3 : ctx.caller.level >= 2);
    clear(head,
      h('div', { class: 'title-row' },
        h('h1', {}, job.type + ' job ', stateBadge(job.state)),
        h('div', { class: 'actions' },
          canCancel ? h('button', { type: 'button', class: 'danger', onclick: cancel }, 'Cancel job') : null,
          canRerun ? h('button', { type: 'button', onclick: runAgain }, 'Run again') : null)),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Id'), h('dd', {}, h('code', {}, job.id)),
        h('dt', {}, 'What'), h('dd', {}, summary(job)),
        h('dt', {}, 'Created'), h('dd', {}, when(job.createdAt)),
        h('dt', {}, 'Started'), h('dd', {}, when(job.startedAt)),
        h('dt', {}, 'Finished'), h('dd', {}, when(job.finishedAt)),
        job.durationMs !== undefined ? [h('dt', {}, 'Took'), h('dd', {}, duration(job.durationMs))] : null,
        job.result && job.result.digest ? [h('dt', {}, 'Digest'), h('dd', {}, h('code', {}, job.result.digest))] : null),
      job.error ? problemBox(job.error, 'This job failed') : null);
    request.textContent = JSON.stringify(job.request, null, 2);
    if (job.result) clear(result, h('h2', {}, 'Result'), h('pre', { class: 'json' }, JSON.stringify(job.result, null, 2)));
    renderProgress();
  }

  function renderProgress() {
    if (!job || job.type === 'delete') { overall.replaceChildren(); return; }
    const p = job.progress || {};
    clear(overall, bar(fraction(job), 'job progress'),
      h('p', { class: 'small' }, progressLine(p, rate, job.state === 'running'),
        p.blobsTotal ? ' · blobs: ' + (p.blobsDone || 0) + ' copied, ' + (p.blobsSkipped || 0) + ' skipped ('
          + (p.blobsMounted || 0) + ' mounted) of ' + p.blobsTotal : '',
        p.retries ? ' · ' + p.retries + ' retries' : ''));
  }

  function blobRow(d) {
    let row = blobs.get(d.digest);
    if (!row) {
      const status = h('td', { class: 'status' });
      const progress = h('td', { class: 'progress' });
      const tr = h('tr', { 'data-digest': d.digest },
        h('td', {}, h('code', { title: d.digest }, shortDigest(d.digest))),
        h('td', { class: 'small' }, (d.mediaType || '').replace(/^application\/vnd\.(oci\.image|docker\.(image|container)\.)?/, '')),
        h('td', {}, bytes(d.size)), status, progress);
      row = { tr, status, progress, size: d.size, done: 0 };
      blobs.set(d.digest, row);
      blobsBody.append(tr);
    }
    return row;
  }

  function setBlob(row, status, detail, value) {
    row.tr.dataset.status = status;
    clear(row.status, h('span', { class: 'badge blob-' + status }, status), detail ? h('div', { class: 'small' }, detail) : null);
    clear(row.progress, bar(value, 'blob ' + row.tr.dataset.digest));
  }

  function onEvent(ev) {
    const d = ev.data;
    if (ev.kind === 'job') {
      job = d;
      renderHead();
    } else if (ev.kind === 'progress' && job) {
      job.progress = { ...job.progress, ...d };
      if (typeof d.bytesPerSecond === 'number') rate = d.bytesPerSecond;
      if (d.blobs) {
        for (const [digest, done] of Object.entries(d.blobs)) {
          const row = blobs.get(digest);
          if (row && row.tr.dataset.status !== 'done') { row.done = done; setBlob(row, row.tr.dataset.status || 'streaming', null, row.size ? done / row.size : null); }
        }
      }
      renderProgress();
    } else if (ev.kind === 'blob') {
      const row = blobRow(d);
      if (d.status === 'skipped') {
        setBlob(row, d.reason === 'mounted' ? 'mounted' : 'exists', d.reason === 'mounted' ? 'mounted from another repository' : 'already at the destination', 1);
      } else if (d.status === 'done') {
        setBlob(row, 'done', null, 1);
      } else if (d.status === 'failed') {
        setBlob(row, 'failed', d.reason, row.size ? row.done / row.size : 0);
      } else if (d.status === 'retrying') {
        setBlob(row, 'retrying', 'attempt ' + d.attempt + ': ' + d.reason, row.size ? row.done / row.size : null);
      } else {
        setBlob(row, BLOB_STATUS[d.status] || d.status, null, row.size ? row.done / row.size : null);
      }
    } else if (ev.kind === 'manifest') {
      manifests.append(h('li', {}, h('code', {}, d.digest), ' ', h('span', { class: 'small' }, d.mediaType), ' → ', d.reference));
    } else if (ev.kind === 'image') {
      main.querySelector('.images-section').hidden = false;
      const key = d.source + ' ' + d.destination;
      const tr = h('tr', {}, h('td', {}, d.source), h('td', {}, d.destination), h('td', {}, stateBadge(d.state || d.status || '')),
        h('td', { class: 'small' }, d.reason || d.action || (d.bytes !== undefined ? bytes(d.bytes) : '')));
      if (imageRows.has(key)) imageRows.get(key).replaceWith(tr); else images.append(tr);
      imageRows.set(key, tr);
    }
  }

  const stop = followEvents(id, onEvent, (state, detail) => {
    if (state === 'live') live.textContent = 'Live.';
    else if (state === 'reconnecting') live.textContent = 'Connection lost; reconnecting (resuming after event ' + '…)';
    else if (state === 'ended') {
      live.textContent = detail ? '' : 'Finished.';
      if (detail && !job) clear(head, problemBox(detail, 'Cannot show this job'));
    }
  });

  async function cancel(e) {
    e.target.disabled = true;
    try {
      job = (await api.cancel(id)).body;
      renderHead();
    } catch (err) {
      head.append(problemBox(err.problem, 'Could not cancel'));
      e.target.disabled = false;
    }
  }

  async function runAgain() {
    const r = { ...job.request };
    const redacted = r.redacted || [];
    delete r.redacted;
    if (redacted.length) {
      sessionStorage.setItem('ferry.prefill', JSON.stringify({ type: job.type, request: r, redacted }));
      location.hash = '#/' + job.type;
      return;
    }
    try {
      let res;
      if (job.type === 'copy') res = await api.copy(r);
      else if (job.type === 'delete') res = await api.delete(r);
      else if (r.yaml) {
        const yaml = JSON.stringify(r.yaml);
        delete r.yaml;
        res = await api.syncYaml(yaml, Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'source').map(([k, v]) => [k, String(v)])));
      } else res = await api.sync(r);
      location.hash = '#/jobs/' + res.body.id;
    } catch (err) {
      head.append(problemBox(err.problem, 'Could not run it again'));
    }
  }

  return stop;
}
