// Secured mode sign-in: OpenID Connect authorization code flow with PKCE (S256) against the provider Ferry is
// configured with, or a pasted access token. The token is kept in memory and in this tab's sessionStorage only
// (api.js); the page reads its roles to hide what the caller may not do. Ferry itself enforces every rule.

import { currentToken, setToken } from './api.js';

const FLOW_KEY = 'ferry.oidc.flow';

/** Ferry's dashboard settings: {mode: 'local'|'secured', authServerUrl, clientId, scope, roles: {viewer, operator, admin}}. */
export async function loadSettings() {
  const res = await fetch('dashboard/config.json', { cache: 'no-store' });
  if (!res.ok) throw new Error('dashboard/config.json answered HTTP ' + res.status);
  return res.json();
}

function b64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString() {
  return b64url(crypto.getRandomValues(new Uint8Array(32)));
}

async function discovery(settings) {
  const base = settings.authServerUrl.replace(/\/+$/, '');
  const res = await fetch(base + '/.well-known/openid-configuration');
  if (!res.ok) throw new Error('the identity provider\'s discovery document answered HTTP ' + res.status);
  return res.json();
}

function redirectUri() {
  return location.origin + location.pathname;
}

/** Sends the browser to the provider's sign-in page. */
export async function signIn(settings) {
  const d = await discovery(settings);
  const verifier = randomString();
  const state = randomString();
  const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(FLOW_KEY, JSON.stringify({ verifier, state, tokenEndpoint: d.token_endpoint, back: location.hash }));
  const q = new URLSearchParams({
    response_type: 'code', client_id: settings.clientId, redirect_uri: redirectUri(), scope: settings.scope || 'openid',
    state, code_challenge: challenge, code_challenge_method: 'S256',
  });
  location.assign(d.authorization_endpoint + '?' + q);
}

/** Completes a sign-in when the provider has sent the browser back with ?code=...&state=...; true if it did. */
export async function completeSignIn(settings) {
  const q = new URLSearchParams(location.search);
  if (!q.has('code') && !q.has('error')) return false;
  const flow = JSON.parse(sessionStorage.getItem(FLOW_KEY) || 'null');
  sessionStorage.removeItem(FLOW_KEY);
  history.replaceState(null, '', location.pathname + (flow && flow.back ? flow.back : '#/jobs'));
  if (q.has('error')) throw new Error('sign-in refused: ' + (q.get('error_description') || q.get('error')));
  if (!flow || flow.state !== q.get('state')) throw new Error('sign-in answer does not belong to this tab (state mismatch); try again');
  const res = await fetch(flow.tokenEndpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code: q.get('code'), redirect_uri: redirectUri(),
      client_id: settings.clientId, code_verifier: flow.verifier,
    }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok || !body.access_token) throw new Error('the token endpoint refused the code: ' + (body.error_description || body.error || res.status));
  setToken(body.access_token);
  return true;
}

export function signOut() {
  setToken(null);
}

/** The token's claims (not verified here: Ferry verifies; this only decides what to show). */
export function claims() {
  const t = currentToken();
  if (!t) return null;
  try {
    const part = t.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(decodeURIComponent(escape(atob(part + '==='.slice((part.length + 3) % 4)))));
  } catch {
    return null;
  }
}

/**
 * What the caller may do: {name, level} with level 0 none, 1 viewer, 2 operator, 3 admin. Local mode: admin.
 * Roles come from realm_access.roles and groups, as Ferry reads them; each role includes the ones before it.
 */
export function caller(settings) {
  if (settings.mode !== 'secured') return { name: 'local', level: 3, expired: false };
  const c = claims();
  if (!c) return null;
  const names = new Set([...(c.realm_access && c.realm_access.roles || []), ...(c.groups || [])]);
  const r = settings.roles;
  const level = names.has(r.admin) ? 3 : names.has(r.operator) ? 2 : names.has(r.viewer) ? 1 : 0;
  const expired = typeof c.exp === 'number' && c.exp * 1000 < Date.now();
  return { name: c.preferred_username || c.sub || 'signed in', level, expired };
}
