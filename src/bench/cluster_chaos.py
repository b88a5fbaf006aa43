#!/usr/bin/env python3
"""Ferry on several replicas sharing one PostgreSQL, all on loopback: correctness under kill -9, and throughput.

Run through cluster-chaos.sh (it builds the jar when missing). Starts its own PostgreSQL cluster (initdb in a
temporary folder, as the postgres user when run as root), two docker-registry processes (source, destination
with an access log, to count manifest PUTs) and Ferry replicas (FERRY_STORE=postgresql). Phases:

  1. throughput: JOBS copy jobs of distinct small images, submitted round-robin, with 1, 2 and 3 replicas;
     every job must succeed exactly once: one run each in job_attempts, the destination digest equal to the
     source's, exactly one manifest PUT per destination in the registry's access log.
  2. SSE: a job accepted by replica 1 is followed live on replica 2 from its first event to its last; a
     reconnect to replica 3 with Last-Event-ID from the middle gets exactly the rest.
  3. chaos: KILLS times, kill -9 a replica that is running copies at that moment, restart it, go on; at the
     end: 0 jobs lost (all succeeded, digests equal), 0 duplicate manifest pushes, no job waited longer than
     lease + 5 s after its owner was killed before another replica claimed it, no two runs of a job at once
     (each takeover's claim came after its previous owner was dead).

  4. big blob: one image with a BIG_MB layer, pushed in chunks of CHUNK_MB (FERRY_TRANSFER_* below); BIG_KILLS
     times, kill -9 the replica running it once its upload session is recorded past the previous kill (at a
     random moment within a chunk, not at a boundary), restart it; the destination is reached through a
     counting proxy, twice: one that buffers request bodies (as nginx does by default: a cut-off chunk never
     reaches the registry) and one that streams them through (a cut-off chunk reaches distribution, which then
     invalidates the session). Reports the bytes re-sent per kill (bytes uploaded in all minus the blob's size,
     divided by the kills) and what the resumed events said.

Environment: JOBS (100), KILLS (20), CHAOS_LAYER_KB (4096), LAYER_KB (64), LEASE_S (5), BIG_MB (96), CHUNK_MB (8),
BIG_KILLS (3), PHASES (throughput,sse,chaos,big: the ones to run), FERRY_JAR, JAVA_OPTS, KEEP=1 keeps the work
folder. Prints the figures and writes them to WORK/results.json.
"""
import hashlib
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

JOBS = int(os.environ.get("JOBS", "100"))
KILLS = int(os.environ.get("KILLS", "20"))
LAYER_KB = int(os.environ.get("LAYER_KB", "64"))
CHAOS_LAYER_KB = int(os.environ.get("CHAOS_LAYER_KB", "2048"))
LEASE_S = int(os.environ.get("LEASE_S", "5"))
JAR = os.environ["FERRY_JAR"]
JAVA_OPTS = os.environ.get("JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1").split()
KEEP = os.environ.get("KEEP") == "1"
BIG_MB = int(os.environ.get("BIG_MB", "96"))
CHUNK_MB = int(os.environ.get("CHUNK_MB", "8"))
BIG_KILLS = int(os.environ.get("BIG_KILLS", "3"))
PHASES = set(os.environ.get("PHASES", "throughput,sse,chaos,big").split(","))

work = tempfile.mkdtemp(prefix="cluster-chaos.")
procs = []


def log(msg):
    print("[cluster-chaos] " + msg, file=sys.stderr, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def run(cmd, **kw):
    subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)


def pg_bin():
    for d in ["/usr/lib/postgresql/%d/bin" % v for v in range(17, 12, -1)] + ["/usr/local/bin", "/usr/bin"]:
        if os.access(os.path.join(d, "initdb"), os.X_OK) and os.access(os.path.join(d, "pg_ctl"), os.X_OK):
            return d
    raise SystemExit("PostgreSQL not installed (apt-get install postgresql)")


