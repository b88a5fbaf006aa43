#!/usr/bin/env bash
# copy-bench.sh - Ferry's POST /api/v1/copy versus skopeo copy and a plain curl pipe, registry to registry.
#
# In one run: starts a private anonymous source docker-registry (Debian's /usr/bin/docker-registry, filesystem
# storage in a temp dir, loopback only) and pushes, byte-exact (monolithic POST+PUT, streamed from files of
# `head -c N /dev/urandom` wrapped as gzip'd tar):
#   bench/big:v1    4 layers of BIG_MB/4 MiB each (default 1 GiB in all)
#   bench/many:v1   20 layers x 10 MiB
#   bench/multi:v1  OCI index of linux/amd64, linux/arm64/v8, linux/arm/v7, each 2 layers x 8 MiB
# then starts Ferry from its fast-jar (JVM heap defaults, fresh FERRY_DATA_DIR), makes one untimed warm-up
# copy (WARMUP of them for bench/many), and times each scenario RUNS times (the table shows the median, min and max):
#   - ferry copy big / many / multi (all: true)      POST /api/v1/copy with Prefer: wait=600 (polling
#                                                    GET /api/v1/jobs/{id} if it still answers 202), into a
#                                                    fresh empty destination registry (new process, new port,
#                                                    empty storage) per run;
#   - skopeo copy big / many / multi (--all)         /usr/bin/skopeo copy --src-tls-verify=false
#                                                    --dest-tls-verify=false, fresh destination per run, with
#                                                    a fresh HOME/XDG dirs and blob-info cache per run (we run as
#                                                    root, whose cache is /var/lib/containers/cache: the script
#                                                    sets _CONTAINERS_ROOTLESS_UID so skopeo uses the temp
#                                                    XDG_DATA_HOME instead, and never touches the system cache);
#   - curl GET|PUT big                               the lower bound for moving bytes: GET the manifest, then
#                                                    for every blob (config + 4 layers, all in parallel) POST an
#                                                    upload session and pipe `curl GET blob | curl -T - PUT
#                                                    LOCATION&digest=` (streaming, chunked upload; `--data-binary
#                                                    @-` would read each layer into memory before sending), then
#                                                    PUT the manifest; fresh destination per run;
#   - ferry no-op copy big                           into the destination of the last ferry big run, which has
#                                                    everything already (POST to the 200 answer);
#   - ferry same-registry copy big                   SRC/bench/big:v1 -> SRC/bench/big-copy-N:v1 (a new
#                                                    repository per run); the job's progress.bytesDone must be 0
#                                                    (every blob mounted);
#   - ferry 20 concurrent copies of many             20 jobs submitted at once (20 threads, each answered 202)
#                                                    into 20 repositories of one fresh destination; wall time
#                                                    until all have ended (Ferry runs ferry.jobs.max-running = 4
#                                                    at a time by default; the rest queue).
# Ferry's VmRSS is sampled every 100 ms during the ferry big runs (peak reported) and once before them
# (baseline); its CPU time (utime+stime from /proc) per big copy is reported too.
# Every Ferry copy (and every skopeo and curl copy) is verified: sha256 of `skopeo inspect --raw` of the
# destination must equal the source digest (and Ferry's result.digest must too).
# Prints a table: median seconds, MB/s (10^6 bytes of blobs moved per second) where it applies, and the
# Ferry/skopeo and Ferry/curl time ratios (> 1: Ferry is slower). Everything it started is stopped and its temp
# dir removed on exit. Needs: bash, curl, python3 (stdlib only), skopeo, docker-registry, java 17+ (mvn only if
# the jar must be built); about 2.5 x BIG_MB MiB of free space under TMPDIR. Loopback traffic only.
#
# Environment (all optional):
#   RUNS        timed runs per scenario; the table shows the median                      (default 3)
#   BIG_MB      total size of bench/big in MiB, split over 4 layers (multiple of 4)      (default 1024)
#   FERRY_JAR   Ferry fast-jar   (default <repo>/target/quarkus-app/quarkus-run.jar; when it is the default
#               and missing, it is built with mvn -B -ntp -q package -DskipTests)
#   JAVA_OPTS   JVM options for Ferry (default: the recommended "-Xmx256m -XX:+UseParallelGC", as in the
#               README and Dockerfile; JAVA_OPTS="" runs on the JVM's own defaults, which let the heap
#               grow to a quarter of RAM and so RSS to ~500 MB during a 1 GiB copy)
#   ONLY=many   only the 20 x 10 MiB case, Ferry then skopeo (bench/big and bench/multi are not even pushed), with
#               CPU seconds per copy next to the wall time (Ferry: utime+stime from /proc; skopeo: getrusage)
#   WARMUP      untimed warm-up copies of bench/many, each into a fresh destination, before anything is timed
#               (default 1). A service that has run for a while has its streaming path compiled; one copy
#               leaves most of it to the JIT (its CPU per copy keeps falling over the first ~30 copies), so
#               WARMUP=30 measures a warm replica and WARMUP=1 one that has just started. Every warm-up copy's
#               CPU seconds are printed as the warm-up curve.
#   KEEP_LOGS=1 keep the temp dir (registry, Ferry and skopeo logs, job JSON) instead of deleting it
#
# Exit status: 0 on success; non-zero if a component fails to start, a copy fails, a copied digest differs
# from the source's, or the same-registry copy moved bytes instead of mounting.
set -euo pipefail
ONLY=${ONLY:-}
[[ -z "$ONLY" || "$ONLY" == many ]] || { echo "ONLY must be empty or many" >&2; exit 2; }
JAVA_OPTS=${JAVA_OPTS-"-Xmx256m -XX:+UseParallelGC"}

