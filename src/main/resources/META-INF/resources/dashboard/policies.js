// Policies: the list (triggers, next due, last run with its counts) and one policy's run history, skipped due
// times and notification deliveries, with "Run now" for the roles allowed to (operator and up). Refreshed every 2 s.

import { api } from './api.js';
import { h, clear, duration, when, stateBadge, problemBox } from './ui.js';

const REFRESH_MS = 2000;

function triggers(p) {
  const t = p.triggers || {};
  const parts = [];
  if (t.interval) parts.push('every ' + t.interval);
  if (t.cron) parts.push('cron ' + t.cron);
  parts.push('manual');
  return parts.join(' · ') + (p.enabled ? '' : ' (schedule disabled)');
}

function counts(run) {
  if (!run) return '';
  const parts = [];
  for (const k of ['copied', 'skipped', 'failed', 'pruned']) {
    if (run[k] !== undefined && run[k] !== null) parts.push(k + ' ' + run[k]);
  }
  return parts.join(' · ');
}

function runLink(run) {
  return h('a', { href: '#/jobs/' + run.id, 'aria-label': 'job of run ' + run.id }, h('code', { class: 'id' }, run.id.slice(0, 8)));
}

function what(p) {
  const s = p.sync || {};
  return (s.source || (s.yaml ? 'YAML (' + Object.keys(s.yaml).join(', ') + ')' : '')) + ' → ' + (s.destination || '');
}

/** Starts a run; shows the problem (e.g. policy-run-active) in {@code status}; calls {@code started(job)}. */
async function runNow(name, dryRun, button, status, started) {
  button.disabled = true;
  try {
    const job = (await api.runPolicy(name, dryRun)).body;
    clear(status, (dryRun ? 'Plan' : 'Run') + ' started: ', h('a', { href: '#/jobs/' + job.id }, 'job ' + job.id.slice(0, 8)));
    if (started) started(job);
  } catch (e) {
    clear(status, problemBox(e.problem, 'Could not start ' + name));
  } finally {
    button.disabled = false;
  }
}

export function policiesView(main, ctx) {
  const body = h('tbody');
  const status = h('div', { class: 'muted', 'aria-live': 'polite' });
  clear(main,
    h('div', { class: 'title-row' }, h('h1', {}, 'Policies')),
    h('p', { class: 'small' }, 'Stored syncs that run on their triggers. Create and change them with the API (POST /api/v1/policies).'),
    h('table', { class: 'policies' },
      h('caption', { class: 'sr-only' }, 'Policies by name'),
      h('thead', {}, h('tr', {}, ['Policy', 'What', 'Triggers', 'Next due', 'Last run', ''].map((c) => h('th', { scope: 'col' }, c)))),
      body),
    status);

  let timer = null;
  let stopped = false;
  const canRun = ctx.caller.level >= 2;
  async function refresh() {
    try {
      const list = (await api.policies()).body.items;
      const last = await Promise.all(list.map((p) => api.policyRuns(p.name, { limit: '1' })
        .then((r) => r.body.items[0] || null).catch(() => null)));
      if (stopped) return;
      body.replaceChildren(...list.map((p, i) => row(p, last[i])));
      if (!list.length) status.textContent = 'No policies yet.';
      else if (status.textContent === 'No policies yet.') status.textContent = '';
    } catch (e) {
      if (stopped) return;
      clear(status, problemBox(e.problem, 'Could not list policies'));
    }
    if (!stopped) timer = setTimeout(refresh, REFRESH_MS);
  }

  function row(p, run) {
    const button = canRun ? h('button', { type: 'button', 'aria-label': 'Run ' + p.name + ' now',
      onclick: () => runNow(p.name, false, button, status, () => { clearTimeout(timer); refresh(); }) }, 'Run now') : null;
    return h('tr', { 'data-policy': p.name, 'data-last-state': run ? run.state : '' },
      h('td', {}, h('a', { href: '#/policies/' + encodeURIComponent(p.name) }, p.name),
        p.description ? h('div', { class: 'small' }, p.description) : null),
      h('td', { class: 'what' }, what(p)),
      h('td', { class: 'small' }, triggers(p)),
      h('td', { class: 'small' }, p.nextDue ? when(p.nextDue) : '–'),
      h('td', { class: 'last-run' }, run
        ? [stateBadge(run.state), ' ', runLink(run), h('div', { class: 'small counts' }, counts(run) || run.trigger),
          run.error ? h('div', { class: 'problem inline' }, h('strong', {}, run.error.title), ' ', run.error.detail || '') : null]
        : h('span', { class: 'small' }, 'never run')),
      h('td', {}, button));
  }

  refresh();
  return () => { stopped = true; clearTimeout(timer); };
}

