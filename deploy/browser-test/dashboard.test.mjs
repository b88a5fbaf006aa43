// Drives Ferry's dashboard in Debian's chromium, headless, through playwright-core (no browser download).
// Run by dev.ferry.dashboard.DashboardBrowserIT / DashboardSecuredBrowserTest, which start Ferry and real registries
// and pass what to use in the environment:
//   FERRY_URL        Ferry's base URL (http://127.0.0.1:PORT)
//   SCENARIO         local | secured
//   OUT              where screenshots go (created)
//   local:   SRC_IMAGE (an image to copy), DEST_IMAGE, MISSING_IMAGE (a tag that does not exist), SLOW_IMAGE (a source
//            that trickles its layer), SLOW_DEST
//   secured: VIEWER_TOKEN, OPERATOR_TOKEN
// Prints one line per test and a closing "N passed, N failed"; exits non-zero when anything failed.

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const env = process.env;
const FERRY = env.FERRY_URL;
const OUT = env.OUT || 'target/browser-test';
const SCENARIO = env.SCENARIO || 'local';
const TIMEOUT = Number(env.STEP_TIMEOUT_MS || 60000);
mkdirSync(OUT, { recursive: true });

const tests = [];
const test = (name, fn) => tests.push({ name, fn });
function check(cond, message) {
  if (!cond) throw new Error(message);
}

async function shot(page, name) {
  await page.screenshot({ path: join(OUT, SCENARIO + '-' + name + '.png'), fullPage: true });
}

async function fill(page, label, value) {
  await page.getByLabel(label, { exact: false }).first().fill(value);
}

/** Waits until the job page's overall bar reports `pct` and the state badge says `state`. */
async function waitForJob(page, state) {
  await page.locator('h1 .badge.state-' + state).waitFor({ timeout: TIMEOUT });
}