RUNS="${RUNS:-3}"
BIG_MB="${BIG_MB:-1024}"
KEEP_LOGS="${KEEP_LOGS:-0}"
WARMUP="${WARMUP:-1}"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
default_jar="$repo_root/target/quarkus-app/quarkus-run.jar"
FERRY_JAR="${FERRY_JAR:-$default_jar}"
load=(python3 "$here/load.py")

log() { printf '[copy-bench] %s\n' "$*" >&2; }
fail() { printf '[copy-bench] ERROR: %s\n' "$*" >&2; exit 1; }

for tool in curl python3 skopeo docker-registry java sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool not found on PATH"
done
[[ "$RUNS" =~ ^[0-9]+$ && "$RUNS" -gt 0 && "$RUNS" -le 50 ]] || fail "RUNS must be 1..50 (got '$RUNS')"
[[ "$BIG_MB" =~ ^[0-9]+$ && "$BIG_MB" -ge 4 && $((BIG_MB % 4)) -eq 0 ]] \
    || fail "BIG_MB must be a multiple of 4, at least 4 (got '$BIG_MB')"
[[ "$WARMUP" =~ ^[0-9]+$ && "$WARMUP" -ge 1 && "$WARMUP" -le 500 ]] || fail "WARMUP must be 1..500 (got '$WARMUP')"