export function policyView(main, ctx, name) {
  const head = h('div');
  const status = h('div', { class: 'muted', 'aria-live': 'polite' });
  const runsBody = h('tbody');
  const skipped = h('ul', { class: 'plain skipped' });
  const deliveries = h('tbody');
  const deliveryNote = h('p', { class: 'small' });
  const request = h('pre', { class: 'json' });
  const canRun = ctx.caller.level >= 2;
  let timer = null;
  let stopped = false;
  const again = () => { clearTimeout(timer); refresh(); };
  const run = canRun ? h('button', { type: 'button', onclick: () => runNow(name, false, run, status, again) }, 'Run now') : null;
  const plan = canRun ? h('button', { type: 'button', onclick: () => runNow(name, true, plan, status, again) }, 'Plan (dry run)') : null;

  clear(main, head, h('div', { class: 'actions' }, run, plan), status,
    h('h2', {}, 'Runs'),
    h('table', { class: 'runs' },
      h('caption', { class: 'sr-only' }, 'Runs of ' + name + ', newest first'),
      h('thead', {}, h('tr', {}, ['Run', 'State', 'Trigger', 'Counts', 'Started', 'Took'].map((c) => h('th', { scope: 'col' }, c)))),
      runsBody),
    h('h2', {}, 'Skipped due times'), skipped,
    h('h2', {}, 'Notification deliveries'),
    h('table', { class: 'deliveries' },
      h('caption', { class: 'sr-only' }, 'Notification deliveries of ' + name + "'s runs"),
      h('thead', {}, h('tr', {}, ['Run', 'URL', 'State', 'Attempts', 'Last answer', 'Ended'].map((c) => h('th', { scope: 'col' }, c)))),
      deliveries),
    deliveryNote,
    h('h2', {}, 'Policy'), request);

  async function refresh() {
    try {
      const [p, runs] = await Promise.all([api.policy(name), api.policyRuns(name, { limit: '50' })]);
      if (stopped) return;
      const policy = p.body;
      clear(head, h('h1', {}, 'Policy ', h('code', {}, policy.name)),
        h('p', {}, what(policy)),
        h('p', { class: 'small' }, triggers(policy), ' · next due ', policy.nextDue ? when(policy.nextDue) : '–',
          (policy.notifications || []).length ? ' · notifies ' + policy.notifications.map((n) => n.url + ' (' + n.on + ')').join(', ') : ''));
      request.textContent = JSON.stringify(policy, null, 2);
      runsBody.replaceChildren(...runs.body.items.map((r) => h('tr', { 'data-run': r.id, 'data-state': r.state },
        h('td', {}, runLink(r), r.dryRun ? h('span', { class: 'small' }, ' dry run') : null,
          r.retryOf ? h('div', { class: 'small' }, 'retry of ', h('a', { href: '#/jobs/' + r.retryOf }, r.retryOf.slice(0, 8))) : null),
        h('td', {}, stateBadge(r.state),
          r.error ? h('div', { class: 'problem inline' }, h('strong', {}, r.error.title), ' ', r.error.detail || '') : null),
        h('td', { class: 'small' }, r.trigger || '', r.dueAt ? ' (due ' + when(r.dueAt) + ')' : ''),
        h('td', { class: 'small counts' }, counts(r)),
        h('td', { class: 'small' }, when(r.startedAt || r.createdAt)),
        h('td', { class: 'small' }, r.durationMs !== undefined ? duration(r.durationMs) : '–'))));
      if (!runs.body.items.length) runsBody.replaceChildren(h('tr', {}, h('td', { colspan: 6, class: 'small' }, 'No runs yet.')));
      skipped.replaceChildren(...(runs.body.skipped || []).map((s) => h('li', { class: 'small' },
        when(s.dueAt), ': ', s.reason, s.runningJob ? [' (', h('a', { href: '#/jobs/' + s.runningJob }, s.runningJob.slice(0, 8)), ')'] : null)));
      if (!(runs.body.skipped || []).length) skipped.replaceChildren(h('li', { class: 'small' }, 'None.'));
    } catch (e) {
      if (stopped) return;
      clear(status, problemBox(e.problem, 'Could not read policy ' + name));
    }
    try {
      const page = (await api.deliveries({ limit: '100' })).body;
      if (stopped) return;
      const mine = page.items.filter((d) => d.policy === name);
      deliveries.replaceChildren(...mine.map((d) => h('tr', { 'data-delivery': d.id, 'data-state': d.state },
        h('td', {}, h('a', { href: '#/jobs/' + d.jobId }, h('code', { class: 'id' }, d.jobId.slice(0, 8)))),
        h('td', { class: 'small' }, d.url, d.signed ? ' (signed)' : ''),
        h('td', {}, stateBadge(d.state)),
        h('td', { class: 'small' }, String(d.attempts)),
        h('td', { class: 'small' }, d.lastStatus ? 'HTTP ' + d.lastStatus : '', d.lastError ? ' ' + d.lastError : ''),
        h('td', { class: 'small' }, d.endedAt ? when(d.endedAt) : d.nextAttemptAt ? 'next try ' + when(d.nextAttemptAt) : '–'))));
      deliveryNote.textContent = mine.length ? '' : 'No deliveries for this policy\'s recent runs.';
    } catch (e) {
      if (stopped) return;
      deliveries.replaceChildren();
      deliveryNote.textContent = e.status === 403 ? 'The delivery log needs the admin role.' : 'Could not read the delivery log: ' + e.message;
    }
    if (!stopped) timer = setTimeout(refresh, REFRESH_MS);
  }

  refresh();
  return () => { stopped = true; clearTimeout(timer); };
}
