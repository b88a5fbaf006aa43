// Talks to Ferry's public HTTP API only. The bearer token (secured mode) lives in memory and in this tab's
// sessionStorage, nowhere else; it is sent only to Ferry's own origin.

const TOKEN_KEY = 'ferry.token';
let token = sessionStorage.getItem(TOKEN_KEY);

export function currentToken() {
  return token;
}

export function setToken(t) {
  token = t || null;
  if (token) sessionStorage.setItem(TOKEN_KEY, token); else sessionStorage.removeItem(TOKEN_KEY);
}

/** An API error: the problem document Ferry answered (RFC 9457), or one made up for a network failure. */
export class Problem extends Error {
  constructor(problem) {
    super(problem.detail || problem.title || 'request failed');
    this.problem = problem;
    this.status = problem.status;
  }
}

function headers(extra) {
  const h = new Headers(extra || {});
  if (token) h.set('Authorization', 'Bearer ' + token);
  return h;
}

async function answer(res, asText) {
  const type = res.headers.get('Content-Type') || '';
  const body = type.includes('json') && (!asText || !res.ok) ? await res.json().catch(() => null) : await res.text();
  if (!res.ok) {
    const p = body && typeof body === 'object' ? body
      : { title: res.statusText || 'HTTP ' + res.status, status: res.status, detail: typeof body === 'string' ? body.slice(0, 300) : '' };
    if (res.status === 401) window.dispatchEvent(new CustomEvent('ferry:unauthenticated', { detail: p }));
    throw new Problem(p);
  }
  return { status: res.status, headers: res.headers, body };
}

async function call(method, path, { json, text, contentType, prefer, signal, asText } = {}) {
  const h = {};
  let body;
  if (json !== undefined) { h['Content-Type'] = 'application/json'; body = JSON.stringify(json); }
  if (text !== undefined) { h['Content-Type'] = contentType || 'text/plain'; body = text; }
  if (prefer) h.Prefer = prefer;
  h.Accept = 'application/json, application/problem+json';
  let res;
  try {
    res = await fetch(path, { method, headers: headers(h), body, signal, cache: 'no-store' });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new Problem({ title: 'Ferry is unreachable', detail: String(e.message || e), status: 0 });
  }
  return answer(res, asText);
}

export const api = {
  jobs: (params) => call('GET', 'api/v1/jobs?' + new URLSearchParams(params)),
  job: (id) => call('GET', 'api/v1/jobs/' + encodeURIComponent(id)),
  cancel: (id) => call('DELETE', 'api/v1/jobs/' + encodeURIComponent(id)),
  inspect: (req) => call('POST', 'api/v1/inspect', { json: req }),
  /** The manifest bytes as served (skopeo inspect --raw), as text: never parsed and re-serialised. */
  inspectRaw: (req) => call('POST', 'api/v1/inspect', { json: { ...req, raw: true }, asText: true }),
  copy: (req) => call('POST', 'api/v1/copy', { json: req }),
  delete: (req) => call('POST', 'api/v1/delete', { json: req }),
  sync: (req) => call('POST', 'api/v1/sync', { json: req }),
  policies: () => call('GET', 'api/v1/policies'),
  policy: (name) => call('GET', 'api/v1/policies/' + encodeURIComponent(name)),
  policyRuns: (name, params) => call('GET', 'api/v1/policies/' + encodeURIComponent(name) + '/runs?' + new URLSearchParams(params || {})),
  runPolicy: (name, dryRun) => call('POST', 'api/v1/policies/' + encodeURIComponent(name) + '/runs', { json: { dryRun: !!dryRun } }),
  deliveries: (params) => call('GET', 'api/v1/notifications/deliveries?' + new URLSearchParams(params || {})),
  syncYaml: (yaml, params) => call('POST', 'api/v1/sync?' + new URLSearchParams(params),
    { text: yaml, contentType: 'application/yaml' }),
};

/**
 * Follows a job's server-sent events with fetch (so the bearer token can be sent, which EventSource cannot),
 * reconnecting with Last-Event-ID after a dropped connection until the terminal job event has been seen.
 * onEvent({kind, id, data}); onState('live' | 'reconnecting' | 'ended', detail). Returns a stop function.
 */
export function followEvents(jobId, onEvent, onState) {
  const ctl = new AbortController();
  let lastId = null;
  let ended = false;
  let delay = 500;

  async function connect() {
    while (!ended && !ctl.signal.aborted) {
      try {
        const h = { Accept: 'text/event-stream' };
        if (lastId !== null) h['Last-Event-ID'] = lastId;
        const res = await fetch('api/v1/jobs/' + encodeURIComponent(jobId) + '/events',
          { headers: headers(h), signal: ctl.signal, cache: 'no-store' });
        if (!res.ok) {
          const p = await res.json().catch(() => ({ title: 'HTTP ' + res.status, status: res.status }));
          if (res.status === 401) window.dispatchEvent(new CustomEvent('ferry:unauthenticated', { detail: p }));
          if (res.status < 500) { ended = true; onState('ended', p); return; }
          throw new Error(p.detail || p.title);
        }
        if (res.status === 204) { ended = true; onState('ended'); return; } // nothing after Last-Event-ID, and it has ended
        onState('live');
        delay = 500;
        await read(res.body.getReader());
      } catch (e) {
        if (ctl.signal.aborted) return;
        onState('reconnecting', String(e.message || e));
      }
      if (ended) { onState('ended'); return; }
      onState('reconnecting', 'connection closed');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 8000);
    }
  }

  async function read(reader) {
    const decoder = new TextDecoder();
    let buf = '';
    let ev = { kind: 'message', id: null, data: [] };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += decoder.decode(value, { stream: true });
      let nl;
      while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + (buf[nl] === '\r' && buf[nl + 1] === '\n' ? 2 : 1));
        if (line === '') {
          if (ev.data.length) dispatch(ev);
          ev = { kind: 'message', id: null, data: [] };
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let v = colon < 0 ? '' : line.slice(colon + 1);
        if (v.startsWith(' ')) v = v.slice(1);
        if (field === 'event') ev.kind = v;
        else if (field === 'data') ev.data.push(v);
        else if (field === 'id') ev.id = v;
      }
    }
  }

  function dispatch(ev) {
    if (ev.id !== null) lastId = ev.id;
    let data;
    try { data = JSON.parse(ev.data.join('\n')); } catch { data = ev.data.join('\n'); }
    if (ev.kind === 'job' && data && ['succeeded', 'failed', 'cancelled'].includes(data.state)) ended = true;
    onEvent({ kind: ev.kind, id: ev.id, data });
  }

  connect();
  return () => ctl.abort();
}
