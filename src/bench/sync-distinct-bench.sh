#!/usr/bin/env bash
# sync-distinct-bench.sh - Ferry sync vs skopeo sync --preserve-digests of 30 DISTINCT small images (CPU and wall).
# See sync_distinct_bench.py for what is measured and the environment (RUNS, TAGS, LAYER_KB, JFR=FILE, ...).
# Needs: java, python3, skopeo, docker-registry. Builds the jar when missing. Figures: README, Benchmarks.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
export FERRY_JAR="${FERRY_JAR:-$repo_root/target/quarkus-app/quarkus-run.jar}"
for tool in java python3 skopeo docker-registry; do
    command -v "$tool" >/dev/null 2>&1 || { echo "[sync-distinct-bench] $tool not found" >&2; exit 1; }
done
if [[ ! -f "$FERRY_JAR" ]]; then
    echo "[sync-distinct-bench] building Ferry (mvn -B -ntp -q package -DskipTests)" >&2
    (cd "$repo_root" && mvn -B -ntp -q package -DskipTests)
fi
exec python3 "$here/sync_distinct_bench.py" "$@"
