#!/usr/bin/env bash
# Manual demonstration (not in CI: it moves 1 GiB): two registries, a 1 GiB image in 4 layers, the packaged Ferry,
# and chromium starting the copy from the dashboard's form and taking a screenshot of the per-blob bars every 0.4 s
# until the job is done. Screenshots: target/browser-test/big-*.png.
#   bash deploy/browser-test/big-copy.sh        (SIZE_MIB=1024 LAYERS=4 by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZE_MIB=${SIZE_MIB:-1024}
LAYERS=${LAYERS:-4}
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'; }
[ -f target/quarkus-app/quarkus-run.jar ] || mvn -B -q -ntp package -DskipTests
(cd deploy/browser-test && [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund --loglevel=error)
for r in src dst; do
  port=$(free_port); mkdir -p "$work/$r"
  printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' "$work/$r" "$port" > "$work/$r.yml"
  docker-registry serve "$work/$r.yml" > "$work/$r.log" 2>&1 & pids+=($!)
  eval "${r}_port=$port"
done
echo "== a ${SIZE_MIB} MiB image in $LAYERS layers (an OCI layout, pushed by skopeo)"
python3 - "$work/layout" "$SIZE_MIB" "$LAYERS" <<'PY'
import hashlib, json, os, sys
out, size_mib, layers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
blobs = os.path.join(out, "blobs", "sha256"); os.makedirs(blobs)
def put(data):
    d = hashlib.sha256(data).hexdigest()
    open(os.path.join(blobs, d), "wb").write(data)
    return {"digest": "sha256:" + d, "size": len(data)}
descs = []
per = size_mib * 1024 * 1024 // layers
for i in range(layers):
    h = hashlib.sha256(); path = os.path.join(blobs, "tmp")
    with open(path, "wb") as f:
        left = per
        while left:
            chunk = os.urandom(min(left, 8 << 20)); f.write(chunk); h.update(chunk); left -= len(chunk)
    os.rename(path, os.path.join(blobs, h.hexdigest()))
    descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + h.hexdigest(), "size": per})
config = put(json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [d["digest"] for d in descs]}}).encode())
config["mediaType"] = "application/vnd.oci.image.config.v1+json"
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": config, "layers": descs}).encode()
m = put(manifest); m["mediaType"] = "application/vnd.oci.image.manifest.v1+json"; m["annotations"] = {"org.opencontainers.image.ref.name": "1"}
json.dump({"schemaVersion": 2, "manifests": [m]}, open(os.path.join(out, "index.json"), "w"))
open(os.path.join(out, "oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')
PY
skopeo copy -q --dest-tls-verify=false "oci:$work/layout:1" "docker://127.0.0.1:$src_port/lab/big:1"
rm -rf "$work/layout"
fport=$(free_port)
java -Xmx256m -XX:+UseParallelGC -Dquarkus.http.port="$fport" -Dferry.data-dir="$work/data" \
  -jar target/quarkus-app/quarkus-run.jar > "$work/ferry.log" 2>&1 & pids+=($!)
for i in $(seq 60); do curl -sf "http://127.0.0.1:$fport/q/health/ready" >/dev/null && break; sleep 1; done
echo "== chromium: the copy from the form"
FERRY_URL="http://127.0.0.1:$fport" SCENARIO=big OUT="$PWD/target/browser-test" STEP_TIMEOUT_MS=300000 \
  SRC_IMAGE="docker://127.0.0.1:$src_port/lab/big:1" DEST_IMAGE="docker://127.0.0.1:$dst_port/prod/big:1" \
  node deploy/browser-test/dashboard.test.mjs
echo "source $(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://127.0.0.1:$src_port/lab/big:1")"
echo "copied $(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://127.0.0.1:$dst_port/prod/big:1")"
curl -s "http://127.0.0.1:$fport/q/metrics" | grep -E '^ferry_(bytes|blobs|jobs)_total' || true
