"""What the mirror benchmarks (sync_distinct_bench.py, sync_rerun_bench.py) share: their environment, a registry
process per destination, pushing distinct small images, checking a mirror's digests, reading a process's CPU.
Call setup(NAME) first: it makes the work folder (work) and names the log lines.
"""
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

RUNS = int(os.environ.get("RUNS", "5"))
TAGS = int(os.environ.get("TAGS", "30"))
LAYER_KB = int(os.environ.get("LAYER_KB", "300"))
WARMUP = int(os.environ.get("WARMUP", "8"))
JAR = os.environ["FERRY_JAR"]
JAVA_OPTS = os.environ.get("JAVA_OPTS", "-Xmx256m -XX:+UseParallelGC").split()
JFR = os.environ.get("JFR")
work = None
procs = []
_name = "bench"
TICK = os.sysconf("SC_CLK_TCK")


def log(m):
    print("[%s] %s" % (_name, m), file=sys.stderr, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def req(method, url, body=None, headers=None):
    r = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(r, timeout=300) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def registry(name):
    port = free_port()
    d = os.path.join(work, name)
    os.makedirs(d + "/storage")
    with open(d + "/config.yml", "w") as f:
        f.write("version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n"
                "    rootdirectory: %s/storage\nhttp:\n  addr: 127.0.0.1:%d\n" % (d, port))
    p = subprocess.Popen(["docker-registry", "serve", d + "/config.yml"], stdout=open(d + "/log", "w"), stderr=subprocess.STDOUT)
    procs.append(p)
    deadline = time.time() + 60  # a registry starts in ~0.1 s, but far later on a machine loaded by other work
    while True:
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/v2/" % port, timeout=1)
            break
        except Exception:
            if time.time() > deadline or p.poll() is not None:
                raise SystemExit("registry %s did not start: %s" % (name, open(d + "/log").read()[-500:]))
            time.sleep(0.05)
    return "127.0.0.1:%d" % port, p


def push(reg, repo, tag, layer):
    def blob(data):
        dg = "sha256:" + hashlib.sha256(data).hexdigest()
        _, h, _ = req("POST", "http://%s/v2/%s/blobs/uploads/" % (reg, repo))
        loc = h["Location"]
        loc = loc if loc.startswith("http") else "http://" + reg + loc
        st, _, _ = req("PUT", loc + ("&" if "?" in loc else "?") + "digest=" + dg, data, {"Content-Type": "application/octet-stream"})
        assert st == 201
        return dg
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]}}).encode()
    m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": blob(cfg), "size": len(cfg)},
                    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": blob(layer), "size": len(layer)}]}).encode()
    st, _, _ = req("PUT", "http://%s/v2/%s/manifests/%s" % (reg, repo, tag), m, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    assert st == 201
    return "sha256:" + hashlib.sha256(m).hexdigest()


def verify(reg, digests):
    for tag, dg in digests.items():
        _, h, _ = req("HEAD", "http://%s/v2/mirror/app/manifests/%s" % (reg, tag), None,
                      {"Accept": "application/vnd.oci.image.manifest.v1+json"})
        if h.get("Docker-Content-Digest") != dg:
            raise SystemExit("%s/mirror/app:%s is %s, expected %s" % (reg, tag, h.get("Docker-Content-Digest"), dg))


def cpu(pid):
    with open("/proc/%d/stat" % pid) as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / TICK


def jit_cpu(pid):
    """CPU-seconds of the JVM's JIT compiler threads (C1/C2 CompilerThread*) so far: the warm-up share of cpu(pid)."""
    total = 0
    for t in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, t)) as f:
                raw = f.read()
        except OSError:
            continue
        if "CompilerThre" in raw[raw.index("(") + 1:raw.rindex(")")]:
            parts = raw.rsplit(")", 1)[1].split()
            total += int(parts[11]) + int(parts[12])
    return total / TICK


def setup(name):
    """Makes the work folder and names log lines [NAME]; returns the work folder."""
    global work, _name
    _name = name
    work = tempfile.mkdtemp(prefix=name + ".")
    return work
