#!/usr/bin/env bash
# export-import-bench.sh - Ferry's GET /api/v1/export and POST /api/v1/import versus skopeo copy to and from an
# oci-archive file, on the same image in one run.
#
# Starts a private source docker-registry (loopback, temp storage) and pushes bench/big:v1: 4 distinct random
# gzip'd-tar layers of BIG_MB/4 MiB each (src/bench/load.py image, streamed, never held in memory). Starts Ferry from
# its fast-jar (JAVA_OPTS, default the recommended "-Xmx256m -XX:+UseParallelGC"), warms it up with one untimed
# export + import, then RUNS times:
#   - ferry export   curl -o FILE 'GET /api/v1/export?image=SRC/bench/big:v1&format=oci-archive'
#   - skopeo export  skopeo copy docker://SRC/bench/big:v1 oci-archive:FILE   (fresh HOME / blob-info cache)
#   - ferry import   curl -T FILE 'POST /api/v1/import?destination=DST/bench/big:v1&format=oci-archive' into a
#                    fresh, empty destination registry
#   - skopeo import  skopeo copy oci-archive:FILE docker://DST/bench/big:v1, fresh destination too
# Each result is verified: the archive's manifest (skopeo inspect --raw oci-archive:FILE) and the imported image's
# (skopeo inspect --raw docker://DST/...) must have the source's digest.
# Reported per operation (median of RUNS): wall seconds, CPU seconds (Ferry: utime+stime of the Ferry process from
# /proc; skopeo: getrusage of the skopeo process), and the peak VmRSS of the Ferry process (sampled every 100 ms over
# all its timed runs; goal <= 350 MB). curl's own CPU is not counted for Ferry.
#
# Environment: BIG_MB (default 1024, multiple of 4; keep it at 1 GiB on a small shared machine), RUNS (default 3),
# FERRY_JAR (default target/quarkus-app/quarkus-run.jar, built if missing), JAVA_OPTS, KEEP_LOGS=1.
# Needs: bash, curl, python3, skopeo, docker-registry, java 17+; about 4 x BIG_MB MiB free under TMPDIR.
set -euo pipefail
JAVA_OPTS=${JAVA_OPTS-"-Xmx256m -XX:+UseParallelGC"}
RUNS="${RUNS:-3}"
BIG_MB="${BIG_MB:-1024}"
KEEP_LOGS="${KEEP_LOGS:-0}"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
default_jar="$repo_root/target/quarkus-app/quarkus-run.jar"
FERRY_JAR="${FERRY_JAR:-$default_jar}"
load=(python3 "$here/load.py")

log() { printf '[export-import-bench] %s\n' "$*" >&2; }
fail() { printf '[export-import-bench] ERROR: %s\n' "$*" >&2; exit 1; }

for tool in curl python3 skopeo docker-registry java sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool not found on PATH"
done
[[ "$RUNS" =~ ^[0-9]+$ && "$RUNS" -gt 0 && "$RUNS" -le 20 ]] || fail "RUNS must be 1..20"
[[ "$BIG_MB" =~ ^[0-9]+$ && "$BIG_MB" -ge 4 && $((BIG_MB % 4)) -eq 0 ]] || fail "BIG_MB must be a multiple of 4"

work="$(mktemp -d "${TMPDIR:-/tmp}/ferry-xi-bench.XXXXXX")"
src_pid=""
dst_pid=""
dst_dir=""
ferry_pid=""
rss_pid=""

