#!/usr/bin/env bash
# signature-bench.sh - what verifying a containers-policy.json adds to the promotion of a small image.
#
# Starts a private anonymous source docker-registry (loopback, temp storage), pushes one small image (config + one
# gzip layer of LAYER_KB KiB, byte-exact with curl) as bench/staging:v1, makes a GPG key in a temporary GNUPGHOME
# and lets skopeo sign the image into bench/app:v1 (skopeo copy --sign-by, the signature in a file:// lookaside store).
# Then starts two Ferry processes from the fast-jar, side by side:
#   - plain    no signature policy (today's behaviour);
#   - policy   FERRY_SIGNATURES_POLICY requiring that key (signedBy, GPGKeys) for the source repository, and
#              FERRY_SIGNATURES_REGISTRIES_D pointing at the lookaside store;
# warms both up (WARMUP untimed promotions each), then RUNS times, alternating which goes first, promotes
# SRC/bench/app:v1 by POST /api/v1/copy (Prefer: wait) into a fresh destination registry per promotion and side.
# Every run is checked: the job succeeded, the destination holds the source's digest, and the policy side's job has
# a signature event "accepted" (and it carried the signature to the destination's staging store). A control copy of
# the unsigned bench/staging:v1 must be refused by the policy side. Prints median/min/max wall seconds (curl) and
# the job's own durationMs for both, the overhead of the policy check in percent (goal: under 20 %), and the check's
# own time as its "signature" event reports it (durationMs), which does not drown in the machine's noise.
# Environment: RUNS (default 20), WARMUP (default 15), LAYER_KB (default 64), FERRY_JAR, JAVA_OPTS, KEEP_LOGS=1.
set -euo pipefail
JAVA_OPTS=${JAVA_OPTS-"-Xmx256m -XX:+UseParallelGC"}
RUNS="${RUNS:-20}"
WARMUP="${WARMUP:-15}"
LAYER_KB="${LAYER_KB:-64}"
KEEP_LOGS="${KEEP_LOGS:-0}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
FERRY_JAR="${FERRY_JAR:-$repo_root/target/quarkus-app/quarkus-run.jar}"

log() { printf '[signature-bench] %s\n' "$*" >&2; }
fail() { printf '[signature-bench] ERROR: %s\n' "$*" >&2; exit 1; }
for tool in curl python3 skopeo docker-registry java sha256sum gzip gpg gpgconf; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool not found on PATH"
done
if [[ ! -f "$FERRY_JAR" ]]; then
    log "building Ferry (mvn -B -ntp -q package -DskipTests)"
    (cd "$repo_root" && mvn -B -ntp -q package -DskipTests) || fail "build failed"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/signature-bench.XXXXXX")"
pids=()
export GNUPGHOME="$work/gnupg"
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    gpgconf --kill gpg-agent 2>/dev/null || true
    if [[ "$KEEP_LOGS" == 1 ]]; then log "logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_registry NAME: starts it (its pid in pids) and sets REG to host:port
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
    REG="127.0.0.1:$port"
}

push_blob() { # REG REPO FILE
    local loc
    loc=$(curl -sf -X POST -D - -o /dev/null "http://$1/v2/$2/blobs/uploads/" | tr -d '\r' | awk -F': ' 'tolower($1)=="location"{print $2}')
    [[ "$loc" == http* ]] || loc="http://$1$loc"
    curl -sf -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$3" \
        "$loc&digest=sha256:$(sha256sum "$3" | cut -d' ' -f1)" >/dev/null || fail "blob push failed"
}

start_registry src; src=$REG
img="$work/img"; mkdir -p "$img"
head -c $((LAYER_KB * 1024)) /dev/urandom | gzip -n > "$img/l1"
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:%064d"]}}' 1 > "$img/config"
for f in config l1; do push_blob "$src" bench/staging "$img/$f"; done
desc() { printf '{"mediaType":"%s","digest":"sha256:%s","size":%s}' "$1" "$(sha256sum "$2" | cut -d' ' -f1)" "$(stat -c%s "$2")"; }
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":%s,"layers":[%s]}' \
    "$(desc application/vnd.oci.image.config.v1+json "$img/config")" \
    "$(desc application/vnd.oci.image.layer.v1.tar+gzip "$img/l1")" > "$img/manifest"
