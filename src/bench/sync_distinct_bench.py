#!/usr/bin/env python3
"""Ferry's POST /api/v1/sync versus skopeo sync --preserve-digests for DISTINCT small images.

Beside sync-bench.sh (one image under many tags, where every blob after the first already exists), this is
the mirror case: TAGS tags of bench/app, each a different image with one LAYER_KB KiB layer of random bytes,
synced into an empty registry. Run through sync-distinct-bench.sh (it builds the jar when missing).

Per run, side by side in one script run: Ferry (embedded store, one warm JVM) syncs into a fresh registry,
skopeo (a fresh process, as automation runs it) into another. Wall time and CPU-seconds: Ferry's from
/proc/PID/stat (utime+stime delta over the run), skopeo's from getrusage(RUSAGE_CHILDREN). Every run is
verified (each destination tag has the source digest). Prints medians and the Ferry/skopeo ratios.
Ferry's CPU is also split: the part its JIT compiler threads took (C1/C2, still compiling after the warm-up) is
printed beside it, so that a change to Ferry's own work can be told from the JVM's warm-up.
The warm-up's own syncs are measured too and printed as a curve (sync 1, 2, 4, 8, ...: CPU-s and the JIT's part),
so the cold cost of a freshly started replica is in every run's output beside the warm figure.
Environment: RUNS (5), TAGS (30), LAYER_KB (300), WARMUP (100), FERRY_JAR, JAVA_OPTS, JFR=FILE (record Ferry),
FERRY_SYNC_FIELDS (JSON merged into Ferry's sync request, e.g. '{"referrers": false}').
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

work = mirrorbench.setup("sync-distinct")
from mirrorbench import (RUNS, TAGS, LAYER_KB, JAR, JAVA_OPTS, JFR, procs, log, free_port, req,  # noqa: E402
                         registry, push, verify, cpu, jit_cpu)

# A mirror service runs for days: the timed syncs come after WARMUP untimed ones (100 = 3,000 image copies), when
# the JIT has compiled the per-image code. The warm-up curve printed first shows what the cold syncs cost.
WARMUP = int(os.environ.get("WARMUP", "100"))


def main():
    src, _ = registry("src")
    digests = {}
    for i in range(TAGS):
        tag = "%d.%d.0" % (1 + i // 10, i % 10)
        digests[tag] = push(src, "bench/app", tag, os.urandom(LAYER_KB * 1024))
    log("source %s/bench/app: %d tags, each a distinct image of one %d KiB layer" % (src, TAGS, LAYER_KB))
    port = free_port()
    opts = list(JAVA_OPTS)
    if JFR:
        opts.append("-XX:StartFlightRecording=filename=%s,settings=profile" % JFR)
    env = dict(os.environ, QUARKUS_HTTP_PORT=str(port), FERRY_DATA_DIR=os.path.join(work, "ferry-data"))
    ferry = subprocess.Popen(["java"] + opts + ["-jar", JAR], env=env, stdout=open(work + "/ferry.log", "w"), stderr=subprocess.STDOUT)
    procs.append(ferry)
    deadline = time.time() + 180  # ~2 s on a quiet machine; far longer when other work loads it
    while True:
        try:
            if urllib.request.urlopen("http://127.0.0.1:%d/q/health/ready" % port, timeout=1).status == 200:
                break
        except Exception:
            if time.time() > deadline or ferry.poll() is not None:
                raise SystemExit("Ferry did not get ready: " + open(work + "/ferry.log").read()[-1500:])
            time.sleep(0.1)

    def ferry_sync(dest):
        fields = {"source": "docker://%s/bench/app" % src, "destination": "docker://%s/mirror" % dest,
                  "srcTlsVerify": False, "destTlsVerify": False}
        fields.update(json.loads(os.environ.get("FERRY_SYNC_FIELDS", "{}")))
        body = json.dumps(fields).encode()
        j0, c0, t0 = jit_cpu(ferry.pid), cpu(ferry.pid), time.time()
        st, _, b = req("POST", "http://127.0.0.1:%d/api/v1/sync" % port, body, {"Content-Type": "application/json", "Prefer": "wait=300"})
        t1, c1, j1 = time.time(), cpu(ferry.pid), jit_cpu(ferry.pid)
        j = json.loads(b)
        if j.get("state") != "succeeded":
            raise SystemExit("ferry sync failed: %s" % b[:500])
        jit.append(j1 - j0)
        windows.append((t0, t1))
        return t1 - t0, c1 - c0

    jit = []
    windows = []

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

    log("warm-up: %d untimed Ferry syncs" % WARMUP)
    curve = []
    for w in range(WARMUP):
        d, p = registry("warm-%d" % w)
        _, c = ferry_sync(d)
        curve.append((w + 1, c, jit[-1]))
        p.kill()
    # how Ferry's CPU per sync falls as the JVM warms up: sync 1, 2, 4, 8, ... of the warm-up (CPU-s, JIT part)
    if curve:
        log("warm-up curve, sync number: CPU-s (JIT): " + ", ".join(
            "%d: %.2f (%.2f)" % x for x in curve if x[0] & (x[0] - 1) == 0 or x[0] == len(curve)))
    del jit[:]
    del windows[:]
    fw, fc, sw, sc = [], [], [], []
    for r in range(RUNS):
        fd, fp = registry("ferry-%d" % r)
        sd, sp = registry("skopeo-%d" % r)
        w, c = ferry_sync(fd)
        verify(fd, digests)
        fw.append(w)
        fc.append(c)
        w, c = skopeo_sync(sd)
        verify(sd, digests)
        sw.append(w)
        sc.append(c)
        log("run %d: ferry %.2f s wall, %.2f s CPU (JIT %.2f); skopeo %.2f s wall, %.2f s CPU" % (r + 1, fw[-1], fc[-1], jit[-1], sw[-1], sc[-1]))
        fp.kill()
        sp.kill()
    if JFR:  # the measured syncs' windows, to cut a recording's events (jfr print) to the timed part
        log("timed windows (epoch s): " + " ".join("%.3f-%.3f" % w for w in windows))
    med = statistics.median
    print("sync of %d distinct images (one %d KiB layer each) into an empty registry, %d runs, median [min-max]:" % (TAGS, LAYER_KB, RUNS))
    print("  ferry   wall %6.2f s [%.2f-%.2f]   CPU %5.2f s [%.2f-%.2f], of which JIT compiler threads %.2f s [%.2f-%.2f]"
          % (med(fw), min(fw), max(fw), med(fc), min(fc), max(fc), med(jit), min(jit), max(jit)))
    print("  skopeo  wall %6.2f s [%.2f-%.2f]   CPU %5.2f s [%.2f-%.2f]" % (med(sw), min(sw), max(sw), med(sc), min(sc), max(sc)))
    print("  ratio ferry/skopeo: wall %.2fx, CPU %.2fx (without the JIT threads' share %.2fx)"
          % (med(fw) / med(sw), med(fc) / med(sc), statistics.median([c - j for c, j in zip(fc, jit)]) / med(sc)))


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