stop() {
    local pid="$1"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [[ -n "$rss_pid" ]] && touch "$work/rss.stop" 2>/dev/null
    stop "$rss_pid"; stop "$ferry_pid"; stop "$dst_pid"; stop "$src_pid"
    if [[ $rc -ne 0 && -s "$work/ferry.log" ]]; then log "last lines of ferry.log:"; tail -n 20 "$work/ferry.log" >&2; fi
    if [[ "$KEEP_LOGS" == 1 ]]; then
        rm -rf "$work"/src/storage "$dst_dir/storage" "$work"/*.tar 2>/dev/null || true
        log "logs kept in $work"
    else
        rm -rf "$work"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_http() {
    local url="$1" secs="$2" pid="$3" name="$4" i
    for ((i = 0; i < secs * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || fail "$name exited during start-up"
        [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)" == 200 ]] && return 0
        sleep 0.1
    done
    fail "$name not ready at $url after ${secs}s"
}

start_registry() { # start_registry DIR: sets reg_addr, reg_pid
    local dir="$1" port
    port="$("${load[@]}" freeport)"
    mkdir -p "$dir/storage"
    cat >"$dir/config.yml" <<YML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
  secret: ferry-xi-bench-http-secret
YML
    docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
    reg_pid=$!
    reg_addr="127.0.0.1:$port"
    wait_http "http://$reg_addr/v2/" 30 "$reg_pid" "docker-registry ($dir)"
}

dst_n=0
fresh_dest() {
    stop "$dst_pid"
    [[ -n "$dst_dir" ]] && rm -rf "$dst_dir"
    dst_n=$((dst_n + 1))
    dst_dir="$work/dst-$dst_n"
    start_registry "$dst_dir"
    dst_pid=$reg_pid
    dst=$reg_addr
}

# $work/timed.py CMD...: runs CMD, prints "WALL CPU" (seconds; CPU = user+sys of CMD and its children, getrusage)
cat >"$work/timed.py" <<'PY'
import resource, subprocess, sys, time
t0 = time.time()
rc = subprocess.call(sys.argv[1:])
wall = time.time() - t0
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f %.2f" % (wall, r.ru_utime + r.ru_stime))
sys.exit(rc)
PY

digest_of() { # digest_of SKOPEO-REF
    echo "sha256:$(skopeo inspect --raw --tls-verify=false "$1" | sha256sum | awk '{print $1}')"
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
stats="$work/stats.tsv"
: >"$stats"
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$stats"; } # label wall cpu

skopeo_env() {
    local h="$work/skopeo-home"
    rm -rf "$h"; mkdir -p "$h/data" "$h/config" "$h/cache" "$h/run"; chmod 700 "$h/run"
    echo "HOME=$h XDG_DATA_HOME=$h/data XDG_CONFIG_HOME=$h/config XDG_CACHE_HOME=$h/cache XDG_RUNTIME_DIR=$h/run _CONTAINERS_ROOTLESS_UID=65534"
}

# ---------------------------------------------------------------- source image
log "work dir $work"
start_registry "$work/src"
src_pid=$reg_pid
src=$reg_addr
big_digest="$("${load[@]}" image "$src" bench/big v1 4 $(((BIG_MB / 4) << 20)) "$work" 2>>"$work/push.log")" \
    || fail "pushing bench/big failed: $(tail -n 3 "$work/push.log")"
log "pushed bench/big:v1 ($BIG_MB MiB in 4 layers) = $big_digest"

# ---------------------------------------------------------------- Ferry
if [[ ! -f "$FERRY_JAR" ]]; then
    [[ "$FERRY_JAR" == "$default_jar" ]] || fail "FERRY_JAR $FERRY_JAR does not exist"
    log "building Ferry"
    (cd "$repo_root" && mvn -B -ntp -q package -DskipTests) >&2
fi
ferry_port="$("${load[@]}" freeport)"
ferry="http://127.0.0.1:$ferry_port"
mkdir -p "$work/ferry-data"
# shellcheck disable=SC2086
QUARKUS_HTTP_PORT="$ferry_port" FERRY_DATA_DIR="$work/ferry-data" java ${JAVA_OPTS:-} -jar "$FERRY_JAR" >"$work/ferry.log" 2>&1 &
ferry_pid=$!
wait_http "$ferry/q/health/ready" 90 "$ferry_pid" Ferry
rss_idle=$(awk '/^VmRSS:/ {print $2}' "/proc/$ferry_pid/status")

ferry_export() { curl -sS -f -o "$1" "$ferry/api/v1/export?image=docker://$src/bench/big:v1&format=oci-archive&tlsVerify=false"; }
ferry_import() { # FILE DST-REF OUT
    local code
    code=$(curl -sS -X POST -T "$1" -H 'Content-Type: application/x-tar' -o "$3" -w '%{http_code}' \
        "$ferry/api/v1/import?destination=docker://$2&format=oci-archive&destTlsVerify=false")
    [[ "$code" == 200 ]] || fail "import answered $code: $(head -c 600 "$3")"
}

log "warm-up: one untimed export and import"
ferry_export "$work/warm.tar"
fresh_dest
ferry_import "$work/warm.tar" "$dst/bench/warm:v1" "$work/warm.json"
rm -f "$work/warm.tar"

rm -f "$work/rss.stop"
"${load[@]}" rss "$ferry_pid" "$work/rss.stop" 7200 >"$work/rss.peak" &
rss_pid=$!
for ((i = 1; i <= RUNS; i++)); do
    log "run $i/$RUNS: ferry export"
    c0=$(cpu_ticks "$ferry_pid"); t0=$(date +%s.%N)
    ferry_export "$work/ferry.tar"
    t1=$(date +%s.%N); c1=$(cpu_ticks "$ferry_pid")
    [[ "$(digest_of "oci-archive:$work/ferry.tar")" == "$big_digest" ]] || fail "Ferry's export has another digest"
    record "export ferry" "$(python3 -c "print('%.3f' % ($t1 - $t0))")" "$(python3 -c "print('%.2f' % (($c1 - $c0) / $hz))")"

    log "run $i/$RUNS: skopeo export"
    rm -f "$work/skopeo.tar"
    # shellcheck disable=SC2046
    out=$(env $(skopeo_env) python3 "$work/timed.py" skopeo copy -q --src-tls-verify=false "docker://$src/bench/big:v1" \
        "oci-archive:$work/skopeo.tar" 2>>"$work/skopeo.log") || fail "skopeo export failed: $(tail -n 3 "$work/skopeo.log")"
    read -r w c <<<"$out"
    [[ "$(digest_of "oci-archive:$work/skopeo.tar")" == "$big_digest" ]] || fail "skopeo's export has another digest"
    record "export skopeo" "$w" "$c"

    fresh_dest
    log "run $i/$RUNS: ferry import -> $dst"
    c0=$(cpu_ticks "$ferry_pid"); t0=$(date +%s.%N)
    ferry_import "$work/ferry.tar" "$dst/bench/big:v1" "$work/import.$i.json"
    t1=$(date +%s.%N); c1=$(cpu_ticks "$ferry_pid")
    [[ "$(digest_of "docker://$dst/bench/big:v1")" == "$big_digest" ]] || fail "Ferry's import has another digest"
    record "import ferry" "$(python3 -c "print('%.3f' % ($t1 - $t0))")" "$(python3 -c "print('%.2f' % (($c1 - $c0) / $hz))")"

    fresh_dest
    log "run $i/$RUNS: skopeo import -> $dst"
    # shellcheck disable=SC2046
    out=$(env $(skopeo_env) python3 "$work/timed.py" skopeo copy -q --dest-tls-verify=false "oci-archive:$work/skopeo.tar" \
        "docker://$dst/bench/big:v1" 2>>"$work/skopeo.log") || fail "skopeo import failed: $(tail -n 3 "$work/skopeo.log")"
    read -r w c <<<"$out"
    [[ "$(digest_of "docker://$dst/bench/big:v1")" == "$big_digest" ]] || fail "skopeo's import has another digest"
    record "import skopeo" "$w" "$c"
    rm -f "$work/ferry.tar" "$work/skopeo.tar"
done
touch "$work/rss.stop"
wait "$rss_pid"
rss_pid=""
rss_peak=$(cat "$work/rss.peak")

python3 - "$stats" "$BIG_MB" "$RUNS" "$rss_idle" "$rss_peak" "$JAVA_OPTS" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
by = {}
for label, wall, cpu in rows:
    by.setdefault(label, []).append((float(wall), float(cpu)))
med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v), min(w for w, _ in v), max(w for w, _ in v))
       for k, v in by.items()}
print("export/import of a %s MiB image (4 layers), oci-archive, median of %s run(s); JAVA_OPTS=%r" % (sys.argv[2], sys.argv[3], sys.argv[6]))
print("%-15s %9s %9s %9s %9s" % ("operation", "wall s", "min", "max", "CPU s"))
for k in ["export ferry", "export skopeo", "import ferry", "import skopeo"]:
    w, c, lo, hi = med[k]
    print("%-15s %9.2f %9.2f %9.2f %9.2f" % (k, w, lo, hi, c))
for op in ["export", "import"]:
    f, s = med[op + " ferry"], med[op + " skopeo"]
    print("%s: Ferry/skopeo wall %.2fx, CPU %.2fx" % (op, f[0] / s[0], f[1] / s[1] if s[1] else float("nan")))
print("Ferry RSS: idle %d MB, peak %d MB over the timed runs (goal <= 350 MB)" % (int(sys.argv[4]) // 1024, int(sys.argv[5]) // 1024))
PY