digest="sha256:$(sha256sum "$img/manifest" | cut -d' ' -f1)"
curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "@$img/manifest" \
    "http://$src/v2/bench/staging/manifests/v1" >/dev/null || fail "manifest push failed"

# the signer: a GPG key, skopeo signs into a file:// lookaside store
mkdir -m 700 "$GNUPGHOME"
gpg --batch --pinentry-mode loopback --passphrase '' --quick-gen-key 'Bench Signer <bench@ferry.test>' ed25519 sign never 2>/dev/null
fpr=$(gpg --batch --with-colons --list-keys bench@ferry.test | awk -F: '$1=="fpr"{print $10; exit}')
gpg --batch --armor --export "$fpr" > "$work/signer.pub"
mkdir -p "$work/registries.d" "$work/lookaside"
printf 'default-docker:\n  lookaside: file://%s\n  lookaside-staging: file://%s\n' "$work/lookaside" "$work/lookaside" \
    > "$work/registries.d/default.yaml"
skopeo --insecure-policy copy --registries.d "$work/registries.d" --src-tls-verify=false --dest-tls-verify=false \
    --sign-by "$fpr" "docker://$src/bench/staging:v1" "docker://$src/bench/app:v1" > "$work/skopeo-sign.log" 2>&1 \
    || fail "skopeo could not sign: $(tail -3 "$work/skopeo-sign.log")"
cat > "$work/policy.json" <<JSON
{"default":[{"type":"insecureAcceptAnything"}],
 "transports":{"docker":{"$src/bench":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"$work/signer.pub"}]}}}
JSON
log "source $src/bench/app:v1 = $digest, signed by $fpr"

start_ferry() { # NAME [ENV...] -> sets PORT
    local name=$1; shift
    PORT=$(free_port)
    env FERRY_DATA_DIR="$work/ferry-$name" QUARKUS_HTTP_PORT=$PORT "$@" java $JAVA_OPTS -jar "$FERRY_JAR" > "$work/ferry-$name.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/q/health/ready" >/dev/null && break; sleep 0.1; done
    curl -sf "http://127.0.0.1:$PORT/q/health/ready" >/dev/null || fail "Ferry $name did not start (see $work/ferry-$name.log)"
}
start_ferry plain; plain=$PORT
start_ferry policy FERRY_SIGNATURES_POLICY="$work/policy.json" FERRY_SIGNATURES_REGISTRIES_D="$work/registries.d"; policy=$PORT
grep -q 'no policy configured' "$work/ferry-plain.log" || fail "the plain Ferry did not say it verifies nothing"
grep -q 'every copy is verified against' "$work/ferry-policy.log" || fail "the policy Ferry did not load the policy"

