#!/usr/bin/env python3
"""Helper for src/bench/inspect-bench.sh (Python 3 standard library only).

Subcommands (all print to stdout; stats are one JSON object per line):
  freeport                              print a free TCP port on 127.0.0.1
  push REGISTRY REPO TAG [TAG...]       build a random OCI image (config + a few gzip layers) and push it
                                        byte-exact to http://REGISTRY under every TAG
  skopeo LABEL N C SKOPEO_ARG...        run `SKOPEO_ARG...` N times with C concurrent callers (one process
                                        per call); print stats
  http LABEL URL BODYFILE C MAXREQ SECS POST BODYFILE to URL from C threads, one keep-alive connection each,
                                        until MAXREQ requests in total or SECS seconds; print stats
  table RATIO_BASE RATIO_CMP STATSFILE  print the stats in STATSFILE (JSON lines) as a table, plus the
                                        throughput and p50 ratios of label RATIO_CMP over label RATIO_BASE

Used by src/bench/copy-bench.sh:
  image REGISTRY REPO TAG N BYTES DIR   push an image of N random gzip'd-tar layers of about BYTES bytes each
                                        (data from `head -c ... /dev/urandom`, streamed through DIR: never held
                                        in memory); print its manifest digest
  index REGISTRY REPO TAG N BYTES DIR PLATFORM...
                                        push one such image per PLATFORM (os/arch[/variant]) by digest, then an
                                        OCI index of them under TAG; print the index digest
  blobbytes REGISTRY REPO REF           total size of the blobs (configs and layers, every child of an index)
                                        that REF refers to
  ferrycopy FERRY SRC DST ALL WAIT      POST /api/v1/copy (Prefer: wait=WAIT), poll the job if still running;
                                        print {"seconds", "job"}; exit 1 unless the job succeeded
  ferrymany FERRY SRC DSTPREFIX N       submit N copies SRC -> DSTPREFIX-i:TAG at once (N threads, no wait), poll
                                        until every job has ended; print {"seconds", "states", "jobs"}
  rss PID STOPFILE MAXSECS              sample VmRSS of PID every 100 ms until STOPFILE exists (or MAXSECS);
                                        print the maximum in kB
  copytable STATSFILE                   print copy-bench.sh's results (TSV: scenario, seconds, bytes) as medians
"""
import gzip
import hashlib
import http.client
import io
import json
import os
import socket
import subprocess
import sys
import tarfile
import threading
import time
import urllib.parse
import zlib

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def die(msg):
    print("load.py: " + msg, file=sys.stderr)
    sys.exit(1)


