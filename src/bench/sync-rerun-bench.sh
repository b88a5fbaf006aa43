#!/usr/bin/env bash
# sync-rerun-bench.sh - re-run of a sync of 30 unchanged distinct images: Ferry (HEAD checks, immutableTags, a stored policy) vs skopeo sync (CPU and wall).
# See sync_rerun_bench.py for what is measured and the environment (RUNS, TAGS, LAYER_KB, JFR=FILE, ...).
# Needs: java, python3, skopeo, docker-registry. Builds the jar when missing. Figures: README, Benchmarks.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
export FERRY_JAR="${FERRY_JAR:-$repo_root/target/quarkus-app/quarkus-run.jar}"
for tool in java python3 skopeo docker-registry; do
    command -v "$tool" >/dev/null 2>&1 || { echo "[sync-rerun-bench] $tool not found" >&2; exit 1; }
done
if [[ ! -f "$FERRY_JAR" ]]; then
    echo "[sync-rerun-bench] building Ferry (mvn -B -ntp -q package -DskipTests)" >&2
    (cd "$repo_root" && mvn -B -ntp -q package -DskipTests)
fi
exec python3 "$here/sync_rerun_bench.py" "$@"