now() { date +%s.%N; }
# promote PORT SOURCE DEST-REGISTRY EXPECT -> prints "wall durationMs"; EXPECT is succeeded or failed
promote() {
    local t0 t1 out
    t0=$(now)
    out=$(curl -s "http://127.0.0.1:$1/api/v1/copy" -H 'Prefer: wait=60' -H 'Content-Type: application/json' \
        -d "{\"source\":\"docker://$src/$2\",\"destination\":\"docker://$3/prod/app:v1\",\"srcTlsVerify\":false,\"destTlsVerify\":false}")
    t1=$(now)
    python3 - "$out" "$4" "$1" "$policy" "$digest" <<'PY' || fail "promotion check failed: $out"
import json, sys
job = json.loads(sys.argv[1])
assert job["state"] == sys.argv[2], job
if sys.argv[2] == "succeeded":
    assert job["result"]["digest"] == sys.argv[5], job
else:
    assert job["error"]["type"] == "urn:ferry:problem:signature-rejected", job
PY
    if [[ "$4" == succeeded ]]; then
        d=$(curl -sfI -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$3/v2/prod/app/manifests/v1" \
            | tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}')
        [[ "$d" == "$digest" ]] || fail "$3/prod/app:v1 is $d, expected $digest"
    fi
    id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$out")
    gate=0
    if [[ "$1" == "$policy" && "$4" == succeeded ]]; then
        # the gate's own time, from its "signature" event (reading the lookaside signature included)
        gate=$(curl -sf "http://127.0.0.1:$1/api/v1/jobs/$id/events" | python3 -c '
import json, sys
for line in sys.stdin:
    if line.startswith("data:"):
        d = json.loads(line[5:])
        if d.get("status") == "accepted":
            print(d["durationMs"]); break
else:
    sys.exit(1)') || fail "no accepted signature event"
    fi
    printf '%s %s %s\n' "$(python3 -c "print($t1 - $t0)")" "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["durationMs"])' "$out")" "$gate"
}

log "warm-up: $WARMUP untimed promotions on each side"
for w in $(seq "$WARMUP"); do
    start_registry "warm-plain-$w"; promote "$plain" bench/app:v1 "$REG" succeeded >/dev/null
    start_registry "warm-policy-$w"; promote "$policy" bench/app:v1 "$REG" succeeded >/dev/null
done
start_registry control; promote "$policy" bench/staging:v1 "$REG" failed >/dev/null
[[ -z "$(curl -s "http://$REG/v2/_catalog" | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["repositories"] or []))')" ]] \
    || fail "the refused promotion left something at the destination"
log "control: the unsigned image is refused and its destination stays empty"
[[ -n "$(find "$work/lookaside" -path '*prod/app@sha256=*' -name 'signature-1' | head -1)" ]] \
    || fail "the signature was not carried to the destination's staging store"

: > "$work/plain"; : > "$work/policy"
for r in $(seq "$RUNS"); do
    start_registry "plain-$r"; dp=$REG
    start_registry "policy-$r"; dq=$REG
    if (( r % 2 )); then
        promote "$plain" bench/app:v1 "$dp" succeeded >> "$work/plain"; promote "$policy" bench/app:v1 "$dq" succeeded >> "$work/policy"
    else
        promote "$policy" bench/app:v1 "$dq" succeeded >> "$work/policy"; promote "$plain" bench/app:v1 "$dp" succeeded >> "$work/plain"
    fi
    log "run $r: plain $(tail -1 "$work/plain") / policy $(tail -1 "$work/policy") (wall s, job ms)"
done
python3 - "$work/plain" "$work/policy" "$LAYER_KB" <<'PY'
import statistics, sys
def load(p):
    rows = [l.split() for l in open(p) if l.strip()]
    return [float(r[0]) for r in rows], [float(r[1]) for r in rows], [float(r[2]) for r in rows]
pw, pd, _ = load(sys.argv[1]); qw, qd, gate = load(sys.argv[2])
print(f"promotion of one small image (config + one {sys.argv[3]} KiB layer) into a fresh registry, {len(pw)} runs each:")
print(f"  {'':22} {'wall median [min-max] s':>30} {'job durationMs median':>24}")
for name, w, d in (("plain copy", pw, pd), ("copy + policy check", qw, qd)):
    print(f"  {name:22} {statistics.median(w):10.4f} [{min(w):.4f}-{max(w):.4f}] {statistics.median(d):18.1f}")
print(f"  policy check overhead: wall {100 * (statistics.median(qw) / statistics.median(pw) - 1):+.1f} %, "
      f"job duration {100 * (statistics.median(qd) / statistics.median(pd) - 1):+.1f} % (goal: under 20 %)")
print(f"  the check itself (its event's durationMs): median {statistics.median(gate):.2f} ms [{min(gate):.2f}-{max(gate):.2f}], "
      f"{100 * statistics.median(gate) / statistics.median(pd):.1f} % of a plain copy's median job duration")
PY
