#!/usr/bin/env python3
"""The cheap re-run of a mirror: a sync of TAGS unchanged distinct images, run again (issue 13 item 3).

Setup as sync-distinct-bench.sh: TAGS tags of bench/app, each a different image with one LAYER_KB KiB layer.
Ferry and skopeo each sync once into their own registry (untimed), then re-run the same sync RUNS times, side
by side in one script run. Nothing changed, so a re-run should cost next to nothing:
  - skopeo sync --preserve-digests (a fresh process, as cron runs it): reads every manifest again, HEADs blobs,
    and PUTs every manifest again;
  - Ferry POST /api/v1/sync: a HEAD on each side per tag, nothing read or written when the digests agree;
  - Ferry with immutableTags: one tag list of the destination, no request per tag at the source at all;
  - Ferry policy run (POST /api/v1/policies/NAME/runs, immutableTags): the same through a stored policy.
Wall time and CPU-seconds as in sync-distinct-bench (Ferry: /proc/PID/stat; skopeo: RUSAGE_CHILDREN).
Every destination is verified after every run. Prints medians and the ratios to skopeo.
Environment: RUNS (5), TAGS (30), LAYER_KB (300), WARMUP (8), FERRY_JAR, JAVA_OPTS.
"""
import hashlib
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import mirrorbench

work = mirrorbench.setup("sync-rerun")
from mirrorbench import (RUNS, TAGS, LAYER_KB, WARMUP, JAR, JAVA_OPTS, JFR, procs, log, free_port, req,  # noqa: E402
                         registry, push, verify, cpu)


def main():
    src, _ = registry("src")
    digests = {}
    for i in range(TAGS):
        tag = "%d.%d.0" % (1 + i // 10, i % 10)
        digests[tag] = push(src, "bench/app", tag, os.urandom(LAYER_KB * 1024))
    log("source %s/bench/app: %d tags, each a distinct image of one %d KiB layer" % (src, TAGS, LAYER_KB))
    port = free_port()
    env = dict(os.environ, QUARKUS_HTTP_PORT=str(port), FERRY_DATA_DIR=os.path.join(work, "ferry-data"))
    ferry = subprocess.Popen(["java"] + list(JAVA_OPTS) + ["-jar", JAR], env=env, stdout=open(work + "/ferry.log", "w"),
                             stderr=subprocess.STDOUT)
    procs.append(ferry)
    for _ in range(3000):  # up to 5 minutes: a loaded machine starts the JVM slowly
        try:
            if urllib.request.urlopen("http://127.0.0.1:%d/q/health/ready" % port, timeout=1).status == 200:
                break
        except Exception:
            time.sleep(0.1)
    api = "http://127.0.0.1:%d/api/v1" % port

    def sync_body(dest, immutable):
        b = {"source": "docker://%s/bench/app" % src, "destination": "docker://%s/mirror" % dest,
             "srcTlsVerify": False, "destTlsVerify": False}
        if immutable:
            b["immutableTags"] = ["[0-9]+\\.[0-9]+\\.[0-9]+"]
        return b

    def timed(call):
        c0, t0 = cpu(ferry.pid), time.time()
        st, _, b = call()
        t1, c1 = time.time(), cpu(ferry.pid)
        j = json.loads(b)
        if j.get("state") != "succeeded":
            raise SystemExit("ferry run failed: %s" % b[:500])
        return t1 - t0, c1 - c0, j

    def ferry_sync(dest, immutable=False):
        body = json.dumps(sync_body(dest, immutable)).encode()
        return timed(lambda: req("POST", api + "/sync", body, {"Content-Type": "application/json", "Prefer": "wait=300"}))

    def policy_run(name):
        return timed(lambda: req("POST", api + "/policies/%s/runs" % name, b"", {"Prefer": "wait=300"}))

    def skopeo_sync(dest):
        home = tempfile.mkdtemp(dir=work)
        env = dict(os.environ, HOME=home, XDG_RUNTIME_DIR=home, XDG_DATA_HOME=home, REGISTRY_AUTH_FILE=home + "/auth.json")
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.time()
        subprocess.run(["skopeo", "--insecure-policy", "sync", "--src", "docker", "--dest", "docker", "--preserve-digests",
                        "--src-tls-verify=false", "--dest-tls-verify=false", "%s/bench/app" % src, "%s/mirror" % dest],
                       env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t1 = time.time()
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        return t1 - t0, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)

    fdest, _ = registry("ferry-dest")
    sdest, _ = registry("skopeo-dest")
    log("first syncs (untimed): Ferry into %s, skopeo into %s" % (fdest, sdest))
    ferry_sync(fdest)
    skopeo_sync(sdest)
    verify(fdest, digests)
    verify(sdest, digests)
    st, _, b = req("POST", api + "/policies", json.dumps({"name": "bench-mirror", "sync": sync_body(fdest, True)}).encode(),
                   {"Content-Type": "application/json"})
    if st != 201:
        raise SystemExit("creating the policy failed: %d %s" % (st, b[:300]))
    log("warm-up: %d untimed Ferry re-runs of each kind" % WARMUP)
    for _ in range(WARMUP):
        ferry_sync(fdest)
        ferry_sync(fdest, True)
        policy_run("bench-mirror")
    res = {"skopeo": ([], []), "ferry": ([], []), "immutable": ([], []), "policy": ([], [])}
    for r in range(RUNS):
        w, c = skopeo_sync(sdest)
        verify(sdest, digests)
        res["skopeo"][0].append(w)
        res["skopeo"][1].append(c)
        for kind, call in (("ferry", lambda: ferry_sync(fdest)), ("immutable", lambda: ferry_sync(fdest, True)),
                           ("policy", lambda: policy_run("bench-mirror"))):
            w, c, j = call()
            if j["result"]["skipped"] != TAGS:
                raise SystemExit("%s re-run did not skip all %d tags: %s" % (kind, TAGS, json.dumps(j["result"])[:300]))
            verify(fdest, digests)
            res[kind][0].append(w)
            res[kind][1].append(c)
        log("run %d: skopeo %.2f s wall %.2f s CPU; ferry %.3f/%.3f; immutable %.3f/%.3f; policy %.3f/%.3f" % (
            r + 1, res["skopeo"][0][-1], res["skopeo"][1][-1], res["ferry"][0][-1], res["ferry"][1][-1],
            res["immutable"][0][-1], res["immutable"][1][-1], res["policy"][0][-1], res["policy"][1][-1]))
    med = statistics.median
    sw, sc = med(res["skopeo"][0]), med(res["skopeo"][1])
    print("re-run of a sync of %d unchanged distinct images (one %d KiB layer each), %d runs, median [min-max]:" % (TAGS, LAYER_KB, RUNS))
    labels = {"skopeo": "skopeo sync", "ferry": "ferry sync (HEADs)", "immutable": "ferry immutableTags", "policy": "ferry policy run"}
    for kind in ("skopeo", "ferry", "immutable", "policy"):
        w, c = res[kind]
        print("  %-20s wall %6.3f s [%.3f-%.3f]   CPU %5.3f s [%.3f-%.3f]   vs skopeo: wall %.2fx CPU %.2fx" % (
            labels[kind], med(w), min(w), max(w), med(c), min(c), max(c), med(w) / sw, med(c) / sc))


if __name__ == "__main__":
    try:
        main()
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate() if JFR and p.args[0] == "java" else p.kill()
                p.wait()
        if os.environ.get("KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)
