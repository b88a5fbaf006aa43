#!/usr/bin/env python3
"""What a signature policy check and carrying attached artifacts add to the promotion of a small image.

Run through referrers-bench.sh (it builds the jar when missing). Side by side in one script run, against
distribution 2.8 (no referrers API, so everything goes through the fallback tag schema):

  plain       POST /api/v1/copy of bench/app:v1 with "referrers": false, Ferry without a signature policy
  policy      the same, Ferry with FERRY_SIGNATURES_POLICY requiring the GPG key skopeo signed bench/app:v1 with
  discovery   bench/bare:v1 (nothing attached), the default (referrers on): the cost of looking
  attached    bench/app:v1, the default: its four attached artifacts travel too -- cosign-style
              sha256-<hex>.sig (simple signing), .att (DSSE attestation), .sbom (SPDX) tags, and an OCI 1.1
              referrer (an SBOM manifest with subject + artifactType) listed in the sha256-<hex> fallback index tag
  full        attached, on the policy Ferry: what a webhook promotion of a signed image with its artifacts costs

Each promotion goes to a fresh repository (prod/rN) of that configuration's own destination registry; the order of
the five rotates every run. Every run is checked: the job succeeded with the source digest, the "attached" and
"full" jobs have four referrer events "copied" and the destination holds each artifact's exact bytes; the policy
jobs have an accepted signature event. Measured per promotion: wall (the client's Prefer: wait request), the job's
own durationMs, and Ferry's CPU (sum of /proc/PID/task/*/schedstat run time over the request, in ms: /proc/stat's
10 ms ticks are too coarse for a 40 ms job). Prints medians [min-max] and each configuration's overhead over plain.

The floor: the registry's own time for the requests an ideal artifact copy needs (for each of the four artifacts: its
two blobs GET at the source and POST+PUT at the destination, its manifest GET (cosign tags: already read while
looking) and PUT; then the fallback index PUT), replayed with Python's http.client over keep-alive connections,
one after the other and four artifacts at once. REQUESTS=1 turns on the registries' access logs and counts how many
requests each configuration sends (source and destination, per promotion).

Environment: RUNS (16), WARMUP (8), LAYER_KB (64), FERRY_JAR, JAVA_OPTS, JFR=FILE (records the plain Ferry, which
runs plain/discovery/attached), REQUESTS=1, KEEP=1 (keep the work folder).
"""
import base64
import glob
import hashlib
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

os.environ.setdefault("RUNS", "16")
os.environ.setdefault("WARMUP", "8")
os.environ.setdefault("LAYER_KB", "64")
import mirrorbench  # noqa: E402

work = mirrorbench.setup("referrers-bench")
from mirrorbench import RUNS, WARMUP, LAYER_KB, JAR, JAVA_OPTS, JFR, procs, log, free_port, req  # noqa: E402

REQUESTS = os.environ.get("REQUESTS") == "1"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
CONFIGS = ["plain", "policy", "discovery", "attached", "full"]


def registry(name):
    """A docker-registry 2.8 on a free loopback port; with REQUESTS=1 its access log is on (one line per request)."""
    port = free_port()
    d = os.path.join(work, name)
    os.makedirs(d + "/storage")
    with open(d + "/config.yml", "w") as f:
        f.write("version: 0.1\nlog:\n  level: %s\n  accesslog:\n    disabled: %s\nstorage:\n  filesystem:\n"
                "    rootdirectory: %s/storage\nhttp:\n  addr: 127.0.0.1:%d\n"
                % ("info" if REQUESTS else "warn", "false" if REQUESTS else "true", d, port))
    p = subprocess.Popen(["docker-registry", "serve", d + "/config.yml"], stdout=open(d + "/log", "w"), stderr=subprocess.STDOUT)
    procs.append(p)
    for _ in range(200):
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/v2/" % port, timeout=1)
            break
        except Exception:
            time.sleep(0.05)
    return "127.0.0.1:%d" % port, d + "/log"


def access_lines(logfile):
    """Requests a registry answered so far (its access log: one line with an HTTP method per request)."""
    with open(logfile, errors="replace") as f:
        return sum(1 for line in f if '"GET ' in line or '"HEAD ' in line or '"PUT ' in line or '"POST ' in line
                   or '"PATCH ' in line or '"DELETE ' in line)


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def desc(media_type, data, annotations=None):
    d = {"mediaType": media_type, "digest": sha(data), "size": len(data)}
    if annotations:
        d["annotations"] = annotations
    return d