def sha256(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * p // 100))  # ceil(n*p/100)
    return sorted_values[int(rank) - 1]


def stats(label, latencies, wall, errors, concurrency):
    lat = sorted(latencies)
    return {
        "label": label,
        "concurrency": concurrency,
        "calls": len(lat),
        "errors": errors,
        "p50_ms": percentile(lat, 50) * 1000.0,
        "p99_ms": percentile(lat, 99) * 1000.0,
        "max_ms": (lat[-1] * 1000.0) if lat else float("nan"),
        "wall_s": wall,
        "per_s": (len(lat) / wall) if wall > 0 else float("nan"),
    }


# ---------------------------------------------------------------- freeport

def cmd_freeport(_args):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()


# ---------------------------------------------------------------- push

def make_layer(index):
    """A small gzip'd tar with random content; returns (compressed bytes, diff_id)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for i in range(3):
            data = os.urandom(4096 * (index + 1) + i * 512)
            info = tarfile.TarInfo("layer%d/file%d.bin" % (index, i))
            info.size = len(data)
            info.mtime = 1700000000
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    uncompressed = raw.getvalue()
    compressed = gzip.compress(uncompressed, mtime=0)
    return compressed, sha256(uncompressed)


def request(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    return resp, data


def push_blob(conn, repo, blob):
    digest = sha256(blob)  # the registry is fresh: no HEAD check first (it would log a 404 per blob)
    resp, data = request(conn, "POST", "/v2/%s/blobs/uploads/" % repo, b"", {"Content-Length": "0"})
    if resp.status != 202:
        die("starting blob upload: HTTP %d %s" % (resp.status, data[:200]))
    location = resp.getheader("Location")
    u = urllib.parse.urlsplit(location)
    sep = "&" if u.query else "?"
    path = u.path + ("?" + u.query if u.query else "") + sep + "digest=" + urllib.parse.quote(digest)
    resp, data = request(conn, "PUT", path, blob,
                         {"Content-Type": "application/octet-stream", "Content-Length": str(len(blob))})
    if resp.status != 201:
        die("finishing blob upload of %s: HTTP %d %s" % (digest, resp.status, data[:200]))
    return digest


def cmd_push(args):
    if len(args) < 3:
        die("usage: push REGISTRY REPO TAG [TAG...]")
    registry, repo, tags = args[0], args[1], args[2:]
    host, port = registry.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    layers = [make_layer(i) for i in range(3)]
    config = {
        "created": "2024-05-01T12:34:56.123456789Z",
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "BENCH=1"],
            "Labels": {"org.opencontainers.image.title": "ferry-bench", "bench": "true"},
            "Cmd": ["/bin/true"],
        },
        "rootfs": {"type": "layers", "diff_ids": [d for _, d in layers]},
        "history": [{"created": "2024-05-01T12:34:56Z", "created_by": "bench layer %d" % i} for i in range(3)],
    }
    config_bytes = json.dumps(config, indent=2, sort_keys=True).encode()
    config_digest = push_blob(conn, repo, config_bytes)
    layer_descs = []
    for blob, _ in layers:
        layer_descs.append({"mediaType": OCI_LAYER, "digest": push_blob(conn, repo, blob), "size": len(blob)})
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": len(config_bytes)},
        "layers": layer_descs,
    }
    manifest_bytes = json.dumps(manifest, indent=3).encode()  # byte-exact: the digest is of these bytes
    digest = sha256(manifest_bytes)
    for tag in tags:
        resp, data = request(conn, "PUT", "/v2/%s/manifests/%s" % (repo, tag), manifest_bytes,
                             {"Content-Type": OCI_MANIFEST, "Content-Length": str(len(manifest_bytes))})
        if resp.status != 201:
            die("putting manifest %s:%s: HTTP %d %s" % (repo, tag, resp.status, data[:200]))
        got = resp.getheader("Docker-Content-Digest")
        if got != digest:
            die("registry reports digest %s for %s:%s, expected %s" % (got, repo, tag, digest))
    conn.close()
    print(digest)


# ---------------------------------------------------------------- skopeo

def cmd_skopeo(args):
    if len(args) < 4:
        die("usage: skopeo LABEL N C SKOPEO_ARG...")
    label, n, c, argv = args[0], int(args[1]), int(args[2]), args[3:]
    lock = threading.Lock()
    latencies, errors = [], [0]
    remaining = [n]

    def worker():
        while True:
            with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
            t0 = time.perf_counter()
            r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            dt = time.perf_counter() - t0
            with lock:
                if r.returncode == 0:
                    latencies.append(dt)
                else:
                    errors[0] += 1
                    if errors[0] == 1:
                        print("load.py: skopeo failed: " + r.stderr.decode(errors="replace").strip(), file=sys.stderr)

    threads = [threading.Thread(target=worker) for _ in range(max(1, c))]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps(stats(label, latencies, time.perf_counter() - t0, errors[0], c)))


# ---------------------------------------------------------------- http

def cmd_http(args):
    if len(args) != 6:
        die("usage: http LABEL URL BODYFILE C MAXREQ SECS")
    label, url, body_file, c, max_req, secs = args[0], args[1], args[2], int(args[3]), int(args[4]), float(args[5])
    with open(body_file, "rb") as f:
        body = f.read()
    u = urllib.parse.urlsplit(url)
    headers = {"Content-Type": "application/json", "Accept": "application/json", "Content-Length": str(len(body))}
    lock = threading.Lock()
    latencies, errors = [], [0]
    issued = [0]
    start = time.perf_counter()
    deadline = start + secs

    def worker():
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        mine = []
        try:
            while True:
                with lock:
                    if issued[0] >= max_req or time.perf_counter() >= deadline:
                        break
                    issued[0] += 1
                t0 = time.perf_counter()
                try:
                    conn.request("POST", u.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    ok = resp.status == 200
                except (OSError, http.client.HTTPException) as e:
                    ok, data = False, str(e).encode()
                    conn.close()
                    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
                dt = time.perf_counter() - t0
                if ok:
                    mine.append(dt)
                else:
                    with lock:
                        errors[0] += 1
                        if errors[0] == 1:
                            print("load.py: %s: first failure: %s" % (label, data[:300]), file=sys.stderr)
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(max(1, c))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps(stats(label, latencies, time.perf_counter() - start, errors[0], c)))


# ---------------------------------------------------------------- big images (copy-bench.sh)

CHUNK = 1 << 20


def write_layer(path, approx_bytes, name):
    """Streams a gzip'd tar holding one file of random bytes (from `head -c N /dev/urandom`) into path.

    Deflate level 0 (stored blocks): random data does not compress anyway, and it keeps generation at disk
    speed. The tar stream is hashed on the way (diff_id) and so is the gzip stream (the blob digest).
    Returns (digest, size, diff_id)."""
    payload = max(0, approx_bytes - 512 - 1024 - approx_bytes // 8000 - 64)  # tar header + end, gzip overhead
    info = tarfile.TarInfo(name)
    info.size = payload
    info.mtime = 1700000000
    info.mode = 0o644
    header = info.tobuf(format=tarfile.PAX_FORMAT)
    pad = (-payload) % 512
    trailer = b"\0" * (pad + 1024)
    diff = hashlib.sha256()
    blob = hashlib.sha256()
    size = 0
    z = zlib.compressobj(0, zlib.DEFLATED, 31)  # wbits 31: gzip framing
    head = subprocess.Popen(["head", "-c", str(payload), "/dev/urandom"], stdout=subprocess.PIPE)
    try:
        with open(path, "wb") as out:
            def emit(raw):
                nonlocal size
                diff.update(raw)
                c = z.compress(raw)
                if c:
                    blob.update(c)
                    out.write(c)
                    size += len(c)

            emit(header)
            got = 0
            while True:
                chunk = head.stdout.read(CHUNK)
                if not chunk:
                    break
                got += len(chunk)
                emit(chunk)
            if got != payload:
                die("head -c %d /dev/urandom gave %d bytes" % (payload, got))
            emit(trailer)
            c = z.flush()
            blob.update(c)
            out.write(c)
            size += len(c)
    finally:
        head.stdout.close()
        head.wait()
    return "sha256:" + blob.hexdigest(), size, "sha256:" + diff.hexdigest()


def push_file_blob(conn, repo, path, digest, size):
    """Monolithic upload (POST, then PUT ?digest=) streaming the body from path."""
    resp, data = request(conn, "POST", "/v2/%s/blobs/uploads/" % repo, b"", {"Content-Length": "0"})
    if resp.status != 202:
        die("starting blob upload: HTTP %d %s" % (resp.status, data[:200]))
    u = urllib.parse.urlsplit(resp.getheader("Location"))
    sep = "&" if u.query else "?"
    put = u.path + ("?" + u.query if u.query else "") + sep + "digest=" + urllib.parse.quote(digest)
    with open(path, "rb") as f:
        resp, data = request(conn, "PUT", put, f,
                             {"Content-Type": "application/octet-stream", "Content-Length": str(size)})
    if resp.status != 201:
        die("finishing blob upload of %s: HTTP %d %s" % (digest, resp.status, data[:200]))


def put_manifest(conn, repo, ref, media_type, raw):
    resp, data = request(conn, "PUT", "/v2/%s/manifests/%s" % (repo, ref), raw,
                         {"Content-Type": media_type, "Content-Length": str(len(raw))})
    if resp.status != 201:
        die("putting manifest %s:%s: HTTP %d %s" % (repo, ref, resp.status, data[:200]))
    digest = sha256(raw)
    got = resp.getheader("Docker-Content-Digest")
    if got != digest:
        die("registry reports digest %s for %s:%s, expected %s" % (got, repo, ref, digest))
    return digest


def connect(registry, timeout=300):
    host, port = registry.rsplit(":", 1)
    return http.client.HTTPConnection(host, int(port), timeout=timeout, blocksize=CHUNK)


def build_image(conn, repo, n, layer_bytes, workdir, platform, tag_for_log):
    """Pushes the blobs of one image; returns the raw manifest (not pushed yet)."""
    os_, arch, variant = (platform.split("/") + [None])[:3]
    layers = []
    for i in range(n):
        path = os.path.join(workdir, "layer.tmp")
        digest, size, diff_id = write_layer(path, layer_bytes, "%s/%s/layer%02d.bin" % (repo, platform, i))
        try:
            push_file_blob(conn, repo, path, digest, size)
        finally:
            os.unlink(path)
        layers.append((digest, size, diff_id))
        print("load.py: %s: layer %d/%d %s (%d bytes)" % (tag_for_log, i + 1, n, digest, size), file=sys.stderr)
    config = {
        "created": "2024-05-01T12:34:56Z",
        "architecture": arch,
        "os": os_,
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                   "Labels": {"org.opencontainers.image.title": "ferry-copy-bench"}, "Cmd": ["/bin/true"]},
        "rootfs": {"type": "layers", "diff_ids": [d for _, _, d in layers]},
        "history": [{"created": "2024-05-01T12:34:56Z", "created_by": "bench layer %d" % i} for i in range(n)],
    }
    if variant:
        config["variant"] = variant
    config_bytes = json.dumps(config, indent=2, sort_keys=True).encode()
    config_digest = sha256(config_bytes)
    resp, data = request(conn, "POST", "/v2/%s/blobs/uploads/" % repo, b"", {"Content-Length": "0"})
    if resp.status != 202:
        die("starting config upload: HTTP %d %s" % (resp.status, data[:200]))
    u = urllib.parse.urlsplit(resp.getheader("Location"))
    put = u.path + "?" + (u.query + "&" if u.query else "") + "digest=" + urllib.parse.quote(config_digest)
    resp, data = request(conn, "PUT", put, config_bytes,
                         {"Content-Type": "application/octet-stream", "Content-Length": str(len(config_bytes))})
    if resp.status != 201:
        die("putting config: HTTP %d %s" % (resp.status, data[:200]))
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": len(config_bytes)},
        "layers": [{"mediaType": OCI_LAYER, "digest": d, "size": s} for d, s, _ in layers],
    }
    return json.dumps(manifest, indent=3).encode()


def cmd_image(args):
    if len(args) not in (6, 7):
        die("usage: image REGISTRY REPO TAG N BYTES DIR [OS/ARCH[/VARIANT]]")
    registry, repo, tag, n, layer_bytes, workdir = args[0], args[1], args[2], int(args[3]), int(args[4]), args[5]
    platform = args[6] if len(args) == 7 else "linux/amd64"
    conn = connect(registry)
    raw = build_image(conn, repo, n, layer_bytes, workdir, platform, "%s:%s" % (repo, tag))
    print(put_manifest(conn, repo, tag, OCI_MANIFEST, raw))
    conn.close()


def cmd_index(args):
    if len(args) < 7:
        die("usage: index REGISTRY REPO TAG N BYTES DIR PLATFORM...")
    registry, repo, tag, n, layer_bytes, workdir = args[0], args[1], args[2], int(args[3]), int(args[4]), args[5]
    conn = connect(registry)
    children = []
    for platform in args[6:]:
        raw = build_image(conn, repo, n, layer_bytes, workdir, platform, "%s:%s %s" % (repo, tag, platform))
        digest = put_manifest(conn, repo, sha256(raw), OCI_MANIFEST, raw)
        os_, arch, variant = (platform.split("/") + [None])[:3]
        p = {"architecture": arch, "os": os_}
        if variant:
            p["variant"] = variant
        children.append({"mediaType": OCI_MANIFEST, "digest": digest, "size": len(raw), "platform": p})
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": children}
    raw = json.dumps(index, indent=3).encode()
    print(put_manifest(conn, repo, tag, "application/vnd.oci.image.index.v1+json", raw))
    conn.close()


def get_manifest(conn, repo, ref):
    accept = ", ".join([OCI_MANIFEST, "application/vnd.oci.image.index.v1+json",
                        "application/vnd.docker.distribution.manifest.v2+json",
                        "application/vnd.docker.distribution.manifest.list.v2+json"])
    resp, data = request(conn, "GET", "/v2/%s/manifests/%s" % (repo, ref), None, {"Accept": accept})
    if resp.status != 200:
        die("getting manifest %s:%s: HTTP %d %s" % (repo, ref, resp.status, data[:200]))
    return json.loads(data)


def cmd_blobbytes(args):
    if len(args) != 3:
        die("usage: blobbytes REGISTRY REPO REF")
    registry, repo, ref = args
    conn = connect(registry)
    m = get_manifest(conn, repo, ref)
    images = [get_manifest(conn, repo, d["digest"]) for d in m["manifests"]] if "manifests" in m else [m]
    seen = {}
    for im in images:
        for d in [im["config"]] + im["layers"]:
            seen[d["digest"]] = d["size"]
    conn.close()
    print(sum(seen.values()))


# ---------------------------------------------------------------- Ferry copy jobs (copy-bench.sh)

def ferry_call(conn, method, path, body=None, headers=None):
    h = {"Accept": "application/json"}
    if body is not None:
        h["Content-Type"] = "application/json"
    h.update(headers or {})
    resp, data = request(conn, method, path, body, h)
    try:
        doc = json.loads(data) if data else None
    except ValueError:
        doc = None
    return resp.status, doc, data


def copy_body(src, dst, all_):
    b = {"source": src, "destination": dst, "srcTlsVerify": False, "destTlsVerify": False}
    if all_:
        b["all"] = True
    return json.dumps(b).encode()


def poll_job(conn, job_id, deadline):
    while True:
        status, doc, data = ferry_call(conn, "GET", "/api/v1/jobs/" + job_id)
        if status != 200:
            die("GET /api/v1/jobs/%s: HTTP %d %s" % (job_id, status, data[:300]))
        if doc.get("state") in ("succeeded", "failed", "cancelled"):
            return doc
        if time.perf_counter() > deadline:
            die("job %s still %s after the time limit" % (job_id, doc.get("state")))
        time.sleep(0.05)


def cmd_ferrycopy(args):
    if len(args) != 5:
        die("usage: ferrycopy FERRY SRC DST ALL WAIT")
    u = urllib.parse.urlsplit(args[0])
    src, dst, all_, wait = args[1], args[2], args[3] == "1", int(args[4])
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=wait + 60)
    body = copy_body(src, dst, all_)
    t0 = time.perf_counter()
    status, doc, data = ferry_call(conn, "POST", "/api/v1/copy", body, {"Prefer": "wait=%d" % wait})
    if status == 202:
        doc = poll_job(conn, doc["id"], t0 + 3600)
    elif status != 200:
        die("POST /api/v1/copy: HTTP %d %s" % (status, data[:500]))
    dt = time.perf_counter() - t0
    conn.close()
    print(json.dumps({"seconds": dt, "http": status, "job": doc}))
    if doc.get("state") != "succeeded":
        print("load.py: copy %s -> %s ended %s: %s" % (src, dst, doc.get("state"), json.dumps(doc.get("error"))),
              file=sys.stderr)
        sys.exit(1)


def cmd_ferrymany(args):
    if len(args) != 4:
        die("usage: ferrymany FERRY SRC DSTPREFIX N")
    u = urllib.parse.urlsplit(args[0])
    src, prefix, n = args[1], args[2], int(args[3])
    tag = src.rsplit(":", 1)[1]
    ids = [None] * n
    barrier = threading.Barrier(n)
    errors = []

    def submit(i):
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        barrier.wait()
        status, doc, data = ferry_call(conn, "POST", "/api/v1/copy", copy_body(src, "%s-%d:%s" % (prefix, i, tag), False))
        conn.close()
        if status != 202:
            errors.append("job %d: HTTP %d %s" % (i, status, data[:300]))
        else:
            ids[i] = doc["id"]

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(n)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    submitted = time.perf_counter() - t0
    if errors:
        die("; ".join(errors))
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    jobs = [poll_job(conn, job_id, t0 + 3600) for job_id in ids]  # in order; each poll ends when that job has
    dt = time.perf_counter() - t0  # all ended by now; the last ending is at most one poll interval earlier
    conn.close()
    states = [j["state"] for j in jobs]
    print(json.dumps({"seconds": dt, "submit_seconds": submitted, "states": states, "jobs": jobs}))
    if any(s != "succeeded" for s in states):
        print("load.py: not every job succeeded: %s" % states, file=sys.stderr)
        sys.exit(1)


def cmd_rss(args):
    if len(args) != 3:
        die("usage: rss PID STOPFILE MAXSECS")
    pid, stop, maxsecs = args[0], args[1], float(args[2])
    peak = 0
    deadline = time.monotonic() + maxsecs
    while not os.path.exists(stop) and time.monotonic() < deadline:
        try:
            with open("/proc/%s/status" % pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        peak = max(peak, int(line.split()[1]))
                        break
        except OSError:
            break
        time.sleep(0.1)
    print(peak)


def median(values):
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2.0


def cmd_copytable(args):
    if len(args) != 1:
        die("usage: copytable STATSFILE")
    order, runs, size = [], {}, {}
    for line in open(args[0]):
        if not line.strip():
            continue
        label, secs, nbytes = line.rstrip("\n").split("\t")
        if label not in runs:
            order.append(label)
            runs[label] = []
        runs[label].append(float(secs))
        size[label] = int(nbytes)
    med = {label: median(runs[label]) for label in order}
    fmt = "%-50s %4s %9s %9s %9s %7s"
    print(fmt % ("scenario", "runs", "median s", "min s", "max s", "MB/s"))
    print("-" * 94)
    for label in order:
        mbs = "%.0f" % (size[label] / med[label] / 1e6) if size[label] > 0 and med[label] > 0 else "-"
        print(fmt % (label, len(runs[label]), "%.2f" % med[label], "%.2f" % min(runs[label]),
                     "%.2f" % max(runs[label]), mbs))
    print("-" * 94)
    for label in order:
        if not label.startswith("ferry copy "):
            continue
        what = label[len("ferry copy "):]
        for other in ("skopeo copy ", "curl GET|PUT "):
            base = next((l for l in order if l.startswith(other) and l[len(other):].split(" ")[0] == what.split(" ")[0]), None)
            if base:
                print("time ratio ferry/%-6s %-8s x%.2f   (%.2f s / %.2f s; > 1: Ferry slower)" % (
                    other.split(" ")[0], what.split(" ")[0], med[label] / med[base], med[label], med[base]))


# ---------------------------------------------------------------- table

def cmd_table(args):
    if len(args) != 3:
        die("usage: table RATIO_BASE RATIO_CMP STATSFILE")
    base_label, cmp_label, path = args
    rows = [json.loads(line) for line in open(path) if line.strip()]
    by_label = {r["label"]: r for r in rows}
    fmt = "%-34s %6s %6s %9s %9s %9s %9s"
    print(fmt % ("scenario", "calls", "errors", "p50 ms", "p99 ms", "max ms", "calls/s"))
    print("-" * 88)
    for r in rows:
        print(fmt % (r["label"], r["calls"], r["errors"], "%.1f" % r["p50_ms"], "%.1f" % r["p99_ms"],
                     "%.1f" % r["max_ms"], "%.1f" % r["per_s"]))
    print("-" * 88)
    pairs = [(base_label, cmp_label)]
    # also compare the concurrent rows with each other when both exist
    extra = [r["label"] for r in rows if r["label"] not in (base_label, cmp_label)]
    sk = [l for l in extra if l.startswith("skopeo")]
    fe = [l for l in extra if l.startswith("ferry")]
    if sk and fe:
        pairs.append((sk[0], fe[-1]))
    for b, c in pairs:
        if b in by_label and c in by_label:
            rb, rc = by_label[b], by_label[c]
            print("ratio %s vs %s: throughput x%.1f, p50 latency /%.1f" % (
                c, b, rc["per_s"] / rb["per_s"], rb["p50_ms"] / rc["p50_ms"]))


def main():
    if len(sys.argv) < 2:
        die(__doc__)
    cmd = {"freeport": cmd_freeport, "push": cmd_push, "skopeo": cmd_skopeo, "http": cmd_http,
           "table": cmd_table, "image": cmd_image, "index": cmd_index, "blobbytes": cmd_blobbytes,
           "ferrycopy": cmd_ferrycopy, "ferrymany": cmd_ferrymany, "rss": cmd_rss, "copytable": cmd_copytable}.get(sys.argv[1])
    if cmd is None:
        die("unknown subcommand " + sys.argv[1] + "\n" + __doc__)
    cmd(sys.argv[2:])


if __name__ == "__main__":
    main()
