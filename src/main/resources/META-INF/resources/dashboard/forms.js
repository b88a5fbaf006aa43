// Forms for inspect, copy, sync (JSON fields or skopeo's YAML) and delete. Field names are the API's (skopeo's
// flags in camelCase); empty fields are left out so Ferry's defaults apply.

import { api } from './api.js';
import { h, clear, problemBox, bytes } from './ui.js';

let seq = 0;

/** One labelled input. kind: text | password | check | number | textarea | select. */
function field(name, label, { kind = 'text', help, placeholder, required, value, options, rows } = {}) {
  const id = 'f-' + name + '-' + (++seq);
  const helpId = help ? id + '-help' : null;
  let input;
  if (kind === 'check') {
    input = h('input', { type: 'checkbox', id, name, 'data-kind': 'check', checked: value === true, 'aria-describedby': helpId });
    return h('div', { class: 'field check' }, input, h('label', { for: id }, label), help ? h('div', { class: 'help', id: helpId }, help) : null);
  }
  if (kind === 'textarea') {
    input = h('textarea', { id, name, rows: rows || 8, required, placeholder, spellcheck: 'false', 'aria-describedby': helpId });
    if (value !== undefined) input.value = value;
  } else if (kind === 'select') {
    input = h('select', { id, name, 'aria-describedby': helpId }, options.map(([v, l]) => h('option', { value: v, selected: v === value }, l)));
  } else {
    input = h('input', {
      type: kind === 'password' ? 'password' : kind === 'number' ? 'number' : 'text', id, name, required, placeholder,
      autocomplete: kind === 'password' ? 'off' : 'off', spellcheck: 'false', 'data-kind': kind, 'aria-describedby': helpId,
      value: value !== undefined && value !== null ? String(value) : null,
    });
  }
  return h('div', { class: 'field' }, h('label', { for: id }, label, required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
    input, help ? h('div', { class: 'help', id: helpId }, help) : null);
}

/** The request a form describes: checked boxes true, numbers as numbers, empty fields left out. */
function values(form) {
  const out = {};
  for (const el of form.querySelectorAll('input[name], select[name], textarea[name]')) {
    if (el.closest('[hidden]')) continue;
    if (el.dataset.kind === 'check') { if (el.checked) out[el.name] = true; continue; }
    const v = el.value.trim();
    if (v === '') continue;
    out[el.name] = el.dataset.kind === 'number' ? Number(v) : v;
  }
  return out;
}

function prefill(form, type) {
  const saved = JSON.parse(sessionStorage.getItem('ferry.prefill') || 'null');
  if (!saved || saved.type !== type) return null;
  sessionStorage.removeItem('ferry.prefill');
  for (const [k, v] of Object.entries(saved.request)) {
    const el = form.querySelector('[name="' + k + '"]');
    if (!el) continue;
    if (el.dataset.kind === 'check') el.checked = v === true; else el.value = typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return h('p', { class: 'note', role: 'status' }, 'Filled in from an earlier job. Its credentials were not stored ('
    + saved.redacted.join(', ') + '): enter them again.');
}

function submitButton(label) {
  return h('div', { class: 'buttons' }, h('button', { type: 'submit' }, label));
}

function busy(form, on) {
  for (const b of form.querySelectorAll('button')) b.disabled = on;
  form.setAttribute('aria-busy', on ? 'true' : 'false');
}

function denied(main, what, role) {
  clear(main, h('h1', {}, what), h('p', { class: 'note', role: 'status' },
    'Your role does not allow this: ' + what.toLowerCase() + ' needs the ' + role + ' role. Ask an administrator, or sign in as someone else.'));
}

const TLS_HELP = 'Leave checked to verify TLS. Unchecked = skopeo --tls-verify=false (any certificate; plain http allowed).';

function platformFields() {
  return h('fieldset', {}, h('legend', {}, 'Platform (multi-platform images)'),
    h('div', { class: 'row' },
      field('overrideOs', 'OS (--override-os)', { placeholder: 'linux' }),
      field('overrideArch', 'Architecture (--override-arch)', { placeholder: 'amd64' }),
      field('overrideVariant', 'Variant (--override-variant)', { placeholder: 'v8' })));
}

/** skopeo's --tls-verify defaults to true: a checkbox that starts checked and is sent only when unchecked. */
function tlsField(name, label) {
  const f = field(name, label, { kind: 'check', value: true, help: TLS_HELP });
  f.querySelector('input').dataset.kind = 'tls';
  return f;
}

function withTls(form, req) {
  for (const el of form.querySelectorAll('input[data-kind="tls"]')) {
    delete req[el.name];
    if (!el.checked && !el.closest('[hidden]')) req[el.name] = false;
  }
  return req;
}

// ---- inspect -----------------------------------------------------------------------------------------

const INSPECT_FIELDS = ['Name', 'Digest', 'RepoTags', 'Created', 'DockerVersion', 'Labels', 'Architecture', 'Variant', 'Os', 'Layers', 'LayersData', 'Env'];

export function inspectView(main) {
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'card', onsubmit: submit },
    field('image', 'Image', { required: true, placeholder: 'docker://registry.example.com/team/app:1', help: 'skopeo\'s transport syntax; no transport means docker://' }),
    tlsField('tlsVerify', 'Verify TLS (--tls-verify)'),
    h('div', { class: 'row' },
      field('creds', 'Credentials (--creds user:password)', { kind: 'password', help: 'Used for this request only; never stored.' }),
      field('noTags', 'Do not list tags (--no-tags)', { kind: 'check' })),
    platformFields(),
    submitButton('Inspect'));
  clear(main, h('h1', {}, 'Inspect an image'), h('p', { class: 'muted' }, 'skopeo inspect: the image\'s fields and its raw manifest.'), form, out);

  async function submit(e) {
    e.preventDefault();
    const req = withTls(form, values(form));
    busy(form, true);
    clear(out, h('p', { class: 'muted' }, 'Inspecting…'));
    try {
      const [fields, raw] = await Promise.all([api.inspect(req), api.inspect({ ...req, raw: true, noTags: undefined })]);
      const f = fields.body;
      clear(out,
        h('h2', {}, 'Fields'),
        h('table', { class: 'inspect' }, h('tbody', {}, INSPECT_FIELDS.filter((k) => f[k] !== undefined).map((k) =>
          h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, render(k, f[k])))))),
        h('h2', {}, 'Raw manifest'),
        h('p', { class: 'small muted' }, 'Exactly as the registry serves it (skopeo inspect --raw); its sha256 is the digest.'),
        h('pre', { class: 'json raw-manifest' }, typeof raw.body === 'string' ? raw.body : JSON.stringify(raw.body, null, 2)));
    } catch (err) {
      clear(out, problemBox(err.problem, 'Inspect failed'));
    } finally {
      busy(form, false);
    }
  }

  function render(k, v) {
    if (k === 'LayersData' && Array.isArray(v)) {
      return h('table', { class: 'nested' }, h('tbody', {}, v.map((l) => h('tr', {}, h('td', {}, h('code', {}, l.Digest)), h('td', {}, bytes(l.Size)), h('td', { class: 'small' }, l.MIMEType)))));
    }
    if (Array.isArray(v)) return v.length ? h('ul', { class: 'plain' }, v.map((x) => h('li', {}, h('code', {}, String(x))))) : '[]';
    if (v && typeof v === 'object') return h('pre', { class: 'json' }, JSON.stringify(v, null, 2));
    return h('code', {}, v === null ? 'null' : String(v));
  }
}