def push_blob(reg, repo, data):
    _, h, _ = req("POST", "http://%s/v2/%s/blobs/uploads/" % (reg, repo))
    loc = h["Location"]
    loc = loc if loc.startswith("http") else "http://" + reg + loc
    st, _, b = req("PUT", loc + ("&" if "?" in loc else "?") + "digest=" + sha(data), data, {"Content-Type": "application/octet-stream"})
    assert st == 201, (st, b)


def push_manifest(reg, repo, ref, raw, media_type=OCI_MANIFEST):
    st, _, b = req("PUT", "http://%s/v2/%s/manifests/%s" % (reg, repo, ref), raw, {"Content-Type": media_type})
    assert st == 201, (st, b)
    return sha(raw)


def push_image(reg, repo, tag, layer):
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [sha(layer)]}}).encode()
    for b in (cfg, layer):
        push_blob(reg, repo, b)
    m = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": desc("application/vnd.oci.image.config.v1+json", cfg),
                    "layers": [desc("application/vnd.oci.image.layer.v1.tar", layer)]}).encode()
    return push_manifest(reg, repo, tag, m)


def cosign_artifact(layer_type, payload, annotations):
    """A manifest the way cosign writes .sig/.att/.sbom: an image config naming one layer that holds the payload."""
    cfg = json.dumps({"architecture": "", "created": "0001-01-01T00:00:00Z", "history": [{"created": "0001-01-01T00:00:00Z"}],
                      "os": "", "rootfs": {"type": "layers", "diff_ids": [sha(payload)]}, "config": {}}).encode()
    m = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": desc("application/vnd.oci.image.config.v1+json", cfg),
                    "layers": [desc(layer_type, payload, annotations)]}).encode()
    return m, [cfg, payload]


def attach(reg, repo, subject, subject_size):
    """Pushes the four artifacts of subject; returns [(reference at the destination, manifest bytes, blobs)]."""
    hexd = subject.split(":")[1]
    sig_payload = json.dumps({"critical": {"identity": {"docker-reference": "%s/%s" % (reg, repo)},
                                           "image": {"docker-manifest-digest": subject}, "type": "cosign container image signature"},
                              "optional": None}).encode()
    statement = json.dumps({"_type": "https://in-toto.io/Statement/v0.1", "predicateType": "https://slsa.dev/provenance/v0.2",
                            "subject": [{"name": repo, "digest": {"sha256": hexd}}], "predicate": {}}).encode()
    envelope = json.dumps({"payloadType": "application/vnd.in-toto+json", "payload": base64.b64encode(statement).decode(),
                           "signatures": [{"keyid": "", "sig": "MEUC"}]}).encode()
    spdx = json.dumps({"spdxVersion": "SPDX-2.3", "name": "app@" + subject, "packages": [{"name": "x" * 200}]}).encode()
    out = []
    for suffix, layer_type, payload, ann in (
            (".sig", "application/vnd.dev.cosign.simplesigning.v1+json", sig_payload,
             {"dev.cosignproject.cosign/signature": base64.b64encode(b"bench-signature").decode()}),
            (".att", "application/vnd.dsse.envelope.v1+json", envelope,
             {"dev.cosignproject.cosign/signature": "", "predicateType": "https://slsa.dev/provenance/v0.2"}),
            (".sbom", "text/spdx+json", spdx, None)):
        m, blobs = cosign_artifact(layer_type, payload, ann)
        for b in blobs:
            push_blob(reg, repo, b)
        tag = "sha256-%s%s" % (hexd, suffix)
        push_manifest(reg, repo, tag, m)
        out.append((tag, m, blobs))
    # an OCI 1.1 referrer: empty config, the SBOM as its layer, subject and artifactType; listed in the fallback index
    empty = b"{}"
    sbom = json.dumps({"spdxVersion": "SPDX-2.3", "name": "referrer sbom of " + subject}).encode()
    for b in (empty, sbom):
        push_blob(reg, repo, b)
    ref = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": "application/spdx+json",
                      "config": desc("application/vnd.oci.empty.v1+json", empty), "layers": [desc("application/spdx+json", sbom)],
                      "subject": {"mediaType": OCI_MANIFEST, "digest": subject, "size": subject_size},
                      "annotations": {"org.opencontainers.image.created": "2026-12-02T00:00:00Z"}}).encode()
    rd = push_manifest(reg, repo, sha(ref), ref)
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": rd, "size": len(ref), "artifactType": "application/spdx+json",
         "annotations": {"org.opencontainers.image.created": "2026-12-02T00:00:00Z"}}]}).encode()
    push_manifest(reg, repo, "sha256-" + hexd, index, OCI_INDEX)
    out.append((rd, ref, [empty, sbom]))
    return out


