#!/usr/bin/env bash
# inspect-bench.sh - skopeo inspect (one process per call) versus Ferry's POST /api/v1/inspect.
#
# In one run: starts a private anonymous docker-registry (Debian's /usr/bin/docker-registry) on a free
# loopback port, pushes a random OCI image (3 gzip layers) as bench/app under a handful of tags,
# starts Ferry from its fast-jar on a free port, checks that Ferry's Digest equals skopeo's, then times
#   - skopeo inspect --tls-verify=false docker://REG/bench/app:v1: N calls sequentially, then N calls
#     spread over CONCURRENCY concurrent callers;
#   - Ferry POST /api/v1/inspect {"image":"docker://REG/bench/app:v1","tlsVerify":false} with keep-alive
#     connections (one per client thread) after WARMUP requests, at each concurrency in FERRY_CONCURRENCY,
#     each bounded by REQUESTS requests or DURATION seconds, whichever comes first;
# and prints a table (p50, p99, max, calls/s) with the ferry/skopeo ratios (percentiles are nearest-rank:
# with N=30, p99 is the slowest call). Everything it started is
# stopped and its temp dir removed on exit. Needs: bash, curl, python3 (stdlib only), skopeo,
# docker-registry, java 17+ (and mvn only if the jar must be built). Loopback traffic only.
#
# Environment (all optional):
#   N                  skopeo calls per skopeo scenario                         (default 30)
#   CONCURRENCY        concurrent skopeo callers in the concurrent scenario     (default 4)
#   DURATION           max seconds per Ferry scenario                           (default 10)
#   REQUESTS           max requests per Ferry scenario                          (default 2000)
#   WARMUP             Ferry warm-up requests, not timed                        (default 200)
#   FERRY_CONCURRENCY  space-separated Ferry client concurrencies               (default "1 8")
#   FERRY_JAR          Ferry fast-jar                 (default <repo>/target/quarkus-app/quarkus-run.jar;
#                      when it is the default and missing, it is built with mvn -B -ntp -q package -DskipTests)
#   JAVA_OPTS          extra JVM options for Ferry                              (default none)
#   KEEP_LOGS=1        keep the temp dir (registry and Ferry logs) instead of deleting it
#
# Exit status: 0 on success; non-zero if a component fails to start, Ferry's Digest differs from
# skopeo's, or any timed call fails.
set -euo pipefail

N="${N:-30}"
CONCURRENCY="${CONCURRENCY:-4}"
DURATION="${DURATION:-10}"
REQUESTS="${REQUESTS:-2000}"
WARMUP="${WARMUP:-200}"
FERRY_CONCURRENCY="${FERRY_CONCURRENCY:-1 8}"
KEEP_LOGS="${KEEP_LOGS:-0}"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
default_jar="$repo_root/target/quarkus-app/quarkus-run.jar"
FERRY_JAR="${FERRY_JAR:-$default_jar}"
load=(python3 "$here/load.py")

log() { printf '[bench] %s\n' "$*" >&2; }
fail() { printf '[bench] ERROR: %s\n' "$*" >&2; exit 1; }

for tool in curl python3 skopeo docker-registry java; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool not found on PATH"
done
for v in N CONCURRENCY DURATION REQUESTS WARMUP; do
    [[ "${!v}" =~ ^[0-9]+$ && "${!v}" -gt 0 ]] || fail "$v must be a positive integer (got '${!v}')"
done

work="$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench.XXXXXX")"
registry_pid=""
ferry_pid=""

