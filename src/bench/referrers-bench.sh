#!/usr/bin/env bash
# referrers-bench.sh - what a signature policy check and carrying attached artifacts (cosign .sig/.att/.sbom tags and
# an OCI 1.1 referrer in the sha256-<hex> fallback index, on distribution 2.8) add to the promotion of a small image:
# plain, policy, discovery only, with artifacts, and both, side by side in one run (wall, job and CPU medians, and the
# registries' own floor). See referrers_bench.py for what is measured and the environment (RUNS, WARMUP, JFR=FILE,
# REQUESTS=1, ...). Needs: java, python3, skopeo, gpg, docker-registry. Builds the jar when missing. Figures: README.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
export FERRY_JAR="${FERRY_JAR:-$repo_root/target/quarkus-app/quarkus-run.jar}"
for tool in java python3 skopeo gpg docker-registry; do
    command -v "$tool" >/dev/null 2>&1 || { echo "[referrers-bench] $tool not found" >&2; exit 1; }
done
if [[ ! -f "$FERRY_JAR" ]]; then
    echo "[referrers-bench] building Ferry (mvn -B -ntp -q package -DskipTests)" >&2
    (cd "$repo_root" && mvn -B -ntp -q package -DskipTests)
fi
exec python3 "$here/referrers_bench.py" "$@"