// ---- copy ----------------------------------------------------------------------------------------------

export function copyView(main, ctx) {
  if (ctx.caller.level < 2) return denied(main, 'Copy', 'operator');
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'card', onsubmit: submit },
    field('source', 'Source image', { required: true, placeholder: 'docker://registry.example.com/team/app:1' }),
    field('destination', 'Destination image', { required: true, placeholder: 'docker://mirror.example.com/team/app:1' }),
    h('div', { class: 'row' }, tlsField('srcTlsVerify', 'Verify source TLS (--src-tls-verify)'), tlsField('destTlsVerify', 'Verify destination TLS (--dest-tls-verify)')),
    h('div', { class: 'row' },
      field('srcCreds', 'Source credentials (--src-creds)', { kind: 'password', help: 'user:password; used for this job only, never stored.' }),
      field('destCreds', 'Destination credentials (--dest-creds)', { kind: 'password', help: 'user:password; used for this job only, never stored.' })),
    field('all', 'Every platform and the index (--all)', { kind: 'check' }),
    platformFields(),
    h('div', { class: 'row' },
      field('imageParallelCopies', 'Blobs at once (--image-parallel-copies)', { kind: 'number', placeholder: '6' }),
      field('retryTimes', 'Retries per request (--retry-times)', { kind: 'number' })),
    submitButton('Start copy'));
  const note = prefill(form, 'copy');
  clear(main, h('h1', {}, 'Copy an image'), h('p', { class: 'muted' }, 'skopeo copy as a job: blobs stream source → destination, manifests byte for byte.'), note, form, out);

  async function submit(e) {
    e.preventDefault();
    busy(form, true);
    try {
      const res = await api.copy(withTls(form, values(form)));
      location.hash = '#/jobs/' + res.body.id;
    } catch (err) {
      clear(out, problemBox(err.problem, 'The copy was not started'));
    } finally {
      busy(form, false);
    }
  }
}

// ---- sync ----------------------------------------------------------------------------------------------

const YAML_EXAMPLE = `registry.example.com:
  images:
    team/app: [latest, "1.10"]
  images-by-tag-regex:
    team/tools: ^v2\\.
  images-by-semver:
    team/api: ">= 1.2.0, < 2"
`;

