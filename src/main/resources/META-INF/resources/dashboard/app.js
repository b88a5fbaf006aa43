// Ferry's dashboard: a hash router over the views, and sign-in for secured mode.

import { setToken, currentToken } from './api.js';
import { loadSettings, completeSignIn, signIn, signOut, caller } from './auth.js';
import { h, clear, problemBox } from './ui.js';
import { jobsView, jobView } from './jobs.js';
import { inspectView, copyView, syncView, deleteView } from './forms.js';
import { policiesView, policyView } from './policies.js';

const main = document.getElementById('main');
const who = document.getElementById('who');
const ROLE_NAMES = ['no Ferry role', 'viewer', 'operator', 'admin'];
let settings;
let stopView = null;

function signInView(error) {
  const tokenInput = h('textarea', { id: 'token', name: 'token', rows: 4, spellcheck: 'false', required: true, 'aria-describedby': 'token-help' });
  clear(main,
    h('h1', {}, 'Sign in'),
    error ? problemBox({ title: error }) : null,
    settings.clientId
      ? h('section', { class: 'card' }, h('p', {}, 'Ferry is in secured mode. Sign in with your organisation\'s identity provider.'),
        h('button', { type: 'button', id: 'oidc-sign-in', onclick: () => signIn(settings).catch((e) => signInView(e.message)) }, 'Sign in with the identity provider'))
      : h('p', { class: 'note' }, 'Ferry is in secured mode. No browser sign-in client is configured (ferry.dashboard.oidc-client-id), so paste an access token.'),
    h('form', { class: 'card', onsubmit: (e) => { e.preventDefault(); setToken(tokenInput.value.trim()); route(); } },
      h('div', { class: 'field' }, h('label', { for: 'token' }, 'Or paste an access token'), tokenInput,
        h('div', { class: 'help', id: 'token-help' }, 'Kept in this tab only (sessionStorage) and sent only to Ferry.')),
      h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Use this token'))));
}

function renderWho(c) {
  if (settings.mode !== 'secured') {
    clear(who, h('span', { class: 'badge' }, 'local mode'), ' everything allowed');
    return;
  }
  if (!c) { clear(who); return; }
  clear(who, h('span', {}, c.name), ' ', h('span', { class: 'badge' }, ROLE_NAMES[c.level]), ' ',
    h('button', { type: 'button', class: 'link', onclick: () => { signOut(); route(); } }, 'Sign out'));
}

function gateNav(level) {
  for (const li of document.querySelectorAll('[data-needs]')) {
    const need = li.dataset.needs === 'admin' ? 3 : 2;
    li.hidden = level < need;
  }
}

function markNav(name) {
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === name) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
}

function route(event) {
  if (stopView) { stopView(); stopView = null; }
  const c = caller(settings);
  renderWho(c);
  if (settings.mode === 'secured' && (!c || c.expired)) {
    gateNav(0);
    if (c && c.expired) setToken(null);
    return signInView(c && c.expired ? 'Your session has expired; sign in again.' : null);
  }
  gateNav(c.level);
  const [path, query] = (location.hash.slice(1) || '/jobs').split('?');
  const params = new URLSearchParams(query || '');
  const parts = path.split('/').filter(Boolean);
  const ctx = { settings, caller: c };
  markNav(parts[0] || 'jobs');
  document.title = 'Ferry · ' + (parts[0] || 'jobs');
  let stop;
  switch (parts[0]) {
    case 'jobs':
      stop = parts[1] ? jobView(main, ctx, parts[1]) : jobsView(main, ctx, params);
      break;
    case 'policies':
      stop = parts[1] ? policyView(main, ctx, decodeURIComponent(parts[1])) : policiesView(main, ctx);
      break;
    case 'inspect': stop = inspectView(main, ctx); break;
    case 'copy': stop = copyView(main, ctx); break;
    case 'sync': stop = syncView(main, ctx); break;
    case 'delete': stop = deleteView(main, ctx); break;
    default: stop = jobsView(main, ctx, params);
  }
  stopView = typeof stop === 'function' ? stop : null;
  if (event && event.type === 'hashchange') main.focus({ preventScroll: true }); // where a screen reader continues
}

window.addEventListener('hashchange', route);
window.addEventListener('ferry:unauthenticated', () => {
  if (settings && settings.mode === 'secured' && currentToken()) { setToken(null); route(); }
});

(async () => {
  try {
    settings = await loadSettings();
    if (settings.mode === 'secured') {
      try {
        await completeSignIn(settings);
      } catch (e) {
        route();
        return signInView(e.message);
      }
    }
    route();
  } catch (e) {
    clear(main, problemBox({ title: 'The dashboard could not start', detail: e.message }));
  }
})();