def task_ns(pid):
    """Run time of every thread of pid so far, in ns (/proc/PID/task/*/schedstat: first field)."""
    total = 0
    for f in glob.glob("/proc/%d/task/*/schedstat" % pid):
        try:
            with open(f) as s:
                total += int(s.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass  # a thread that ended meanwhile
    return total


def start_ferry(name, env_extra, jfr=None):
    port = free_port()
    opts = list(JAVA_OPTS)
    if jfr:
        opts.append("-XX:StartFlightRecording=filename=%s,settings=profile" % jfr)
    env = dict(os.environ, QUARKUS_HTTP_PORT=str(port), FERRY_DATA_DIR=os.path.join(work, "ferry-" + name), **env_extra)
    p = subprocess.Popen(["java"] + opts + ["-jar", JAR], env=env, stdout=open("%s/ferry-%s.log" % (work, name), "w"),
                         stderr=subprocess.STDOUT)
    procs.append(p)
    for _ in range(600):
        try:
            if urllib.request.urlopen("http://127.0.0.1:%d/q/health/ready" % port, timeout=1).status == 200:
                return port, p
        except Exception:
            time.sleep(0.1)
    raise SystemExit("Ferry %s did not start (see %s/ferry-%s.log)" % (name, work, name))


def events(port, job_id):
    _, _, b = req("GET", "http://127.0.0.1:%d/api/v1/jobs/%s/events" % (port, job_id))
    out = []
    for line in b.decode().splitlines():
        if line.startswith("data:"):
            out.append(json.loads(line[5:]))
    return out


def connect(hostport):
    """A keep-alive connection with TCP_NODELAY (http.client writes headers and body apart: with Nagle's algorithm
    each small PUT would wait for the peer's delayed ACK, 40 ms)."""
    c = http.client.HTTPConnection(*hostport.split(":"))
    c.connect()
    c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return c


def floor(src, dst, artifacts, parallel):
    """The registries' own time for an ideal copy of the artifacts to a fresh repository (see the module doc)."""
    repo = "floor/p%d-%d" % (parallel, time.time_ns())

    def one(item):
        ref, raw, blobs = item
        s, d = connect(src), connect(dst)
        try:
            if ref.startswith("sha256:"):
                s.request("GET", "/v2/bench/app/manifests/" + ref, headers={"Accept": OCI_MANIFEST})
                s.getresponse().read()
            for b in blobs:
                s.request("GET", "/v2/bench/app/blobs/" + sha(b))
                got = s.getresponse().read()
                d.request("POST", "/v2/%s/blobs/uploads/" % repo, body=b"")
                r = d.getresponse()
                r.read()
                loc = r.getheader("Location")
                path = loc.split(dst, 1)[1] if dst in loc else loc
                d.request("PUT", path + ("&" if "?" in path else "?") + "digest=" + sha(got), body=got,
                          headers={"Content-Type": "application/octet-stream"})
                r = d.getresponse()
                r.read()
                assert r.status == 201, r.status
            d.request("PUT", "/v2/%s/manifests/%s" % (repo, ref), body=raw, headers={"Content-Type": OCI_MANIFEST})
            r = d.getresponse()
            r.read()
            assert r.status == 201, r.status
        finally:
            s.close()
            d.close()

    t0 = time.perf_counter()
    if parallel == 1:
        for a in artifacts:
            one(a)
    else:
        threads = [threading.Thread(target=one, args=(a,)) for a in artifacts]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    ref, raw, _ = artifacts[-1]
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": sha(raw), "size": len(raw)}]}).encode()
    d = connect(dst)
    d.request("PUT", "/v2/%s/manifests/sha256-%s" % (repo, "0" * 64), body=index, headers={"Content-Type": OCI_INDEX})
    d.getresponse().read()
    d.close()
    return time.perf_counter() - t0


def main():
    src, src_log = registry("src")
    push_image(src, "bench/staging", "v1", os.urandom(LAYER_KB * 1024))
    push_image(src, "bench/bare-staging", "v1", os.urandom(LAYER_KB * 1024))
    # the signer: a GPG key; skopeo signs bench/app:v1 and bench/bare:v1 into a file:// lookaside store
    gnupg = os.path.join(work, "gnupg")
    os.makedirs(gnupg, mode=0o700)
    genv = dict(os.environ, GNUPGHOME=gnupg)
    subprocess.run(["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key",
                    "Bench Signer <bench@ferry.test>", "ed25519", "sign", "never"], env=genv, check=True, capture_output=True)
    fpr = [l.split(":")[9] for l in subprocess.run(["gpg", "--batch", "--with-colons", "--list-keys", "bench@ferry.test"], env=genv,
                                                    check=True, capture_output=True, text=True).stdout.splitlines() if l.startswith("fpr:")][0]
    with open(work + "/signer.pub", "wb") as f:
        f.write(subprocess.run(["gpg", "--batch", "--armor", "--export", fpr], env=genv, check=True, capture_output=True).stdout)
    os.makedirs(work + "/registries.d")
    os.makedirs(work + "/lookaside")
    with open(work + "/registries.d/default.yaml", "w") as f:
        f.write("default-docker:\n  lookaside: file://%s/lookaside\n  lookaside-staging: file://%s/lookaside\n" % (work, work))
    for frm, to in (("bench/staging", "bench/app"), ("bench/bare-staging", "bench/bare")):
        subprocess.run(["skopeo", "--insecure-policy", "copy", "--registries.d", work + "/registries.d", "--src-tls-verify=false",
                        "--dest-tls-verify=false", "--sign-by", fpr, "docker://%s/%s:v1" % (src, frm), "docker://%s/%s:v1" % (src, to)],
                       env=genv, check=True, capture_output=True)
    _, h, raw = req("GET", "http://%s/v2/bench/app/manifests/v1" % src, None, {"Accept": OCI_MANIFEST})
    app = sha(raw)  # skopeo compressed the layer on the way: the signed image is another manifest
    artifacts = attach(src, "bench/app", app, len(raw))
    with open(work + "/policy.json", "w") as f:
        json.dump({"default": [{"type": "insecureAcceptAnything"}], "transports": {"docker": {
            "%s/bench" % src: [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": work + "/signer.pub"}]}}}, f)
    log("source %s/bench/app:v1 = %s (config + one %d KiB layer, gzipped by skopeo), signed by %s, 4 artifacts attached" % (src, app, LAYER_KB, fpr))

    plain_port, plain = start_ferry("plain", {}, JFR)
    policy_port, policy = start_ferry("policy", {"FERRY_SIGNATURES_POLICY": work + "/policy.json",
                                                 "FERRY_SIGNATURES_REGISTRIES_D": work + "/registries.d"})
    dests = {c: registry("dest-" + c) for c in CONFIGS}
    setups = {  # port, process, source repository, extra request fields, expected referrer copies
        "plain": (plain_port, plain, "bench/app", {"referrers": False}, 0),
        "policy": (policy_port, policy, "bench/app", {"referrers": False}, 0),
        "discovery": (plain_port, plain, "bench/bare", {}, 0),
        "attached": (plain_port, plain, "bench/app", {}, 4),
        "full": (policy_port, policy, "bench/app", {}, 4),
    }
    expected = {"bench/app": app}
    _, _, braw = req("GET", "http://%s/v2/bench/bare/manifests/v1" % src, None, {"Accept": OCI_MANIFEST})
    expected["bench/bare"] = sha(braw)
    counter = [0]

    def promote(config, check=True):
        port, proc, repo, fields, copies = setups[config]
        dest, dest_log = dests[config]
        counter[0] += 1
        to = "prod/r%d" % counter[0]
        body = {"source": "docker://%s/%s:v1" % (src, repo), "destination": "docker://%s/%s:v1" % (dest, to),
                "srcTlsVerify": False, "destTlsVerify": False}
        body.update(fields)
        body = json.dumps(body).encode()
        r0 = (access_lines(src_log), access_lines(dest_log)) if REQUESTS else (0, 0)
        c0, t0 = task_ns(proc.pid), time.perf_counter()
        st, _, b = req("POST", "http://127.0.0.1:%d/api/v1/copy" % port, body, {"Content-Type": "application/json", "Prefer": "wait=60"})
        t1, c1 = time.perf_counter(), task_ns(proc.pid)
        job = json.loads(b)
        if job.get("state") != "succeeded" or job["result"]["digest"] != expected[repo]:
            raise SystemExit("%s promotion failed: %s" % (config, b[:800]))
        if check:
            evs = events(port, job["id"])
            copied = [e for e in evs if e.get("status") == "copied" and "subject" in e]
            if len(copied) != copies:
                raise SystemExit("%s: %d referrer copies, expected %d: %s" % (config, len(copied), copies, evs))
            if proc is policy and not any(e.get("status") == "accepted" for e in evs):
                raise SystemExit("%s: no accepted signature event" % config)
            if copies:
                for ref, mraw, _ in artifacts:
                    _, _, got = req("GET", "http://%s/v2/%s/manifests/%s" % (dest, to, ref), None, {"Accept": OCI_MANIFEST})
                    if got != mraw:
                        raise SystemExit("%s: %s/%s@%s is not the source's bytes" % (config, dest, to, ref))
                _, _, idx = req("GET", "http://%s/v2/%s/manifests/sha256-%s" % (dest, to, app.split(":")[1]), None, {"Accept": OCI_INDEX})
                if sha(artifacts[-1][1]) not in idx.decode():
                    raise SystemExit("%s: the destination fallback index does not list the referrer: %s" % (config, idx[:300]))
        reqs = (access_lines(src_log) - r0[0], access_lines(dest_log) - r0[1]) if REQUESTS else (0, 0)
        return t1 - t0, job["durationMs"], (c1 - c0) / 1e6, reqs

    log("warm-up: %d untimed rounds of the five" % WARMUP)
    for _ in range(WARMUP):
        for c in CONFIGS:
            promote(c, check=False)
    rows = {c: [] for c in CONFIGS}
    for r in range(RUNS):
        order = CONFIGS[r % len(CONFIGS):] + CONFIGS[:r % len(CONFIGS)]
        for c in order:
            rows[c].append(promote(c))
        log("run %d: " % (r + 1) + ", ".join("%s %.0f/%.0f ms" % (c, rows[c][-1][0] * 1000, rows[c][-1][2]) for c in CONFIGS)
            + " (wall/CPU)")
    floors = {p: statistics.median(floor(src, dests["attached"][0], artifacts, p) for _ in range(9)) for p in (1, 4)}

    med = statistics.median
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print("promotion of one small image (config + one %d KiB layer, gzipped by skopeo) to a fresh repository on distribution 2.8, %d runs each "
          "(load average at the end: %s):" % (LAYER_KB, RUNS, load))
    print("  %-10s %26s %12s %26s%s" % ("", "wall ms median [min-max]", "job ms", "Ferry CPU ms median [min-max]",
                                         "  requests src+dst" if REQUESTS else ""))
    base_w = med(x[0] for x in rows["plain"])
    base_c = med(x[2] for x in rows["plain"])
    for c in CONFIGS:
        w = [x[0] * 1000 for x in rows[c]]
        j = [x[1] for x in rows[c]]
        cp = [x[2] for x in rows[c]]
        extra = "  %d+%d" % (med(x[3][0] for x in rows[c]), med(x[3][1] for x in rows[c])) if REQUESTS else ""
        print("  %-10s %8.1f [%6.1f-%6.1f] %12.1f %10.1f [%6.1f-%6.1f]   wall %+6.1f %%  CPU %+6.1f %%%s" % (
            c, med(w), min(w), max(w), med(j), med(cp), min(cp), max(cp), 100 * (med(w) / 1000 / base_w - 1),
            100 * (med(cp) / base_c - 1), extra))
    print("  floor: the registries' own time for an ideal copy of the 4 artifacts (%d requests + the index PUT): "
          "one after the other %.1f ms, four at once %.1f ms (medians of 9)" % (
              sum((1 if a[0].startswith("sha256:") else 0) + 3 * len(a[2]) + 1 for a in artifacts), floors[1] * 1000, floors[4] * 1000))


if __name__ == "__main__":
    try:
        main()
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate() if JFR and p.args[0] == "java" else p.kill()
                p.wait()
        if os.path.isdir(os.path.join(work, "gnupg")):  # the gpg-agent gpg started for the signing key
            subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=dict(os.environ, GNUPGHOME=os.path.join(work, "gnupg")),
                           capture_output=True)
        if os.environ.get("KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)
        else:
            log("work folder kept: " + work)
