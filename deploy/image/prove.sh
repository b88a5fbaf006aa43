#!/usr/bin/env bash
# Proves the image: builds it with buildah, runs it with podman as a non-root user on a read-only root filesystem
# with a writable data volume, waits for its health check, copies an image between two real registries through it,
# and checks the result with skopeo. Slow (minutes): a manual script, not part of the test suite.
#   bash deploy/image/prove.sh            (from the repository root; builds the jar if missing)
# Podman notes for this kind of machine: crun refuses cgroup "hybrid" hosts, so runc is used (PODMAN_RUNTIME), and
# rlimits are set below the host's hard limits (podman's defaults are above them on some hosts). Without systemd,
# podman cannot schedule the HEALTHCHECK timer itself: this script runs `podman healthcheck run` until healthy.
set -euo pipefail
cd "$(dirname "$0")/../.."
IMAGE=${IMAGE:-localhost/ferry:0.1.0}
BASE_IMAGE=${BASE_IMAGE:-localhost/ferry-jre:17}
RUNTIME=${PODMAN_RUNTIME:-runc}
NAME=ferry-prove-$$
work=$(mktemp -d)
pids=()
cleanup() {
  podman --runtime "$RUNTIME" rm -f "$NAME" >/dev/null 2>&1 || true
  podman volume rm -f "$NAME-data" >/dev/null 2>&1 || true
  buildah rmi localhost/prove-src:1 >/dev/null 2>&1 || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
step() { echo "== $*"; }
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'; }

command -v runc >/dev/null 2>&1 || [ "$RUNTIME" != runc ] || { echo "installing runc"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 runc; }
[ -f target/quarkus-app/quarkus-run.jar ] || { step "mvn package"; mvn -B -q -ntp package -DskipTests; }
podman image exists "$BASE_IMAGE" || { step "base image"; bash deploy/image/make-jre-base.sh; }

step "buildah bud $IMAGE (base $BASE_IMAGE)"
t0=$(date +%s)
buildah bud -q --format docker --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$IMAGE" -f Dockerfile . >/dev/null
echo "built in $(( $(date +%s) - t0 )) s: $(podman image inspect --format '{{.Size}}' "$IMAGE") bytes"

step "two registries on loopback"
for r in src dst; do
  port=$(free_port)
  mkdir -p "$work/$r"
  printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:%s\n' "$work/$r" "$port" > "$work/$r.yml"
  docker-registry serve "$work/$r.yml" > "$work/$r.log" 2>&1 &
  pids+=($!)
  eval "${r}_port=$port"
done
sleep 1

step "an image to copy: buildah from scratch + two 4 MiB layers, pushed to the source"
c=$(buildah from scratch)
head -c 4194304 /dev/urandom > "$work/a.bin"; head -c 4194304 /dev/urandom > "$work/b.bin"
buildah copy "$c" "$work/a.bin" /a.bin >/dev/null
buildah commit -q --rm "$c" localhost/prove-src:1 >/dev/null
c=$(buildah from localhost/prove-src:1); buildah copy "$c" "$work/b.bin" /b.bin >/dev/null
buildah commit -q --rm "$c" localhost/prove-src:1 >/dev/null
skopeo copy -q --dest-tls-verify=false containers-storage:localhost/prove-src:1 "docker://127.0.0.1:$src_port/lab/app:1"
src_digest=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://127.0.0.1:$src_port/lab/app:1")

step "podman run: user 185, read-only root, no capabilities, data volume"
fport=$(free_port)
podman volume create "$NAME-data" >/dev/null
podman --runtime "$RUNTIME" run -d --name "$NAME" --network host --read-only --cap-drop ALL \
  --security-opt no-new-privileges --ulimit nofile=4096:4096 --ulimit nproc=2048:2048 \
  -e QUARKUS_HTTP_PORT="$fport" -v "$NAME-data:/data" "$IMAGE" >/dev/null
t0=$(date +%s)
until [ "$(podman --runtime "$RUNTIME" inspect --format '{{.State.Health.Status}}' "$NAME" 2>/dev/null)" = healthy ]; do
  podman --runtime "$RUNTIME" healthcheck run "$NAME" >/dev/null 2>&1 || true
  [ $(( $(date +%s) - t0 )) -lt 120 ] || { podman logs "$NAME" | tail -30; echo "FAIL: not healthy in 120 s"; exit 1; }
  sleep 2
done
echo "healthy after $(( $(date +%s) - t0 )) s"
echo "user: $(podman exec "$NAME" id)"
echo "read-only root: $(podman inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$NAME")"
if podman exec "$NAME" touch /app/x 2>/dev/null; then echo "FAIL: /app is writable"; exit 1; else echo "writing /app refused"; fi
podman exec "$NAME" touch /data/probe && echo "/data writable"

step "copy through the container"
job=$(curl -s "http://127.0.0.1:$fport/api/v1/copy" -H 'Prefer: wait=120' -H 'Content-Type: application/json' \
  -d "{\"source\":\"docker://127.0.0.1:$src_port/lab/app:1\",\"destination\":\"docker://127.0.0.1:$dst_port/prod/app:1\",\"srcTlsVerify\":false,\"destTlsVerify\":false}")
echo "$job" | head -c 400; echo
state=$(echo "$job" | python3 -c 'import json,sys;print(json.load(sys.stdin)["state"])')
dst_digest=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://127.0.0.1:$dst_port/prod/app:1")
echo "source $src_digest"; echo "copied $dst_digest"
[ "$state" = succeeded ] && [ "$src_digest" = "$dst_digest" ] || { echo "FAIL"; exit 1; }
curl -s "http://127.0.0.1:$fport/q/metrics" | grep -E '^ferry_(jobs_total|bytes_total)' || true
curl -s -o /dev/null -w "dashboard at / : HTTP %{http_code}\n" "http://127.0.0.1:$fport/"
podman stop -t 20 "$NAME" >/dev/null
echo "PROVED: built with buildah, ran under podman as uid 185 on a read-only root, copy by digest verified with skopeo"