stop() { # stop PID: TERM, wait up to 10 s, then KILL
    local pid="$1"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop "$ferry_pid"
    stop "$registry_pid"
    if [[ "$KEEP_LOGS" == 1 || $rc -ne 0 ]]; then
        if [[ $rc -ne 0 ]]; then
            for f in "$work/registry.log" "$work/ferry.log"; do
                [[ -s "$f" ]] && { log "last lines of $f:"; tail -n 20 "$f" >&2; }
            done
        fi
        [[ "$KEEP_LOGS" == 1 ]] && log "logs kept in $work" || rm -rf "$work"
    else
        rm -rf "$work"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_http() { # wait_http URL SECONDS PID NAME: until URL answers 200, PID is alive, SECONDS pass
    local url="$1" secs="$2" pid="$3" name="$4" i
    for ((i = 0; i < secs * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || fail "$name exited during start-up"
        if [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)" == 200 ]]; then
            return 0
        fi
        sleep 0.1
    done
    fail "$name not ready at $url after ${secs}s"
}

# ---------------------------------------------------------------- 1. registry
reg_port="$("${load[@]}" freeport)"
reg="127.0.0.1:$reg_port"
mkdir -p "$work/storage"
cat >"$work/registry.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/storage
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: $reg
  secret: ferry-bench-http-secret
EOF
log "starting docker-registry on $reg"
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
wait_http "http://$reg/v2/" 30 "$registry_pid" docker-registry

# ---------------------------------------------------------------- 2. test image
image="docker://$reg/bench/app:v1"
pushed_digest="$("${load[@]}" push "$reg" bench/app v1 v2 v3 latest 1.0 1.0.1 stable)"
log "pushed bench/app ($pushed_digest) as v1 v2 v3 latest 1.0 1.0.1 stable"

# ---------------------------------------------------------------- 3. Ferry
if [[ ! -f "$FERRY_JAR" ]]; then
    [[ "$FERRY_JAR" == "$default_jar" ]] || fail "FERRY_JAR $FERRY_JAR does not exist"
    command -v mvn >/dev/null 2>&1 || fail "$FERRY_JAR missing and mvn not found to build it"
    log "building Ferry (mvn -B -ntp -q package -DskipTests) in $repo_root"
    (cd "$repo_root" && mvn -B -ntp -q package -DskipTests) >&2
    [[ -f "$FERRY_JAR" ]] || fail "build did not produce $FERRY_JAR"
fi
ferry_port="$("${load[@]}" freeport)"
ferry="http://127.0.0.1:$ferry_port"
log "starting Ferry ($FERRY_JAR) on port $ferry_port"
# shellcheck disable=SC2086  # JAVA_OPTS is a list of options
QUARKUS_HTTP_PORT="$ferry_port" FERRY_DATA_DIR="$work/ferry-data" java ${JAVA_OPTS:-} -jar "$FERRY_JAR" >"$work/ferry.log" 2>&1 &
ferry_pid=$!
t0=$(date +%s.%N)
wait_http "$ferry/q/health/ready" 60 "$ferry_pid" Ferry
log "Ferry ready in $(python3 -c "print('%.1f' % ($(date +%s.%N) - $t0))") s"

# ---------------------------------------------------------------- 4. correctness check
skopeo_cmd=(skopeo inspect --tls-verify=false "$image")
"${skopeo_cmd[@]}" >"$work/skopeo.json" || fail "skopeo inspect failed"
printf '{"image":"%s","tlsVerify":false}' "$image" >"$work/body.json"
code="$(curl -s -o "$work/ferry.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary @"$work/body.json" "$ferry/api/v1/inspect")"
[[ "$code" == 200 ]] || fail "Ferry answered HTTP $code: $(head -c 500 "$work/ferry.json")"
python3 - "$work/skopeo.json" "$work/ferry.json" "$pushed_digest" <<'EOF'
import json, sys
s, f = (json.load(open(p)) for p in sys.argv[1:3])
pushed = sys.argv[3]
print("[bench] digest: skopeo %s, ferry %s" % (s.get("Digest"), f.get("Digest")), file=sys.stderr)
if s.get("Digest") != f.get("Digest") or s.get("Digest") != pushed:
    print("[bench] ERROR: Digest mismatch (pushed %s)" % pushed, file=sys.stderr)
    sys.exit(1)
# Not fatal: report any other field where Ferry's document differs from skopeo's. RepoTags compare as a
# set (order is the registry's); LayersData is skipped when this skopeo does not print it (skopeo 1.9).
for k in sorted(set(s) | set(f)):
    if k == "LayersData" and k not in s:
        continue
    a, b = s.get(k), f.get(k)
    if k == "RepoTags" and isinstance(a, list) and isinstance(b, list):
        a, b = sorted(a), sorted(b)
    if a != b:
        print("[bench] note: field %s differs: skopeo %s / ferry %s"
              % (k, json.dumps(s.get(k))[:200], json.dumps(f.get(k))[:200]), file=sys.stderr)
EOF

# ---------------------------------------------------------------- 5. measurements
stats="$work/stats.jsonl"
: >"$stats"
log "skopeo: $N sequential calls"
"${load[@]}" skopeo "skopeo inspect, sequential" "$N" 1 "${skopeo_cmd[@]}" >>"$stats"
log "skopeo: $N calls, $CONCURRENCY concurrent callers"
"${load[@]}" skopeo "skopeo inspect, $CONCURRENCY concurrent" "$N" "$CONCURRENCY" "${skopeo_cmd[@]}" >>"$stats"

url="$ferry/api/v1/inspect"
log "Ferry: warm-up, $WARMUP requests"
"${load[@]}" http warmup "$url" "$work/body.json" 4 "$WARMUP" 120 >"$work/warmup.json"
first_ferry=""
last_ferry=""
for c in $FERRY_CONCURRENCY; do
    [[ "$c" =~ ^[0-9]+$ && "$c" -gt 0 ]] || fail "FERRY_CONCURRENCY entries must be positive integers (got '$c')"
    label="ferry POST /api/v1/inspect, c=$c"
    log "Ferry: concurrency $c, up to $REQUESTS requests or ${DURATION}s"
    "${load[@]}" http "$label" "$url" "$work/body.json" "$c" "$REQUESTS" "$DURATION" >>"$stats"
    first_ferry="${first_ferry:-$label}"
    last_ferry="$label"
done

# ---------------------------------------------------------------- 6. report
echo
echo "skopeo $(skopeo --version | awk '{print $3}') vs Ferry, image $image, $(nproc) CPUs"
"${load[@]}" table "skopeo inspect, sequential" "$first_ferry" "$stats"

errors="$(python3 -c 'import json,sys; print(sum(json.loads(l)["errors"] for l in open(sys.argv[1]) if l.strip()))' "$stats")"
[[ "$errors" == 0 ]] || fail "$errors timed calls failed"
