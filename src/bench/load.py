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
           "table": cmd_table}.get(sys.argv[1])
    if cmd is None:
        die("unknown subcommand " + sys.argv[1] + "\n" + __doc__)
    cmd(sys.argv[2:])


if __name__ == "__main__":
    main()
