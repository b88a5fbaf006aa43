#!/usr/bin/env bash
# sync-bench.sh - Ferry's POST /api/v1/sync versus skopeo sync, registry to registry.
#
# Starts a private anonymous source docker-registry (loopback, temp storage) and pushes one small image
# (config + 2 gzip layers of LAYER_KB KiB, byte-exact with curl) under TAGS tags (1.0.0, 1.1.0, ...) of
# bench/app. Starts Ferry from its fast-jar (fresh FERRY_DATA_DIR), makes one untimed warm-up sync, then
# RUNS times:
#   - ferry sync        POST /api/v1/sync {"source": SRC/bench/app, "destination": DEST/mirror} with
#                       Prefer: wait=300, into a fresh empty destination registry per run;
#   - skopeo sync       skopeo sync --src docker --dest docker --src-tls-verify=false --dest-tls-verify=false
#                       SRC/bench/app DEST/mirror, fresh destination and fresh HOME/XDG dirs per run;
#   - ferry re-run      the same sync again into the destination of the last ferry run (nothing changed);
#   - skopeo re-run     the same for skopeo.
# Every run is verified: all TAGS tags at DEST/mirror/app, the digest of each equal to the source's.
# Prints median/min/max seconds and the Ferry/skopeo ratios. Stops everything it started on exit.
# Environment: RUNS (default 5), TAGS (default 30), LAYER_KB (default 16), WARMUP (default 10; 1 shows a cold JVM),
# FERRY_JAR, JAVA_OPTS, KEEP_LOGS=1. skopeo is a fresh process each time, as automation runs it.
set -euo pipefail
JAVA_OPTS=${JAVA_OPTS-"-Xmx256m -XX:+UseParallelGC"}
RUNS="${RUNS:-5}"
TAGS="${TAGS:-30}"
LAYER_KB="${LAYER_KB:-16}"
WARMUP="${WARMUP:-10}"
KEEP_LOGS="${KEEP_LOGS:-0}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
FERRY_JAR="${FERRY_JAR:-$repo_root/target/quarkus-app/quarkus-run.jar}"

log() { printf '[sync-bench] %s\n' "$*" >&2; }
fail() { printf '[sync-bench] ERROR: %s\n' "$*" >&2; exit 1; }
for tool in curl python3 skopeo docker-registry java sha256sum gzip; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool not found on PATH"
done
if [[ ! -f "$FERRY_JAR" ]]; then
    log "building Ferry (mvn -B -ntp -q package -DskipTests)"
    (cd "$repo_root" && mvn -B -ntp -q package -DskipTests) || fail "build failed"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/sync-bench.XXXXXX")"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    # registries started in command substitutions are not in pids: stop whatever runs from the work dir
    pkill -f "docker-registry serve $work/" 2>/dev/null || true
    wait 2>/dev/null || true
    if [[ "$KEEP_LOGS" == 1 ]]; then log "logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_registry NAME -> prints host:port
start_registry() {
    local name=$1 port dir
    port=$(free_port); dir="$work/$name"; mkdir -p "$dir/storage"
    cat > "$dir/config.yml" <<YML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
http:
  addr: 127.0.0.1:$port
YML
    docker-registry serve "$dir/config.yml" > "$dir/log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.05; done
    curl -sf "http://127.0.0.1:$port/v2/" >/dev/null || fail "registry $name did not start"
    echo "127.0.0.1:$port"
}

push_blob() { # REG REPO FILE
    local loc
    loc=$(curl -sf -X POST -D - -o /dev/null "http://$1/v2/$2/blobs/uploads/" | tr -d '\r' | awk -F': ' 'tolower($1)=="location"{print $2}')
    [[ "$loc" == http* ]] || loc="http://$1$loc"
    curl -sf -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$3" \
        "$loc&digest=sha256:$(sha256sum "$3" | cut -d' ' -f1)" >/dev/null || fail "blob push failed"
}

src=$(start_registry src)
img="$work/img"; mkdir -p "$img"
head -c $((LAYER_KB * 1024)) /dev/urandom | gzip -n > "$img/l1"
head -c $((LAYER_KB * 1024)) /dev/urandom | gzip -n > "$img/l2"
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:%064d","sha256:%064d"]}}' 1 2 > "$img/config"
for f in config l1 l2; do push_blob "$src" bench/app "$img/$f"; done
desc() { printf '{"mediaType":"%s","digest":"sha256:%s","size":%s}' "$1" "$(sha256sum "$2" | cut -d' ' -f1)" "$(stat -c%s "$2")"; }
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":%s,"layers":[%s,%s]}' \
    "$(desc application/vnd.oci.image.config.v1+json "$img/config")" \
    "$(desc application/vnd.oci.image.layer.v1.tar+gzip "$img/l1")" \
    "$(desc application/vnd.oci.image.layer.v1.tar+gzip "$img/l2")" > "$img/manifest"