work="$(mktemp -d "${TMPDIR:-/tmp}/ferry-copy-bench.XXXXXX")"
src_pid=""
dst_pid=""
dst_dir=""
ferry_pid=""
rss_pid=""
bg_pids=()

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
    local rc=$? p
    trap - EXIT INT TERM
    [[ -n "$rss_pid" ]] && touch "$work/rss.stop" 2>/dev/null
    for p in "$rss_pid" "${bg_pids[@]}"; do stop "$p"; done
    stop "$ferry_pid"
    stop "$dst_pid"
    stop "$src_pid"
    if [[ $rc -ne 0 ]]; then
        for f in "$work"/src/registry.log "$dst_dir/registry.log" "$work/ferry.log"; do
            [[ -s "$f" ]] && { log "last lines of $f:"; tail -n 20 "$f" >&2; }
        done
    fi
    if [[ "$KEEP_LOGS" == 1 ]]; then
        rm -rf "$work"/src/storage "$dst_dir/storage" "$work"/*.tmp 2>/dev/null || true
        log "logs kept in $work (registry storage removed)"
    else
        rm -rf "$work"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print('%.3f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }
jget() { # jget FILE PYEXPR: evaluate PYEXPR with d = the JSON document in FILE
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}

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

# start_registry DIR: a docker-registry with storage under DIR on a free port; sets reg_addr and reg_pid
start_registry() {
    local dir="$1" port
    port="$("${load[@]}" freeport)"
    mkdir -p "$dir/storage"
    cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
  secret: ferry-copy-bench-http-secret
EOF
    docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
    reg_pid=$!
    reg_addr="127.0.0.1:$port"
    wait_http "http://$reg_addr/v2/" 30 "$reg_pid" "docker-registry ($dir)"
}

dst_n=0
fresh_dest() { # stop and delete the previous destination registry; start an empty one; sets dst
    stop "$dst_pid"
    dst_pid=""
    if [[ -n "$dst_dir" ]]; then
        if [[ "$KEEP_LOGS" == 1 ]]; then rm -rf "$dst_dir/storage"; else rm -rf "$dst_dir"; fi
    fi
    dst_n=$((dst_n + 1))
    dst_dir="$work/dst-$dst_n"
    start_registry "$dst_dir"
    dst_pid=$reg_pid
    dst=$reg_addr
}

stats="$work/stats.tsv"
: >"$stats"
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$stats"; }
problems=()

verify() { # verify REF DIGEST [WHAT]: sha256 of the raw manifest at docker://REF must be DIGEST
    local ref="$1" want="$2" got
    got="sha256:$(skopeo inspect --raw --tls-verify=false "docker://$ref" | sha256sum | awk '{print $1}')" \
        || fail "skopeo inspect --raw docker://$ref failed"
    [[ "$got" == "$want" ]] || fail "${3:-copy}: docker://$ref has digest $got, the source has $want"
}

ferry_copy() { # ferry_copy SRC DST ALL OUTFILE: one job via Prefer: wait; checks result.digest
    local out="$4"
    "${load[@]}" ferrycopy "$ferry" "docker://$1" "docker://$2" "$3" 600 >"$out" \
        || fail "Ferry copy $1 -> $2 failed (job: $(head -c 1500 "$out" 2>/dev/null))"
}

skopeo_copy() { # skopeo_copy SRC DST [--all]: prints seconds; fresh HOME / XDG dirs / blob-info cache
    local h="$work/skopeo-home" t0 t1
    rm -rf "$h"
    mkdir -p "$h/data" "$h/config" "$h/cache" "$h/run"
    chmod 700 "$h/run"
    t0=$(now)
    env HOME="$h" XDG_DATA_HOME="$h/data" XDG_CONFIG_HOME="$h/config" XDG_CACHE_HOME="$h/cache" \
        XDG_RUNTIME_DIR="$h/run" _CONTAINERS_ROOTLESS_UID=65534 \
        python3 -c 'import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
r = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write("%.2f" % (r.ru_utime + r.ru_stime))
sys.exit(rc)' "$work/skopeo.cpu" \
        skopeo copy ${3:-} --src-tls-verify=false --dest-tls-verify=false "docker://$1" "docker://$2" \
        >>"$work/skopeo.log" 2>&1 || fail "skopeo copy $1 -> $2 failed (see $work/skopeo.log): $(tail -n 3 "$work/skopeo.log")"
    t1=$(now)
    [[ -f "$h/data/containers/cache/blob-info-cache-v1.boltdb" ]] \
        || log "note: skopeo's blob-info cache did not appear under the temp XDG_DATA_HOME"
    rm -rf "$h"
    elapsed "$t0" "$t1"
}

skopeo_cpu_last() { cat "$work/skopeo.cpu"; } # CPU seconds (user+sys, getrusage) of the last skopeo_copy

curl_copy() { # curl_copy SRCREG REPO TAG DSTREG: prints seconds
    local s="$1" repo="$2" tag="$3" d="$4" t0 t1 m="$work/curl-manifest.json" digests dg loc pids=() p ok=1
    local accept='application/vnd.oci.image.manifest.v1+json'
    t0=$(now)
    curl -sS -f -H "Accept: $accept" -o "$m" "http://$s/v2/$repo/manifests/$tag" || fail "curl: GET manifest"
    digests="$(jget "$m" '" ".join([d["config"]["digest"]] + [l["digest"] for l in d["layers"]])')"
    for dg in $digests; do
        (
            set -o pipefail
            loc="$(curl -sS -f -D - -o /dev/null -X POST "http://$d/v2/$repo/blobs/uploads/" | tr -d '\r' \
                | awk 'tolower($1) == "location:" {print $2}')"
            [[ -n "$loc" ]] || exit 1
            [[ "$loc" == http* ]] || loc="http://$d$loc"
            curl -sS -f "http://$s/v2/$repo/blobs/$dg" \
                | curl -sS -f -T - -X PUT -H 'Content-Type: application/octet-stream' -o /dev/null "$loc&digest=$dg"
        ) &
        pids+=($!)
    done
    bg_pids=("${pids[@]}")
    for p in "${pids[@]}"; do wait "$p" || ok=0; done
    bg_pids=()
    [[ $ok == 1 ]] || fail "curl: a blob pipe failed"
    curl -sS -f -X PUT -H "Content-Type: $accept" --data-binary @"$m" -o /dev/null \
        "http://$d/v2/$repo/manifests/$tag" || fail "curl: PUT manifest"
    t1=$(now)
    elapsed "$t0" "$t1"
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# ---------------------------------------------------------------- 1. source registry and images
log "work dir $work"
start_registry "$work/src"
src_pid=$reg_pid
src=$reg_addr
log "source docker-registry on $src"

layer_mb=$((BIG_MB / 4))
t0=$(now)
if [[ -z "$ONLY" ]]; then
big_digest="$("${load[@]}" image "$src" bench/big v1 4 $((layer_mb << 20)) "$work" 2>>"$work/push.log")" \
    || fail "pushing bench/big failed: $(tail -n 3 "$work/push.log")"
fi
many_digest="$("${load[@]}" image "$src" bench/many v1 20 $((10 << 20)) "$work" 2>>"$work/push.log")" \
    || fail "pushing bench/many failed: $(tail -n 3 "$work/push.log")"
many_bytes="$("${load[@]}" blobbytes "$src" bench/many v1)"
if [[ -z "$ONLY" ]]; then
multi_digest="$("${load[@]}" index "$src" bench/multi v1 2 $((8 << 20)) "$work" \
    linux/amd64 linux/arm64/v8 linux/arm/v7 2>>"$work/push.log")" \
    || fail "pushing bench/multi failed: $(tail -n 3 "$work/push.log")"
big_bytes="$("${load[@]}" blobbytes "$src" bench/big v1)"
multi_bytes="$("${load[@]}" blobbytes "$src" bench/multi v1)"
fi
log "pushed in $(elapsed "$t0" "$(now)") s: big ${big_digest:-} (${big_bytes:-} B), many $many_digest ($many_bytes B)," \
    "multi ${multi_digest:-} (${multi_bytes:-} B)"

# ---------------------------------------------------------------- 2. Ferry
if [[ ! -f "$FERRY_JAR" ]]; then
    [[ "$FERRY_JAR" == "$default_jar" ]] || fail "FERRY_JAR $FERRY_JAR does not exist"
    command -v mvn >/dev/null 2>&1 || fail "$FERRY_JAR missing and mvn not found to build it"
    log "building Ferry (mvn -B -ntp -q package -DskipTests) in $repo_root"
    (cd "$repo_root" && mvn -B -ntp -q package -DskipTests) >&2
    [[ -f "$FERRY_JAR" ]] || fail "build did not produce $FERRY_JAR"
fi
ferry_port="$("${load[@]}" freeport)"
ferry="http://127.0.0.1:$ferry_port"
mkdir -p "$work/ferry-data"
log "starting Ferry ($FERRY_JAR) on port $ferry_port"
# shellcheck disable=SC2086  # JAVA_OPTS is a list of options
QUARKUS_HTTP_PORT="$ferry_port" FERRY_DATA_DIR="$work/ferry-data" java ${JAVA_OPTS:-} -jar "$FERRY_JAR" \
    >"$work/ferry.log" 2>&1 &
ferry_pid=$!
wait_http "$ferry/q/health/ready" 60 "$ferry_pid" Ferry
rss_idle=$(rss_kb "$ferry_pid")
# shellcheck disable=SC2086
max_heap_mb=$(java ${JAVA_OPTS:-} -XX:+PrintFlagsFinal -version 2>/dev/null | awk '$2 == "MaxHeapSize" {printf "%d", $4 / 1048576}')

# A running service is warm; warm the streaming path with enough bytes for the JIT (skopeo has no JIT).
hz=$(getconf CLK_TCK)
log "Ferry: $WARMUP untimed warm-up copies of many (each into a fresh destination), then one of multi (all)"
warm_cpu=()
for ((w = 1; w <= WARMUP; w++)); do
    fresh_dest
    c0=$(cpu_ticks "$ferry_pid")
    ferry_copy "$src/bench/many:v1" "$dst/bench/warmup-many:v1" 0 "$work/warmup-many.json"
    c1=$(cpu_ticks "$ferry_pid")
    warm_cpu+=("$w:$(python3 -c "print('%.2f' % (($c1 - $c0) / $hz))")")
done
[[ -n "$ONLY" ]] || ferry_copy "$src/bench/multi:v1" "$dst/bench/warmup:v1" 1 "$work/warmup.json"

# ---------------------------------------------------------------- 3. measurements
big_label="big ($BIG_MB MiB, 4 layers)"
many_label="many (20 x 10 MiB)"
multi_label="multi --all (3 platforms x 2 x 8 MiB)"

# --- Ferry big, with RSS and CPU sampling
rss_before=$(rss_kb "$ferry_pid")
rss_peak=0
cpu_per_copy=()
cpu_many=()
if [[ -z "$ONLY" ]]; then
for ((i = 1; i <= RUNS; i++)); do
    fresh_dest
    log "ferry copy big, run $i/$RUNS -> $dst"
    rm -f "$work/rss.stop"
    "${load[@]}" rss "$ferry_pid" "$work/rss.stop" 3600 >"$work/rss.$i" &
    rss_pid=$!
    c0=$(cpu_ticks "$ferry_pid")
    ferry_copy "$src/bench/big:v1" "$dst/bench/big:v1" 0 "$work/ferry-big.$i.json"
    c1=$(cpu_ticks "$ferry_pid")
    touch "$work/rss.stop"
    wait "$rss_pid"
    rss_pid=""
    p=$(cat "$work/rss.$i")
    ((p > rss_peak)) && rss_peak=$p
    cpu_per_copy+=("$(python3 -c "print('%.1f' % (($c1 - $c0) / $hz))")")
    [[ "$(jget "$work/ferry-big.$i.json" 'd["job"]["result"]["digest"]')" == "$big_digest" ]] || fail "Ferry result.digest differs"
    verify "$dst/bench/big:v1" "$big_digest" "ferry copy big"
    record "ferry copy $big_label" "$(jget "$work/ferry-big.$i.json" 'd["seconds"]')" "$big_bytes"
done
big_dst=$dst

# --- Ferry no-op: the destination of the last run already has everything
for ((i = 1; i <= RUNS; i++)); do
    log "ferry no-op copy big, run $i/$RUNS"
    ferry_copy "$src/bench/big:v1" "$big_dst/bench/big:v1" 0 "$work/ferry-noop.$i.json"
    moved=$(jget "$work/ferry-noop.$i.json" 'd["job"]["progress"]["bytesDone"]')
    [[ "$moved" == 0 ]] || problems+=("no-op copy run $i moved $moved bytes")
    verify "$big_dst/bench/big:v1" "$big_digest" "ferry no-op copy"
    record "ferry no-op copy big (dest has it)" "$(jget "$work/ferry-noop.$i.json" 'd["seconds"]')" 0
done

# --- skopeo big
for ((i = 1; i <= RUNS; i++)); do
    fresh_dest
    log "skopeo copy big, run $i/$RUNS -> $dst"
    s=$(skopeo_copy "$src/bench/big:v1" "$dst/bench/big:v1")
    verify "$dst/bench/big:v1" "$big_digest" "skopeo copy big"
    record "skopeo copy $big_label" "$s" "$big_bytes"
done

# --- curl pipe big
for ((i = 1; i <= RUNS; i++)); do
    fresh_dest
    log "curl GET|PUT big, run $i/$RUNS -> $dst"
    s=$(curl_copy "$src" bench/big v1 "$dst")
    verify "$dst/bench/big:v1" "$big_digest" "curl copy big"
    record "curl GET|PUT big (5 blobs in parallel)" "$s" "$big_bytes"
done
fi

# --- many and multi: Ferry, then skopeo
for what in ${ONLY:-many multi}; do
    if [[ $what == many ]]; then
        label=$many_label digest=$many_digest bytes=$many_bytes all=0 sk_all=""
    else
        label=$multi_label digest=$multi_digest bytes=$multi_bytes all=1 sk_all="--all"
    fi
    for ((i = 1; i <= RUNS; i++)); do
        fresh_dest
        log "ferry copy $what, run $i/$RUNS -> $dst"
        c0=$(cpu_ticks "$ferry_pid")
        ferry_copy "$src/bench/$what:v1" "$dst/bench/$what:v1" "$all" "$work/ferry-$what.$i.json"
        c1=$(cpu_ticks "$ferry_pid")
        [[ $what != many ]] || cpu_many+=("ferry:$(python3 -c "print('%.2f' % (($c1 - $c0) / $hz))")")
        [[ "$(jget "$work/ferry-$what.$i.json" 'd["job"]["result"]["digest"]')" == "$digest" ]] \
            || fail "Ferry result.digest differs for $what"
        verify "$dst/bench/$what:v1" "$digest" "ferry copy $what"
        record "ferry copy $label" "$(jget "$work/ferry-$what.$i.json" 'd["seconds"]')" "$bytes"
    done
    for ((i = 1; i <= RUNS; i++)); do
        fresh_dest
        log "skopeo copy $what, run $i/$RUNS -> $dst"
        s=$(skopeo_copy "$src/bench/$what:v1" "$dst/bench/$what:v1" $sk_all)
        [[ $what != many ]] || cpu_many+=("skopeo:$(skopeo_cpu_last)")
        verify "$dst/bench/$what:v1" "$digest" "skopeo copy $what"
        record "skopeo copy $label" "$s" "$bytes"
    done
done

if [[ -z "$ONLY" ]]; then
# --- same-registry copy (mount)
for ((i = 1; i <= RUNS; i++)); do
    log "ferry same-registry copy big, run $i/$RUNS -> $src/bench/big-copy-$i:v1"
    ferry_copy "$src/bench/big:v1" "$src/bench/big-copy-$i:v1" 0 "$work/ferry-same.$i.json"
    moved=$(jget "$work/ferry-same.$i.json" 'd["job"]["progress"]["bytesDone"]')
    mounted=$(jget "$work/ferry-same.$i.json" 'd["job"]["progress"]["blobsMounted"]')
    [[ "$moved" == 0 ]] || problems+=("same-registry copy run $i moved $moved bytes (blobsMounted $mounted)")
    verify "$src/bench/big-copy-$i:v1" "$big_digest" "ferry same-registry copy"
    record "ferry same-registry copy big (mount)" "$(jget "$work/ferry-same.$i.json" 'd["seconds"]')" 0
done
same_info="bytesDone $moved, blobsMounted $mounted (last run)"

# --- 20 concurrent jobs
for ((i = 1; i <= RUNS; i++)); do
    fresh_dest
    log "ferry 20 concurrent copies of many, run $i/$RUNS -> $dst"
    "${load[@]}" ferrymany "$ferry" "docker://$src/bench/many:v1" "docker://$dst/bench/many-c" 20 \
        >"$work/ferry-conc.$i.json" || fail "concurrent Ferry copies failed"
    for ((j = 0; j < 20; j++)); do
        verify "$dst/bench/many-c-$j:v1" "$many_digest" "ferry concurrent copy $j"
    done
    moved=$(jget "$work/ferry-conc.$i.json" 'sum(j["progress"]["bytesDone"] for j in d["jobs"])')
    record "ferry 20 concurrent copies of many" "$(jget "$work/ferry-conc.$i.json" 'd["seconds"]')" "$moved"
done
fi
stop "$dst_pid"
dst_pid=""

# ---------------------------------------------------------------- 4. report
echo
echo "Ferry copy vs skopeo $(skopeo --version | awk '{print $3}') vs curl, $(nproc) CPUs, RUNS=$RUNS, BIG_MB=$BIG_MB," \
    "java $(java -version 2>&1 | awk -F'"' 'NR == 1 {print $2}') (default max heap ${max_heap_mb} MiB)"
"${load[@]}" copytable "$stats"
echo "Ferry warm-up curve, CPU seconds per warm-up copy of many (copy number:CPU-s): ${warm_cpu[*]}"
echo "CPU seconds per many copy (Ferry process utime+stime; skopeo getrusage): ${cpu_many[*]}"
echo "load average at the end: $(cat /proc/loadavg)"
[[ -n "$ONLY" ]] && exit 0
printf 'Ferry RSS: %d MB idle after start, %d MB before the big copies, peak %d MB during them\n' \
    $((rss_idle / 1024)) $((rss_before / 1024)) $((rss_peak / 1024))
echo "Ferry CPU seconds per big copy: ${cpu_per_copy[*]}"
echo "same-registry copy: $same_info"
if ((${#problems[@]} > 0)); then
    for p in "${problems[@]}"; do log "PROBLEM: $p"; done
    exit 1
fi
