#!/usr/bin/env bash
# cluster-chaos.sh - three Ferry replicas on one PostgreSQL (all on loopback): 100 copy jobs exactly once,
# throughput with 1/2/3 replicas, SSE followed across replicas, and 20 kill -9 of a replica mid-copy.
# See cluster_chaos.py for the phases, the checks and the environment (JOBS, KILLS, LEASE_S, ...).
# Needs: java, python3, psql + initdb/pg_ctl (Debian postgresql), docker-registry. Builds the jar when missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
export FERRY_JAR="${FERRY_JAR:-$repo_root/target/quarkus-app/quarkus-run.jar}"
for tool in java python3 psql docker-registry; do
    command -v "$tool" >/dev/null 2>&1 || { echo "[cluster-chaos] $tool not found" >&2; exit 1; }
done
if [[ ! -f "$FERRY_JAR" ]]; then
    echo "[cluster-chaos] building Ferry (mvn -B -ntp -q package -DskipTests)" >&2
    (cd "$repo_root" && mvn -B -ntp -q package -DskipTests)
fi
exec python3 "$here/cluster_chaos.py" "$@"