PG = {}


def start_postgres():
    b = pg_bin()
    d = os.path.join(work, "pg")
    os.makedirs(d)
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        run(["chown", "-R", "postgres", d])
        os.chmod(work, 0o755)
    port = free_port()
    run(as_pg + [b + "/initdb", "-D", d + "/data", "-U", "postgres", "--auth=trust", "--no-sync"])
    run(as_pg + [b + "/pg_ctl", "-D", d + "/data", "-l", d + "/log", "-w", "-o",
                 "-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200" % (port, d), "start"])
    PG.update(bin=b, dir=d, port=port, as_pg=as_pg)
    psql("postgres", "CREATE DATABASE ferry")
    return port


def psql(db, sql):
    out = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(PG["port"]), "-U", "postgres", "-d", db, "-At", "-F", "|", "-c", sql],
                         check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True).stdout
    return [line.split("|") for line in out.splitlines() if line]


def stop_postgres():
    if PG:
        subprocess.run(PG["as_pg"] + [PG["bin"] + "/pg_ctl", "-D", PG["dir"] + "/data", "-m", "immediate", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_registry(name, access_log=False):
    port = free_port()
    d = os.path.join(work, name)
    os.makedirs(d + "/storage")
    with open(d + "/config.yml", "w") as f:
        f.write("version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: %s\nstorage:\n  filesystem:\n"
                "    rootdirectory: %s/storage\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:%d\n"
                % ("false" if not access_log else "false", d, port))
    out = open(d + "/log", "w")
    p = subprocess.Popen(["docker-registry", "serve", d + "/config.yml"], stdout=out, stderr=subprocess.STDOUT)
    procs.append(p)
    for _ in range(200):
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/v2/" % port, timeout=1)
            break
        except Exception:
            time.sleep(0.05)
    return "127.0.0.1:%d" % port, d + "/log"


def req(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def push_image(reg, repo, layer_bytes, tag="v1"):
    """A config and one layer (random bytes, distinct per image), pushed byte-exact; returns the manifest digest."""
    def blob(data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        st, h, _ = req("POST", "http://%s/v2/%s/blobs/uploads/" % (reg, repo))
        loc = h.get("Location")
        if not loc.startswith("http"):
            loc = "http://" + reg + loc
        st, _, b = req("PUT", loc + ("&" if "?" in loc else "?") + "digest=" + digest, data,
                        {"Content-Type": "application/octet-stream"})
        assert st == 201, (st, b)
        return {"mediaType": None, "digest": digest, "size": len(data)}
    layer = os.urandom(layer_bytes)
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]}}).encode()
    c = blob(cfg)
    c["mediaType"] = "application/vnd.oci.image.config.v1+json"
    l = blob(layer)
    l["mediaType"] = "application/vnd.oci.image.layer.v1.tar"
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": c, "layers": [l]}).encode()
    st, _, b = req("PUT", "http://%s/v2/%s/manifests/%s" % (reg, repo, tag), manifest,
                    {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    assert st == 201, (st, b)
    return "sha256:" + hashlib.sha256(manifest).hexdigest()


def dest_digest(reg, repo, tag="v1"):
    st, h, _ = req("HEAD", "http://%s/v2/%s/manifests/%s" % (reg, repo, tag), None,
                    {"Accept": "application/vnd.oci.image.manifest.v1+json"})
    return h.get("Docker-Content-Digest") if st == 200 else None


class Replica:
    def __init__(self, n):
        self.n = n
        self.port = None
        self.proc = None
        self.starts = 0
        self.ready = False

    def start(self, wait=True):
        self.ready = False
        self.port = free_port()
        self.starts += 1
        env = dict(os.environ, QUARKUS_HTTP_PORT=str(self.port), FERRY_DATA_DIR=os.path.join(work, "ferry-%d" % self.n),
                   FERRY_STORE="postgresql", FERRY_STORE_JDBC_URL="jdbc:postgresql://127.0.0.1:%d/ferry" % PG["port"],
                   FERRY_STORE_USERNAME="postgres", FERRY_STORE_LEASE="%ds" % LEASE_S, FERRY_STORE_HEARTBEAT="1s",
                   FERRY_STORE_POLL_INTERVAL="250ms", FERRY_STORE_SHUTDOWN_GRACE="2s",
                   FERRY_HTTP_TLS_HANDSHAKE_TIMEOUT="500ms",
                   FERRY_TRANSFER_CHUNKED_UPLOAD_MIN_SIZE=str(max(16, CHUNK_MB * 2) * 1024 * 1024),
                   FERRY_TRANSFER_UPLOAD_CHUNK_SIZE=str(CHUNK_MB * 1024 * 1024))
        out = open(os.path.join(work, "ferry-%d.log" % self.n), "a")
        self.proc = subprocess.Popen(["java"] + JAVA_OPTS + ["-jar", JAR], env=env, stdout=out, stderr=subprocess.STDOUT)
        procs.append(self.proc)
        if wait:
            self.wait_ready()

    def wait_ready(self):
        for _ in range(1200):
            try:
                if urllib.request.urlopen(self.url("/q/health/ready"), timeout=1).status == 200:
                    self.ready = True
                    return
            except Exception:
                pass
            if self.proc.poll() is not None:
                raise SystemExit("replica %d exited; see %s" % (self.n, work))
            time.sleep(0.1)
        raise SystemExit("replica %d not ready" % self.n)

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        self.ready = False
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill9()


def submit(replica, src, dst):
    body = json.dumps({"source": src, "destination": dst, "srcTlsVerify": False, "destTlsVerify": False}).encode()
    for attempt in range(50):
        try:
            st, _, b = req("POST", replica.url("/api/v1/copy"), body, {"Content-Type": "application/json"})
            if st == 202 or st == 200:
                return json.loads(b)["id"]
        except Exception:
            pass
        time.sleep(0.1)
    raise SystemExit("could not submit to replica %d" % replica.n)


def states(ids):
    if not ids:
        return {}
    rows = psql("ferry", "SELECT id, state FROM jobs WHERE id IN (%s)" % ",".join("'%s'" % i for i in ids))
    return dict((r[0], r[1]) for r in rows)


def wait_all(ids, timeout):
    t0 = time.time()
    while time.time() - t0 < timeout:
        s = states(ids)
        if all(s.get(i) in ("succeeded", "failed", "cancelled") for i in ids):
            return s
        time.sleep(0.2)
    return states(ids)


def cpu_seconds(pids):
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                parts = f.read().rsplit(")", 1)[1].split()
            total += (int(parts[11]) + int(parts[12])) / tick
        except FileNotFoundError:
            pass
    return total


def manifest_puts(access_log, prefix):
    counts = {}
    with open(access_log, errors="replace") as f:
        for line in f:
            if '"PUT /v2/' + prefix in line and "/manifests/" in line:
                repo = line.split('"PUT /v2/', 1)[1].split("/manifests/")[0]
                counts[repo] = counts.get(repo, 0) + 1
    return counts


def sse(url, last_id=None, timeout=120):
    host, port = url.split("//")[1].split("/")[0].split(":")
    path = "/" + url.split("//")[1].split("/", 1)[1]
    c = http.client.HTTPConnection(host, int(port), timeout=timeout)
    headers = {"Accept": "text/event-stream"}
    if last_id is not None:
        headers["Last-Event-ID"] = str(last_id)
    c.request("GET", path, headers=headers)
    r = c.getresponse()
    events, ev = [], {}
    for raw in r:
        line = raw.decode().rstrip("\r\n")
        if not line:
            if "data" in ev:
                ev["receivedAt"] = time.time()
                events.append(ev)
            ev = {}
            continue
        k, _, v = line.partition(":")
        ev[k] = v[1:] if v.startswith(" ") else v
    return r.status, events


class CountingProxy:
    """A proxy to one registry that counts the bytes of blob upload bodies (PATCH/PUT to an upload session) it
    forwards. buffer=True reads each body whole first (nginx's proxy_request_buffering on): a body cut off by a killed
    client is dropped. buffer=False streams it through as it arrives: the registry sees the partial body too."""

    def __init__(self, target, buffer):
        import http.server
        import socketserver
        self.target, self.buffer, self.upload_bytes = target, buffer, 0
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def handle_one(self):
                length = int(self.headers.get("Content-Length") or 0)
                counted = self.command in ("PATCH", "PUT") and "/blobs/uploads/" in self.path
                up = http.client.HTTPConnection(*proxy.target.split(":"), timeout=120)
                up.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for k, v in self.headers.items():
                    if k.lower() not in ("connection", "keep-alive", "transfer-encoding"):
                        up.putheader(k, v.replace(proxy.host, proxy.target) if k.lower() == "host" else v)
                up.endheaders()
                body = b""
                left = length
                try:
                    while left > 0:
                        part = self.rfile.read(min(left, 1 << 20))
                        if not part:
                            raise ConnectionError("client went away mid-body")
                        left -= len(part)
                        if proxy.buffer:
                            body += part
                        else:
                            up.send(part)
                            if counted:
                                with proxy.lock:
                                    proxy.upload_bytes += len(part)
                except Exception:
                    up.close()  # streaming: the registry has seen what came; buffering: it saw nothing
                    self.close_connection = True
                    return
                if proxy.buffer and body:
                    up.send(body)
                    if counted:
                        with proxy.lock:
                            proxy.upload_bytes += len(body)
                r = up.getresponse()
                data = r.read()
                self.send_response(r.status)
                for k, v in r.getheaders():
                    if k.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length"):
                        self.send_header(k, v.replace(proxy.target, proxy.host))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                up.close()

            do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_one

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.host = "127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def big_blob_phase(src, dst, replicas, buffer):
    """One job copying a BIG_MB blob; BIG_KILLS kill -9 of its replica at a random moment within a chunk."""
    proxy = CountingProxy(dst, buffer)
    repo = "big/app-%s" % ("buffered" if buffer else "streamed")
    size = BIG_MB * 1024 * 1024
    digest = push_image(src, repo, size)
    for r in replicas:
        if not r.alive():
            r.start()
    jid = submit(replicas[0], "%s/%s:v1" % (src, repo), "%s/%s:v1" % (proxy.host, repo))
    kills = []
    last_offset = 0
    deadline = time.time() + 900
    while len(kills) < BIG_KILLS and time.time() < deadline:
        rows = psql("ferry", "SELECT upload_offset FROM upload_sessions WHERE job_id = '%s'" % jid)
        owner = psql("ferry", "SELECT owner, state FROM jobs WHERE id = '%s'" % jid)[0]
        if owner[1] != "running":
            if owner[1] in ("succeeded", "failed", "cancelled"):
                break
            time.sleep(0.1)
            continue
        offset = int(rows[0][0]) if rows else 0
        if offset <= last_offset:
            time.sleep(0.05)
            continue
        # inside the next chunk: a random part of the time a chunk takes
        time.sleep(random.uniform(0.05, 0.6))
        victim = None
        for r in replicas:
            if r.alive() and r.ready:
                with open(os.path.join(work, "ferry-%d.log" % r.n), errors="replace") as f:
                    lines = [l for l in f if "job store: PostgreSQL, replica " in l]
                if lines and lines[-1].rsplit("replica ", 1)[1].strip() == owner[0]:
                    victim = r
        if victim is None:
            time.sleep(0.1)
            continue
        victim.kill9()
        kills.append({"offsetRecorded": offset, "uploadedSoFar": proxy.upload_bytes})
        last_offset = offset
        log("big blob (%s proxy): kill -9 #%d of replica %d with %d bytes recorded, %d uploaded so far"
            % ("buffering" if buffer else "streaming", len(kills), victim.n, offset, proxy.upload_bytes))
        victim.start(wait=False)
        victim.wait_ready()
    s = wait_all([jid], 900)
    time.sleep(0.5)
    events = psql("ferry", "SELECT data FROM job_events WHERE job_id = '%s' AND kind = 'blob' ORDER BY seq" % jid)
    resumed = [json.loads(e[0]) for e in events if '"resumed"' in e[0]]
    uploaded = proxy.upload_bytes
    proxy.close()
    layer_resent = uploaded - size - 0  # the config blob is under 1 KiB: counted in, negligible
    return {"proxy": "buffering" if buffer else "streaming", "blobBytes": size, "chunkBytes": CHUNK_MB * 1024 * 1024,
            "kills": len(kills), "state": s.get(jid), "digestEqual": dest_digest(dst, repo) == digest,
            "bytesUploadedInAll": uploaded, "bytesResent": layer_resent,
            "bytesResentPerKill": round(layer_resent / len(kills)) if kills else None,
            "resumed": [{"bytesKept": r.get("bytesKept"), "recordedOffset": r.get("recordedOffset"),
                         "sessionLost": r.get("sessionLost")} for r in resumed]}


def main():
    results = {}
    start_postgres()
    src, _ = start_registry("src")
    dst, dst_log = start_registry("dst", access_log=True)
    log("postgresql on %d, source %s, destination %s" % (PG["port"], src, dst))

    replicas = [Replica(1), Replica(2), Replica(3)]
    if "big" in PHASES and PHASES == {"big"}:
        results["bigBlob"] = [big_blob_phase(src, dst, replicas, True), big_blob_phase(src, dst, replicas, False)]
        log("big blob: %s" % json.dumps(results["bigBlob"]))
        with open(os.path.join(work, "results.json"), "w") as f:
            json.dump(results, f, indent=2)
        print(json.dumps(results, indent=2))
        return

    n_images = JOBS
    digests = {}
    for i in range(n_images):
        digests["small/img-%d" % i] = push_image(src, "small/img-%d" % i, LAYER_KB * 1024)
    log("pushed %d distinct images of one %d KiB layer" % (n_images, LAYER_KB))

    # ---- phase 1: exactly once, and throughput with 1, 2, 3 replicas ----
    curve = {}
    for count in (1, 2, 3):
        for r in replicas[:count]:
            if not r.alive():
                r.start()
        live = replicas[:count]
        prefix = "p%d" % count
        # warm-up: a few untimed jobs so the JITs are not measured cold
        warm = [submit(live[i % count], "%s/small/img-%d:v1" % (src, i), "%s/warm%d/img-%d:v1" % (dst, count, i)) for i in range(6)]
        wait_all(warm, 120)
        cpu0 = cpu_seconds([r.proc.pid for r in live])
        t0 = time.time()
        ids = [submit(live[i % count], "%s/small/img-%d:v1" % (src, i), "%s/%s/small/img-%d:v1" % (dst, prefix, i)) for i in range(JOBS)]
        s = wait_all(ids, 600)
        elapsed = time.time() - t0
        cpu = cpu_seconds([r.proc.pid for r in live]) - cpu0
        ok = sum(1 for i in ids if s.get(i) == "succeeded")
        digest_ok = sum(1 for i in range(JOBS) if dest_digest(dst, "%s/small/img-%d" % (prefix, i)) == digests["small/img-%d" % i])
        runs = psql("ferry", "SELECT job_id, COUNT(*), MIN(owner), MAX(owner), MIN(outcome) FROM job_attempts WHERE job_id IN (%s) GROUP BY job_id"
                    % ",".join("'%s'" % i for i in ids))
        one_run = sum(1 for r in runs if r[1] == "1" and r[4] == "succeeded")
        owners = {}
        for r in runs:
            owners[r[2]] = owners.get(r[2], 0) + 1
        time.sleep(0.5)
        puts = manifest_puts(dst_log, prefix + "/")
        curve[count] = {"jobs": JOBS, "succeeded": ok, "digestsEqual": digest_ok, "exactlyOneRun": one_run,
                        "manifestPuts": sum(puts.values()), "reposWithOnePut": sum(1 for v in puts.values() if v == 1),
                        "seconds": round(elapsed, 2), "jobsPerSecond": round(JOBS / elapsed, 2),
                        "ferryCpuSeconds": round(cpu, 2), "runsPerOwner": sorted(owners.values())}
        log("%d replica(s): %s" % (count, json.dumps(curve[count])))
    results["throughput"] = curve

    # ---- phase 2: SSE across replicas ----
    big = push_image(src, "sse/app", 8 * 1024 * 1024)
    jid = submit(replicas[0], "%s/sse/app:v1" % src, "%s/sse/app:v1" % dst)
    st, followed = sse(replicas[1].url("/api/v1/jobs/%s/events" % jid))
    ids_seq = [int(e["id"]) for e in followed]
    import datetime
    finished = datetime.datetime.fromisoformat(json.loads(followed[-1]["data"])["finishedAt"].replace("Z", "+00:00")).timestamp()
    follow_latency = followed[-1]["receivedAt"] - finished
    first_state = json.loads(followed[0]["data"]).get("state")
    last_state = json.loads(followed[-1]["data"]).get("state")
    mid = ids_seq[len(ids_seq) // 2]
    st2, replay = sse(replicas[2].url("/api/v1/jobs/%s/events" % jid), last_id=mid)
    owner = psql("ferry", "SELECT owner FROM jobs WHERE id = '%s'" % jid)[0][0]
    results["sse"] = {"acceptedBy": "replica-1", "runBy": owner, "followedOn": "replica-2", "events": len(followed),
                      "first": first_state, "last": last_state, "contiguousIds": ids_seq == list(range(1, len(ids_seq) + 1)),
                      "replayOnReplica3FromId": mid,
                      "replayMatches": [dict((k, v) for k, v in e.items() if k != "receivedAt") for e in replay[1:]]
                      == [dict((k, v) for k, v in e.items() if k != "receivedAt") for e in followed[ids_seq.index(mid) + 1:]],
                      "terminalEventSeenOnOtherReplicaAfterSeconds": round(follow_latency, 3),
                      "digestEqual": dest_digest(dst, "sse/app") == big}
    log("sse: %s" % json.dumps(results["sse"]))

    # ---- phase 3: chaos ----
    chaos_n = max(JOBS, KILLS * 10)
    limit = chaos_n * 3
    cdig = {}
    for i in range(chaos_n):
        cdig[i] = push_image(src, "chaos/img-%d" % i, CHAOS_LAYER_KB * 1024)
    log("pushed %d chaos images of %d KiB" % (chaos_n, CHAOS_LAYER_KB))
    ids, kills = [], []
    submitted = 0

    def submit_some(k):
        nonlocal submitted
        live = [r for r in replicas if r.alive() and r.ready]
        for _ in range(k):
            if submitted >= limit:
                return
            r = live[submitted % len(live)]
            ids.append(submit(r, "%s/chaos/img-%d:v1" % (src, submitted % chaos_n), "%s/c/chaos/j-%d:v1" % (dst, submitted)))
            submitted += 1

    submit_some(15)
    pid_of = {}
    while len(kills) < KILLS:
        # who runs copies right now?
        rows = psql("ferry", "SELECT owner, COUNT(*) FROM jobs WHERE state = 'running' AND lease_until > now() GROUP BY owner")
        busy = dict((r[0], int(r[1])) for r in rows)
        victims = []
        for r in replicas:
            if not r.alive() or not r.ready:
                continue
            rid = pid_of.get(r.proc.pid)
            if rid is None:
                # map replica process -> its replica id through the log line Ferry prints at start
                with open(os.path.join(work, "ferry-%d.log" % r.n), errors="replace") as f:
                    lines = [l for l in f if "job store: PostgreSQL, replica " in l]
                if lines:
                    rid = lines[-1].rsplit("replica ", 1)[1].strip()
                    pid_of[r.proc.pid] = rid
            if rid and busy.get(rid, 0) > 0:
                victims.append((r, rid))
        if not victims:
            if submitted >= limit and all(v in ("succeeded", "failed", "cancelled") for v in states(ids).values()):
                log("ran out of work after %d kills" % len(kills))
                break
            submit_some(6)
            time.sleep(0.3)
            continue
        r, rid = random.choice(victims)
        running = busy[rid]
        t = time.time()
        r.kill9()
        kills.append({"replica": r.n, "replicaId": rid, "at": t, "runningJobs": running})
        log("kill -9 #%d: replica %d (%s) with %d running copies" % (len(kills), r.n, rid, running))
        r.start(wait=False)
        submit_some(4)
        r.wait_ready()
    s = wait_all(ids, 900)
    lost = [i for i in ids if s.get(i) != "succeeded"]
    digest_bad = [i for i in range(len(ids)) if dest_digest(dst, "c/chaos/j-%d" % i) != cdig[i % chaos_n]]
    time.sleep(0.5)
    puts = manifest_puts(dst_log, "c/")
    dup = dict((k, v) for k, v in puts.items() if v != 1)
    # takeovers: every run whose owner was killed, and how long until the next run claimed the job
    rows = psql("ferry", "SELECT job_id, attempt, owner, extract(epoch from claimed_at), extract(epoch from ended_at), outcome "
                "FROM job_attempts WHERE job_id IN (%s) ORDER BY job_id, attempt" % ",".join("'%s'" % i for i in ids))
    by_job = {}
    for r in rows:
        by_job.setdefault(r[0], []).append(r)
    kill_at = dict((k["replicaId"], k["at"]) for k in kills)
    waits, overlaps, takeovers = [], 0, 0
    for job, runs in by_job.items():
        for a, b in zip(runs, runs[1:]):
            if a[5] == "lease-expired":
                takeovers += 1
                k = kill_at.get(a[2])
                if k is None:
                    continue
                waits.append(float(b[3]) - k)
                if float(b[3]) < k:
                    overlaps += 1
    attempts_hist = {}
    for runs in by_job.values():
        attempts_hist[len(runs)] = attempts_hist.get(len(runs), 0) + 1
    results["chaos"] = {"jobs": len(ids), "distinctImages": chaos_n, "layerKiB": CHAOS_LAYER_KB, "kills": len(kills), "runningAtKill": [k["runningJobs"] for k in kills],
                        "lost": len(lost), "digestMismatches": len(digest_bad), "duplicateManifestPuts": len(dup),
                        "takeovers": takeovers, "maxSecondsFromKillToReclaim": round(max(waits), 2) if waits else None,
                        "leasePlus5": LEASE_S + 5, "stuckLongerThanLeasePlus5": sum(1 for w in waits if w > LEASE_S + 5),
                        "claimsBeforeOwnerDied": overlaps, "jobsByNumberOfRuns": attempts_hist}
    log("chaos: %s" % json.dumps(results["chaos"]))
    if "big" in PHASES:
        results["bigBlob"] = [big_blob_phase(src, dst, replicas, True), big_blob_phase(src, dst, replicas, False)]
        log("big blob: %s" % json.dumps(results["bigBlob"]))
    with open(os.path.join(work, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    try:
        main()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        stop_postgres()
        if KEEP:
            log("work folder kept: " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