digest="sha256:$(sha256sum "$img/manifest" | cut -d' ' -f1)"
for i in $(seq 0 $((TAGS - 1))); do
    curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "@$img/manifest" \
        "http://$src/v2/bench/app/manifests/$((1 + i / 10)).$((i % 10)).0" >/dev/null || fail "manifest push failed"
done
log "source $src/bench/app: $TAGS tags of $digest"

ferry_port=$(free_port)
FERRY_DATA_DIR="$work/ferry-data" QUARKUS_HTTP_PORT=$ferry_port java $JAVA_OPTS -jar "$FERRY_JAR" > "$work/ferry.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$ferry_port/q/health/ready" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$ferry_port/q/health/ready" >/dev/null || fail "Ferry did not start (see $work/ferry.log)"

now() { date +%s.%N; }
ferry_sync() { # DEST -> seconds
    local t0 t1 out
    t0=$(now)
    out=$(curl -sf "http://127.0.0.1:$ferry_port/api/v1/sync" -H 'Prefer: wait=300' -H 'Content-Type: application/json' \
        -d "{\"source\":\"docker://$src/bench/app\",\"destination\":\"docker://$1/mirror\",\"srcTlsVerify\":false,\"destTlsVerify\":false}")
    t1=$(now)
    [[ "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["state"])' "$out")" == succeeded ]] || fail "ferry sync failed: $out"
    python3 -c 'import json,sys; print(json.loads(sys.argv[1])["durationMs"])' "$out" >> "$work/duration-ms"
    python3 -c "print($t1 - $t0)"
}
skopeo_sync() { # DEST -> seconds
    local t0 t1 home="$work/skopeo-home-$RANDOM"
    mkdir -p "$home"
    t0=$(now)
    HOME="$home" XDG_RUNTIME_DIR="$home" XDG_DATA_HOME="$home" _CONTAINERS_ROOTLESS_UID=0 REGISTRY_AUTH_FILE="$home/auth.json" \
        skopeo --insecure-policy sync --src docker --dest docker --src-tls-verify=false --dest-tls-verify=false \
        "$src/bench/app" "$1/mirror" > "$home/out" 2>&1 || fail "skopeo sync failed: $(tail -3 "$home/out")"
    t1=$(now)
    python3 -c "print($t1 - $t0)"
}
verify() { # DEST
    local tags n d
    tags=$(curl -sf "http://$1/v2/mirror/app/tags/list" | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["tags"]))')
    n=$(wc -w <<< "$tags"); [[ "$n" == "$TAGS" ]] || fail "$1/mirror/app has $n tags, expected $TAGS"
    for t in $tags; do
        d=$(curl -sfI -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$1/v2/mirror/app/manifests/$t" \
            | tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}')
        [[ "$d" == "$digest" ]] || fail "$1/mirror/app:$t is $d, expected $digest"
    done
}

log "warm-up: $WARMUP untimed syncs and re-runs (Ferry is a long-running service; its JIT needs ~10 to settle)"
for w in $(seq "$WARMUP"); do
    warm=$(start_registry "warm-$w"); ferry_sync "$warm" >/dev/null; ferry_sync "$warm" >/dev/null; verify "$warm"
done
: > "$work/duration-ms"
declare -a f_first s_first f_again s_again
for r in $(seq "$RUNS"); do
    fd=$(start_registry "ferry-$r"); sd=$(start_registry "skopeo-$r")
    f_first+=("$(ferry_sync "$fd")"); verify "$fd"
    s_first+=("$(skopeo_sync "$sd")"); verify "$sd"
    f_again+=("$(ferry_sync "$fd")"); verify "$fd"
    s_again+=("$(skopeo_sync "$sd")"); verify "$sd"
    log "run $r (job durationMs first/re-run: $(tail -2 "$work/duration-ms" | paste -sd/)): ferry ${f_first[-1]} s, skopeo ${s_first[-1]} s; re-run: ferry ${f_again[-1]} s, skopeo ${s_again[-1]} s"
done
python3 - "${f_first[*]}" "${s_first[*]}" "${f_again[*]}" "${s_again[*]}" "$TAGS" <<'PY'
import statistics, sys
ff, sf, fa, sa = ([float(x) for x in a.split()] for a in sys.argv[1:5])
print(f"sync of {sys.argv[5]} tags (one small image), {len(ff)} runs: median [min-max] seconds")
for name, v in (("ferry sync", ff), ("skopeo sync", sf), ("ferry re-run", fa), ("skopeo re-run", sa)):
    print(f"  {name:14} {statistics.median(v):7.3f}  [{min(v):.3f}-{max(v):.3f}]")
print(f"  ratio ferry/skopeo: sync {statistics.median(ff)/statistics.median(sf):.2f}x, re-run {statistics.median(fa)/statistics.median(sa):.2f}x")
PY