export function syncView(main, ctx) {
  if (ctx.caller.level < 2) return denied(main, 'Sync', 'operator');
  const out = h('div', { 'aria-live': 'polite' });
  const fieldsPart = h('div', { id: 'sync-fields' },
    field('source', 'Source repository (or one image)', { required: true, placeholder: 'registry.example.com/team/app', help: 'A repository: every tag (filtered below); or REPO:TAG / REPO@DIGEST.' }),
    h('div', { class: 'row' }, field('tagRegex', 'Tag regex', { placeholder: '^v[0-9]+' }), field('semver', 'Semver range', { placeholder: '>= 1.2.0, < 2' })),
    h('div', { class: 'row' }, tlsField('srcTlsVerify', 'Verify source TLS'), field('srcCreds', 'Source credentials', { kind: 'password' })),
    field('destCreds', 'Destination credentials', { kind: 'password', help: 'Never stored; with a YAML document they come from Ferry\'s configuration.' }));
  const yamlPart = h('div', { id: 'sync-yaml', hidden: true },
    field('yaml', 'skopeo sync YAML (--src yaml)', { kind: 'textarea', rows: 10, value: YAML_EXAMPLE, help: 'The document skopeo sync --src yaml reads, as is. Credentials in it are used, never stored.' }));
  const form = h('form', { class: 'card', onsubmit: submit },
    h('fieldset', { class: 'tabs' }, h('legend', {}, 'What to sync from'),
      h('label', {}, h('input', { type: 'radio', name: 'mode', value: 'fields', checked: true, onchange: switchMode }), ' Fields (JSON)'),
      h('label', {}, h('input', { type: 'radio', name: 'mode', value: 'yaml', onchange: switchMode }), ' skopeo YAML')),
    fieldsPart, yamlPart,
    field('destination', 'Destination (registry or registry/namespace)', { required: true, placeholder: 'mirror.example.com/mirror' }),
    tlsField('destTlsVerify', 'Verify destination TLS'),
    h('div', { class: 'row' },
      field('scoped', 'Keep the whole source name (--scoped)', { kind: 'check' }),
      field('all', 'Every platform (--all)', { kind: 'check' }),
      field('keepGoing', 'Keep going after a failed image (--keep-going)', { kind: 'check' }),
      field('dryRun', 'Dry run: plan only (--dry-run)', { kind: 'check' })),
    h('div', { class: 'row' },
      field('appendSuffix', 'Tag suffix (--append-suffix)'),
      field('parallelImages', 'Images at once', { kind: 'number', placeholder: '4' })),
    submitButton('Start sync'));
  const note = prefill(form, 'sync');
  clear(main, h('h1', {}, 'Sync repositories'), h('p', { class: 'muted' }, 'skopeo sync as a job: unchanged images are skipped after one HEAD on each side.'), note, form, out);

  function switchMode() {
    const yaml = form.querySelector('input[name=mode]:checked').value === 'yaml';
    yamlPart.hidden = !yaml;
    fieldsPart.hidden = yaml;
    fieldsPart.querySelector('[name=source]').required = !yaml;
  }

  async function submit(e) {
    e.preventDefault();
    const req = withTls(form, values(form));
    delete req.mode;
    busy(form, true);
    try {
      let res;
      if (!yamlPart.hidden) {
        const yaml = req.yaml;
        delete req.yaml;
        res = await api.syncYaml(yaml, Object.fromEntries(Object.entries(req).map(([k, v]) => [k, String(v)])));
      } else {
        res = await api.sync(req);
      }
      location.hash = '#/jobs/' + res.body.id;
    } catch (err) {
      clear(out, problemBox(err.problem, 'The sync was not started'));
    } finally {
      busy(form, false);
    }
  }
}

// ---- delete --------------------------------------------------------------------------------------------

export function deleteView(main, ctx) {
  if (ctx.caller.level < 3) return denied(main, 'Delete', 'admin');
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'card', onsubmit: (e) => { e.preventDefault(); submit(false); } },
    field('image', 'Image', { required: true, placeholder: 'docker://registry.example.com/team/app:1' }),
    tlsField('tlsVerify', 'Verify TLS (--tls-verify)'),
    field('creds', 'Credentials (--creds)', { kind: 'password' }),
    field('tagOnly', 'Remove only this tag (OCI 1.1 registries)', { kind: 'check', help: 'Leaves the manifest and its other tags. CNCF distribution 2.8 cannot do this.' }),
    submitButton('Delete'));
  const guard = h('div', { class: 'note' },
    h('strong', {}, 'The guard. '),
    'A registry deletes manifests by digest, so deleting a tag\'s manifest removes every tag that points at it. '
    + 'Ferry resolves the tag first and refuses (409) when other tags share the manifest, naming them; you can then delete anyway. '
    + 'The digest is fixed when the job is accepted, so a tag that moves afterwards cannot redirect the delete.');
  clear(main, h('h1', {}, 'Delete an image'), guard, form, out);

  async function submit(force) {
    const req = withTls(form, values(form));
    if (force) req.force = true;
    busy(form, true);
    try {
      const res = await api.delete(req);
      location.hash = '#/jobs/' + res.body.id;
    } catch (err) {
      const p = err.problem || {};
      clear(out, problemBox(p, 'Not deleted'),
        p.type === 'urn:ferry:problem:delete-would-remove-tags'
          ? h('button', { type: 'button', class: 'danger', onclick: () => submit(true) }, 'Delete anyway (removes those tags too)') : null);
    } finally {
      busy(form, false);
    }
  }
}