if (SCENARIO === 'local') {
  test('the jobs page loads with filters and the API links', async (page) => {
    await page.goto(FERRY + '/');
    await page.getByRole('heading', { name: 'Jobs' }).waitFor({ timeout: TIMEOUT });
    check(await page.getByLabel('State').count() === 1, 'state filter');
    check(await page.getByLabel('Type').count() === 1, 'type filter');
    check(await page.getByRole('link', { name: 'API (Swagger UI)' }).getAttribute('href') === 'q/swagger-ui', 'Swagger UI link');
    const openapi = await page.request.get(FERRY + '/q/openapi');
    check(openapi.ok(), 'the OpenAPI document the dashboard links to is served');
  });

  test('a copy submitted from the form reaches 100 % with its blobs done', async (page) => {
    await page.goto(FERRY + '/#/copy');
    await fill(page, 'Source image', env.SRC_IMAGE);
    await fill(page, 'Destination image', env.DEST_IMAGE);
    await page.getByLabel('Verify source TLS').uncheck();
    await page.getByLabel('Verify destination TLS').uncheck();
    await shot(page, 'copy-form');
    await page.getByRole('button', { name: 'Start copy' }).click();
    await page.waitForURL(/#\/jobs\/[0-9a-f-]{36}$/, { timeout: TIMEOUT });
    await waitForJob(page, 'succeeded');
    const bar = page.getByRole('progressbar', { name: 'job progress' });
    await page.waitForFunction(() => document.querySelector('[aria-label="job progress"]').getAttribute('aria-valuenow') === '100',
      null, { timeout: TIMEOUT });
    check(await bar.getAttribute('aria-valuenow') === '100', 'the bar reached 100 %');
    const rows = page.locator('table.blobs tbody tr');
    await page.waitForFunction(() => document.querySelectorAll('table.blobs tbody tr').length > 0, null, { timeout: TIMEOUT });
    const statuses = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.status));
    check(statuses.length >= 2 && statuses.every((s) => s === 'done'), 'every blob done: ' + statuses);
    check((await page.locator('ul.manifests li').count()) >= 1, 'the manifest push is listed');
    const requestShown = await page.locator('pre.json').last().textContent();
    check(requestShown.includes(env.SRC_IMAGE), 'the request is shown');
    await shot(page, 'copy-succeeded');
  });

  test('the same copy again shows every blob as already there (exists)', async (page) => {
    await page.goto(FERRY + '/#/copy');
    await fill(page, 'Source image', env.SRC_IMAGE);
    await fill(page, 'Destination image', env.DEST_IMAGE.replace(/:[^:/]+$/, ':again'));
    await page.getByLabel('Verify source TLS').uncheck();
    await page.getByLabel('Verify destination TLS').uncheck();
    await page.getByRole('button', { name: 'Start copy' }).click();
    await page.waitForURL(/#\/jobs\/[0-9a-f-]{36}$/, { timeout: TIMEOUT });
    await waitForJob(page, 'succeeded');
    await page.waitForFunction(() => document.querySelectorAll('table.blobs tbody tr').length > 0, null, { timeout: TIMEOUT });
    const statuses = await page.locator('table.blobs tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.status));
    check(statuses.every((s) => s === 'exists' || s === 'mounted'), 'nothing streamed again: ' + statuses);
    await shot(page, 'copy-skipped');
  });

  test('"Run again" submits the ended job\'s request as a new job', async (page) => {
    const jobs = await (await page.request.get(FERRY + '/api/v1/jobs?state=succeeded&type=copy')).json();
    const first = jobs.items.filter((j) => j.request.destination === env.DEST_IMAGE).at(-1);
    check(first, 'the first copy is listed');
    await page.goto(FERRY + '/#/jobs/' + first.id);
    await waitForJob(page, 'succeeded');
    await page.getByRole('button', { name: 'Run again' }).click();
    await page.waitForURL((u) => /#\/jobs\/[0-9a-f-]{36}$/.test(u.hash) && !u.hash.includes(first.id), { timeout: TIMEOUT });
    await waitForJob(page, 'succeeded');
    const again = await (await page.request.get(FERRY + '/api/v1/jobs/' + page.url().split('/').pop())).json();
    check(JSON.stringify(again.request) === JSON.stringify(first.request), 'the same request');
  });

  test('a failed job shows its problem plainly, in the list and on its page', async (page) => {
    await page.goto(FERRY + '/#/copy');
    await fill(page, 'Source image', env.MISSING_IMAGE);
    await fill(page, 'Destination image', env.DEST_IMAGE.replace(/:[^:/]+$/, ':missing'));
    await page.getByLabel('Verify source TLS').uncheck();
    await page.getByLabel('Verify destination TLS').uncheck();
    await page.getByRole('button', { name: 'Start copy' }).click();
    await page.waitForURL(/#\/jobs\/[0-9a-f-]{36}$/, { timeout: TIMEOUT });
    await waitForJob(page, 'failed');
    const problem = await page.getByRole('alert').first().textContent();
    check(/not found/i.test(problem), 'the problem names what is missing: ' + problem);
    await shot(page, 'failed-job');
    await page.goto(FERRY + '/#/jobs?state=failed');
    const row = page.locator('tr[data-state="failed"]').first();
    await row.waitFor({ timeout: TIMEOUT });
    check(/not found/i.test(await row.locator('.problem').textContent()), 'the list shows the problem');
    check(await page.locator('tbody tr:not([data-state="failed"])').count() === 0, 'the state filter shows failed jobs only');
    await shot(page, 'jobs-failed-filter');
  });

  test('a running copy shows a blob streaming with its bar moving, and can be cancelled', async (page) => {
    await page.goto(FERRY + '/#/copy');
    await fill(page, 'Source image', env.SLOW_IMAGE);
    await fill(page, 'Destination image', env.SLOW_DEST);
    await page.getByLabel('Verify source TLS').uncheck();
    await page.getByLabel('Verify destination TLS').uncheck();
    await page.getByRole('button', { name: 'Start copy' }).click();
    await page.waitForURL(/#\/jobs\/[0-9a-f-]{36}$/, { timeout: TIMEOUT });
    await page.locator('tr[data-status="streaming"]').first().waitFor({ timeout: TIMEOUT });
    // the blob's own bar moves (per-blob bytes from the progress events)
    await page.waitForFunction(() => {
      const b = document.querySelector('tr[data-status="streaming"] [role=progressbar]');
      return b && Number(b.getAttribute('aria-valuenow')) > 0;
    }, null, { timeout: TIMEOUT });
    const first = Number(await page.locator('tr[data-status="streaming"] [role=progressbar]').first().getAttribute('aria-valuenow'));
    await page.waitForFunction((p) => {
      const b = document.querySelector('tr[data-status="streaming"] [role=progressbar]');
      return b && Number(b.getAttribute('aria-valuenow')) > p;
    }, first, { timeout: TIMEOUT });
    check(/\/s/.test(await page.locator('section[aria-label=Progress] .small').textContent()), 'a rate is shown');
    await shot(page, 'copy-streaming');
    await page.goto(FERRY + '/#/jobs?state=running');
    await page.locator('tr[data-state="running"] [role=progressbar]').first().waitFor({ timeout: TIMEOUT });
    await shot(page, 'jobs-running');
    await page.locator('tr[data-state="running"] a').first().click();
    await page.getByRole('button', { name: 'Cancel job' }).click();
    await waitForJob(page, 'cancelled');
    await shot(page, 'copy-cancelled');
  });

  test('a dropped event stream reconnects with Last-Event-ID and misses nothing', async (page) => {
    // the first stream is cut after its first two events; the page must ask again from the second one's id
    const jobs = await (await page.request.get(FERRY + '/api/v1/jobs?state=succeeded&type=copy')).json();
    // the first copy (oldest: "Run again" made a newer one with the same request, whose blobs were already there)
    const job = jobs.items.filter((j) => j.request.source === env.SRC_IMAGE && j.request.destination === env.DEST_IMAGE).at(-1);
    check(job && job.result.blobsCopied >= 2, 'the first copy is listed');
    const seen = [];
    await page.route('**/api/v1/jobs/*/events', async (route) => {
      const lastEventId = route.request().headers()['last-event-id'] || null;
      seen.push(lastEventId);
      if (seen.length > 1) return route.continue();
      const full = await route.fetch();
      const events = (await full.text()).split(/\n\n/).filter((e) => e.trim());
      await route.fulfill({ status: 200, contentType: 'text/event-stream', body: events.slice(0, 2).join('\n\n') + '\n\n' });
    });
    await page.goto(FERRY + '/#/jobs/' + job.id);
    await waitForJob(page, 'succeeded');
    await page.waitForFunction(() => document.querySelectorAll('table.blobs tr[data-status="done"]').length >= 2, null, { timeout: TIMEOUT });
    check(seen.length >= 2 && seen[0] === null && /^\d+$/.test(seen[1]), 'reconnected with Last-Event-ID: ' + JSON.stringify(seen));
    const rows = await page.locator('table.blobs tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.status));
    check(rows.every((r) => r === 'done'), 'every blob shown once and done after the reconnect: ' + rows);
    check(new Set(await page.locator('table.blobs tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.digest))).size === rows.length,
      'no blob twice');
    await shot(page, 'reconnected');
  });

  test('sync from skopeo YAML (dry run) and from fields', async (page) => {
    const [srcRegistry, srcRepo] = (() => {
      const ref = env.SRC_IMAGE.replace(/^docker:\/\//, '');
      const slash = ref.indexOf('/');
      return [ref.slice(0, slash), ref.slice(slash + 1).replace(/:[^:]+$/, '')];
    })();
    const destRegistry = env.DEST_IMAGE.replace(/^docker:\/\//, '').split('/')[0];
    await page.goto(FERRY + '/#/sync');
    await page.getByLabel('skopeo YAML').check();
    await page.getByLabel('skopeo sync YAML').fill(srcRegistry + ':\n  tls-verify: false\n  images:\n    ' + srcRepo + ': ["1"]\n');
    await fill(page, 'Destination (registry or registry/namespace)', destRegistry + '/mirror');
    await page.getByLabel('Verify destination TLS').uncheck();
    await page.getByLabel('Dry run').check();
    await page.getByRole('button', { name: 'Start sync' }).click();
    await page.waitForURL(/#\/jobs\/[0-9a-f-]{36}$/, { timeout: TIMEOUT });
    await waitForJob(page, 'succeeded');
    const result = JSON.parse(await page.locator('section h2:text("Result") + pre').textContent());
    check(result.images.length === 1 && result.images[0].state === 'planned', 'one image planned: ' + JSON.stringify(result.images));
    await shot(page, 'sync-yaml-dry-run');

    await page.goto(FERRY + '/#/sync');
    await fill(page, 'Source repository (or one image)', srcRegistry + '/' + srcRepo);
    await fill(page, 'Destination (registry or registry/namespace)', destRegistry + '/mirror');
    await page.getByLabel('Verify source TLS').uncheck();
    await page.getByLabel('Verify destination TLS').uncheck();
    await page.getByRole('button', { name: 'Start sync' }).click();
    await page.waitForURL(/#\/jobs\/[0-9a-f-]{36}$/, { timeout: TIMEOUT });
    await waitForJob(page, 'succeeded');
    await page.locator('.images-section tbody tr').first().waitFor({ timeout: TIMEOUT });
    const synced = JSON.parse(await page.locator('section h2:text("Result") + pre').textContent());
    check(synced.copied === 1 && synced.images[0].destination.endsWith('/mirror/' + srcRepo.split('/').pop() + ':1'),
      'copied as skopeo names it: ' + JSON.stringify(synced.images));
    await shot(page, 'sync-fields');
  });

  test('inspect shows skopeo\'s fields and the raw manifest', async (page) => {
    await page.goto(FERRY + '/#/inspect');
    await fill(page, 'Image', env.SRC_IMAGE);
    await page.getByLabel('Verify TLS').uncheck();
    await page.getByRole('button', { name: 'Inspect' }).click();
    await page.locator('pre.raw-manifest').waitFor({ timeout: TIMEOUT });
    const fields = await page.locator('table.inspect th').allTextContents();
    for (const f of ['Name', 'Digest', 'Architecture', 'Os', 'Layers']) check(fields.includes(f), 'inspect field ' + f);
    const shown = await page.locator('pre.raw-manifest').textContent();
    const served = await (await page.request.post(FERRY + '/api/v1/inspect',
      { data: { image: env.SRC_IMAGE, tlsVerify: false, raw: true } })).text();
    check(shown === served, 'the raw manifest is shown byte for byte');
    check(JSON.parse(shown).schemaVersion === 2, 'a manifest');
    check(/= Digest/.test(await page.locator('.raw-digest').textContent()), 'its sha256 is the Digest');
    await shot(page, 'inspect');
  });

  test('the delete form explains the guard; every page can be used by keyboard', async (page) => {
    await page.goto(FERRY + '/#/delete');
    check(/removes every tag that points at it/.test(await page.locator('.note').textContent()), 'guard explained');
    await page.keyboard.press('Tab');
    const skip = await page.evaluate(() => document.activeElement.textContent);
    check(skip === 'Skip to content', 'the first Tab reaches the skip link');
    for (const input of await page.locator('main input, main textarea, main select').all()) {
      const id = await input.getAttribute('id');
      const labelled = await page.locator('label[for="' + id + '"]').count();
      check(labelled === 1, 'input ' + id + ' has a label');
    }
    await shot(page, 'delete-form');
  });

  test('policies: the list with triggers and next due, "Run now", the run history with counts and notifications', async (page) => {
    const name = 'mirror-app';
    const created = await page.request.post(FERRY + '/api/v1/policies', { data: {
      name, description: 'keeps the mirror current',
      sync: { source: env.POLICY_SOURCE, destination: env.POLICY_DEST, tagRegex: '^1$', srcTlsVerify: false, destTlsVerify: false },
      triggers: { cron: '0 3 * * *' },
      notifications: [{ url: env.NOTIFY_URL, on: 'all', secret: 'browser-test-secret' }] } });
    check(created.status() === 201, 'policy created: ' + created.status() + ' ' + await created.text());
    await page.goto(FERRY + '/#/jobs');
    await page.getByRole('link', { name: 'Policies', exact: true }).click();
    await page.getByRole('heading', { name: 'Policies' }).waitFor({ timeout: TIMEOUT });
    const row = page.locator('tr[data-policy="' + name + '"]');
    await row.waitFor({ timeout: TIMEOUT });
    check((await row.textContent()).includes('cron 0 3 * * *'), 'triggers shown: ' + await row.textContent());
    check((await row.textContent()).includes('never run'), 'not run yet');
    check(!(await row.locator('td').nth(3).textContent()).includes('–'), 'next due shown');
    await page.getByRole('button', { name: 'Run ' + name + ' now' }).click();
    await page.waitForFunction((n) => document.querySelector('tr[data-policy="' + n + '"]')?.dataset.lastState === 'succeeded',
      name, { timeout: TIMEOUT });
    const counts = await row.locator('.counts').textContent();
    check(counts.includes('copied 1') && counts.includes('failed 0'), 'last run counts: ' + counts);
    await shot(page, 'policies');
    // the policy's page: its run (a link to the job), then a second run that finds everything there
    await row.getByRole('link', { name }).click();
    await page.getByRole('heading', { name: 'Policy ' + name }).waitFor({ timeout: TIMEOUT });
    await page.locator('table.runs tr[data-state="succeeded"]').first().waitFor({ timeout: TIMEOUT });
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.waitForFunction(() => document.querySelectorAll('table.runs tr[data-state="succeeded"]').length === 2, null, { timeout: TIMEOUT });
    const newest = await page.locator('table.runs tbody tr').first().locator('.counts').textContent();
    check(newest.includes('copied 0') && newest.includes('skipped 1'), 'the second run skipped the unchanged image: ' + newest);
    check((await page.locator('table.runs tbody tr').first().textContent()).includes('manual'), 'trigger shown');
    // both runs' notifications were delivered to the receiver, signed
    await page.waitForFunction(() => document.querySelectorAll('table.deliveries tr[data-state="delivered"]').length === 2, null, { timeout: TIMEOUT });
    check((await page.locator('table.deliveries tbody').textContent()).includes('(signed)'), 'signed deliveries');
    await shot(page, 'policy-runs');
    const jobId = await page.locator('table.runs tbody tr').first().getAttribute('data-run');
    await page.locator('table.runs tbody tr').first().getByRole('link').first().click();
    await page.waitForURL(new RegExp('#/jobs/' + jobId + '$'), { timeout: TIMEOUT });
    await waitForJob(page, 'succeeded');
  });
}

if (SCENARIO === 'big') {
  // deploy/browser-test/big-copy.sh: a person starts a large copy from the form and watches the per-blob bars move.
  test('a large copy from the form: per-blob bars move without a reload, then 100 %', async (page) => {
    await page.goto(FERRY + '/#/copy');
    await fill(page, 'Source image', env.SRC_IMAGE);
    await fill(page, 'Destination image', env.DEST_IMAGE);
    await page.getByLabel('Verify source TLS').uncheck();
    await page.getByLabel('Verify destination TLS').uncheck();
    await page.getByRole('button', { name: 'Start copy' }).click();
    await page.waitForURL(/#\/jobs\/[0-9a-f-]{36}$/, { timeout: TIMEOUT });
    const seen = new Set();
    let frame = 0;
    const loads = [];
    page.on('load', () => loads.push(Date.now()));
    for (;;) {
      const bars = await page.locator('table.blobs tr[data-status="streaming"] [role=progressbar]').evaluateAll(
        (els) => els.map((e) => e.getAttribute('aria-valuenow')));
      bars.forEach((b) => seen.add(b));
      if (bars.length) await shot(page, String(++frame).padStart(2, '0'));
      if (await page.locator('h1 .badge.state-succeeded, h1 .badge.state-failed').count()) break;
      await page.waitForTimeout(400);
    }
    await waitForJob(page, 'succeeded');
    await shot(page, 'done');
    check(frame >= 2, 'streaming blobs were seen in ' + frame + ' frames');
    check(seen.size >= 3, 'the bars moved: ' + [...seen].join(','));
    check(loads.length === 0, 'no page reload');
  });
}

if (SCENARIO === 'secured') {
  async function paste(page, token) {
    await page.goto(FERRY + '/');
    await page.getByLabel('Or paste an access token').fill(token);
    await page.getByRole('button', { name: 'Use this token' }).click();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor({ timeout: TIMEOUT });
  }

  test('without a token the page asks to sign in and lists nothing', async (page) => {
    await page.goto(FERRY + '/');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: TIMEOUT });
    check(await page.locator('table.jobs').count() === 0, 'no jobs before signing in');
    await shot(page, 'sign-in');
  });

  test('sign-in: authorization code + PKCE (S256) with the configured provider', async (page) => {
    const settings = await (await page.request.get(FERRY + '/dashboard/config.json')).json();
    check(settings.clientId, 'a sign-in client is configured');
    const provider = new URL(settings.authServerUrl).origin;
    let authorize = null;
    let tokenRequest = null;
    // The provider's answers pass through; CORS headers are added as a real provider does for a registered web
    // origin (the stub sends none). The token endpoint's answer is replaced by an operator token Ferry accepts.
    await page.route(provider + '/**', async (route) => {
      const req = route.request();
      const url = new URL(req.url());
      if (url.searchParams.has('response_type')) {
        authorize = url.searchParams;
      }
      if (req.resourceType() !== 'fetch') return route.continue(); // the provider's own pages: as they are
      const cors = { 'access-control-allow-origin': new URL(FERRY).origin, 'access-control-allow-headers': '*' };
      if (req.method() === 'OPTIONS') return route.fulfill({ status: 204, headers: cors });
      if (url.pathname.endsWith('/token')) {
        tokenRequest = new URLSearchParams(req.postData() || '');
        return route.fulfill({ status: 200, contentType: 'application/json', headers: cors,
          body: JSON.stringify({ access_token: env.OPERATOR_TOKEN, token_type: 'Bearer', expires_in: 300 }) });
      }
      const res = await route.fetch();
      return route.fulfill({ response: res, headers: { ...res.headers(), ...cors } });
    });
    await page.goto(FERRY + '/#/copy');
    await page.getByRole('button', { name: 'Sign in with the identity provider' }).click();
    // the provider's sign-in page
    await page.locator('#username').waitFor({ timeout: TIMEOUT });
    await shot(page, 'provider-login');
    await page.locator('#username').fill('otto');
    await page.locator('#password').fill('otto');
    await page.locator('#login').click();
    await page.getByLabel('Source image').waitFor({ timeout: TIMEOUT });
    check(authorize && authorize.get('response_type') === 'code' && authorize.get('client_id') === 'ferry-dashboard', 'code flow');
    check(authorize.get('code_challenge_method') === 'S256', 'PKCE S256');
    check(tokenRequest && tokenRequest.get('grant_type') === 'authorization_code' && tokenRequest.get('code'), 'code exchanged');
    const verifier = tokenRequest.get('code_verifier');
    const { createHash } = await import('node:crypto');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    check(challenge === authorize.get('code_challenge'), 'the verifier matches the challenge');
    check(tokenRequest.get('redirect_uri') === authorize.get('redirect_uri'), 'same redirect URI');
    check(!page.url().includes('code='), 'the code is not left in the address bar: ' + page.url());
    check(await page.evaluate(() => localStorage.length === 0 && document.cookie === ''), 'the token is only in this tab');
    check(/operator/.test(await page.locator('#who').textContent()), 'signed in as an operator');
    await shot(page, 'signed-in-by-pkce');
  });

  test('a viewer sees no copy form, no copy link and no delete', async (page) => {
    await paste(page, env.VIEWER_TOKEN);
    check(await page.getByRole('link', { name: 'Copy', exact: true }).isHidden(), 'no Copy link');
    check(await page.getByRole('link', { name: 'Delete', exact: true }).isHidden(), 'no Delete link');
    check(await page.getByRole('link', { name: 'New copy' }).count() === 0, 'no New copy button');
    await page.goto(FERRY + '/#/copy');
    await page.getByText('Your role does not allow this').waitFor({ timeout: TIMEOUT });
    check(await page.getByLabel('Source image').count() === 0, 'no copy form');
    const stored = await page.evaluate(() => ({ session: Object.keys(sessionStorage), local: Object.keys(localStorage), cookie: document.cookie }));
    check(stored.local.length === 0 && stored.cookie === '', 'the token is kept in this tab only: ' + JSON.stringify(stored));
    await shot(page, 'viewer');
  });

  test('a viewer sees policies and their runs but no "Run now"; an operator has it', async (page, context) => {
    await paste(page, env.VIEWER_TOKEN);
    await page.goto(FERRY + '/#/policies');
    const row = page.locator('tr[data-policy="' + env.POLICY_NAME + '"]');
    await row.waitFor({ timeout: TIMEOUT });
    check(await page.getByRole('button', { name: /^Run .* now$/ }).count() === 0, 'no Run now for a viewer');
    await row.getByRole('link', { name: env.POLICY_NAME }).click();
    await page.getByRole('heading', { name: 'Policy ' + env.POLICY_NAME }).waitFor({ timeout: TIMEOUT });
    check(await page.getByRole('button', { name: 'Run now' }).count() === 0, 'no Run now on the policy page');
    await page.getByText('The delivery log needs the admin role.').waitFor({ timeout: TIMEOUT });
    await shot(page, 'viewer-policy');
    const operator = await context.newPage(); // another tab: its own sessionStorage, so its own token
    await paste(operator, env.OPERATOR_TOKEN);
    await operator.goto(FERRY + '/#/policies');
    await operator.getByRole('button', { name: 'Run ' + env.POLICY_NAME + ' now' }).waitFor({ timeout: TIMEOUT });
    await operator.close();
  });

  test('an operator sees the copy form; a token lives only in its tab', async (page, context) => {
    await paste(page, env.OPERATOR_TOKEN);
    await page.goto(FERRY + '/#/copy');
    await page.getByLabel('Source image').waitFor({ timeout: TIMEOUT });
    check(await page.getByRole('link', { name: 'Delete', exact: true }).isHidden(), 'an operator cannot delete');
    await shot(page, 'operator-copy-form');
    const other = await context.newPage();
    await other.goto(FERRY + '/');
    await other.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: TIMEOUT });
    await other.close();
  });
}

// Playwright's launch() gives chromium a fresh temporary --user-data-dir of its own (and refuses one passed in args).
const browser = await chromium.launch({
  executablePath: env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
let passed = 0;
let failed = 0;
try {
  for (const t of tests) {
    const context = await browser.newContext({ viewport: { width: 1366, height: 860 } });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    try {
      await t.fn(page, context);
      check(errors.length === 0, 'script errors on the page: ' + errors.join('; '));
      passed++;
      console.log('ok   ' + t.name);
    } catch (e) {
      failed++;
      console.log('FAIL ' + t.name + ': ' + (e && e.message ? e.message.split('\n')[0] : e));
      await shot(page, 'FAILED-' + (passed + failed)).catch(() => {});
    } finally {
      await context.close();
    }
  }
} finally {
  await browser.close();
}
console.log(passed + ' passed, ' + failed + ' failed');
process.exit(failed === 0 && passed === tests.length && passed > 0 ? 0 : 1);
