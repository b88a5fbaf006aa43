#!/usr/bin/env bash
# Runs Ferry's whole test suite. Installs what the tests need (Debian's docker-registry, skopeo, openssl, postgresql)
# when it is missing, then runs every test with Maven against real registry processes on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v openssl >/dev/null 2>&1 || need+=(openssl)   # test certificates for https registries
# the PostgreSQL job store's tests start their own cluster (initdb in a temporary folder)
command -v initdb >/dev/null 2>&1 || [ -x /usr/lib/postgresql/15/bin/initdb ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)  # PackagedOpenApiIT renders Swagger UI; the dashboard's browser tests
command -v node >/dev/null 2>&1 || need+=(nodejs npm)      # runs deploy/browser-test (playwright-core drives chromium)
command -v kubectl >/dev/null 2>&1 || need+=(kubernetes-client)  # kubectl kustomize renders deploy/kubernetes in a test
command -v podman >/dev/null 2>&1 || need+=(podman)   # podman load reads Ferry's docker-archive exports (vfs driver, temp storage)
command -v tar >/dev/null 2>&1 || need+=(tar)         # the archive tests read Ferry's tars with GNU tar
command -v curl >/dev/null 2>&1 || need+=(curl)       # ImportTest and ExportTest stream archives in and out with curl; DockerDaemonTest runs podman system service
command -v gpg >/dev/null 2>&1 && command -v gpgconf >/dev/null 2>&1 || need+=(gnupg)  # signature tests: test keyrings, skopeo's gpgme signing
if [ ${#need[@]} -gt 0 ]; then
  echo "installing test dependencies: ${need[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
fi

# The browser tests' npm packages (playwright-core only: it drives /usr/bin/chromium, no browser is downloaded).
(cd deploy/browser-test && npm ci --no-audit --no-fund --loglevel=error)

exec mvn -B -ntp verify "$@"
