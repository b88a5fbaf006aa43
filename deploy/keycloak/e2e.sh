#!/usr/bin/env bash
# End-to-end check of secured mode against a real Keycloak (optional; not part of `mvn verify`).
# Fetches org.keycloak:keycloak-quarkus-dist from Maven Central with Maven, runs it on a JDK 21+ with the realm in
# this folder (users vera/otto/ada with the roles ferry-viewer/-operator/-admin), starts a docker-registry and the
# packaged Ferry in secured mode, and checks tokens, roles, repository rules and job ownership with curl.
#   mvn -B -ntp package -DskipTests && bash deploy/keycloak/e2e.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
KC_VERSION=${KC_VERSION:-26.4.7}
KC_JAVA=${KC_JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64}
KC_PORT=${KC_PORT:-8180}
REG_PORT=${REG_PORT:-5065}
FERRY_PORT=${FERRY_PORT:-8099}
work=target/keycloak-e2e
mkdir -p "$work"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

if [ ! -d "$work/keycloak-$KC_VERSION" ]; then
  mvn -B -ntp -q dependency:copy -Dartifact="org.keycloak:keycloak-quarkus-dist:$KC_VERSION:zip" -DoutputDirectory="$work"
  (cd "$work" && unzip -q "keycloak-quarkus-dist-$KC_VERSION.zip")
fi
kc="$work/keycloak-$KC_VERSION"
mkdir -p "$kc/data/import" && cp deploy/keycloak/ferry-realm.json "$kc/data/import/"
JAVA_HOME="$KC_JAVA" KC_BOOTSTRAP_ADMIN_USERNAME=admin KC_BOOTSTRAP_ADMIN_PASSWORD=admin-e2e \
  "$kc/bin/kc.sh" start-dev --http-port "$KC_PORT" --http-host 127.0.0.1 --import-realm > "$work/keycloak.log" 2>&1 &
pids+=($!)

cat > "$work/registry.yml" <<YML
version: 0.1
storage: {filesystem: {rootdirectory: $PWD/$work/registry}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$REG_PORT}
YML
docker-registry serve "$work/registry.yml" > "$work/registry.log" 2>&1 &
pids+=($!)

issuer="http://127.0.0.1:$KC_PORT/realms/ferry"
for _ in $(seq 1 120); do curl -fs "$issuer/.well-known/openid-configuration" >/dev/null && break; sleep 1; done
curl -fs "$issuer/.well-known/openid-configuration" >/dev/null || { echo "Keycloak did not start"; tail -30 "$work/keycloak.log"; exit 1; }

QUARKUS_OIDC_AUTH_SERVER_URL="$issuer" QUARKUS_OIDC_CLIENT_ID=ferry QUARKUS_OIDC_TOKEN_AUDIENCE=ferry \
QUARKUS_HTTP_PORT="$FERRY_PORT" FERRY_DATA_DIR="$PWD/$work/ferry-data" \
FERRY_SECURITY_ALLOWED_REGISTRIES="127.0.0.1:$REG_PORT" \
  java -Xmx256m -Dferry.security.rules.readers.subjects=ferry-viewer,ferry-operator \
       -Dferry.security.rules.readers.repositories="*" -Dferry.security.rules.readers.actions=read \
       -Dferry.security.rules.team-a.subjects=team-a -Dferry.security.rules.team-a.repositories="*/team-a/*" \
       -Dferry.security.rules.team-a.actions=read,write \
       -Dferry.security.rules.admins.subjects=ferry-admin -Dferry.security.rules.admins.repositories="*" \
       -Dferry.security.rules.admins.actions=read,write,delete \
       -jar target/quarkus-app/quarkus-run.jar > "$work/ferry.log" 2>&1 &
pids+=($!)
ferry="http://127.0.0.1:$FERRY_PORT"
for _ in $(seq 1 60); do curl -fs "$ferry/q/health/ready" >/dev/null && break; sleep 1; done

token() { curl -fs "$issuer/protocol/openid-connect/token" -d grant_type=password -d client_id=ferry-cli \
  -d username="$1" -d password="$2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'; }
VERA=$(token vera vera-e2e); OTTO=$(token otto otto-e2e); ADA=$(token ada ada-e2e)

fails=0
expect() { # expect STATUS DESCRIPTION curl-args...
  local want=$1 what=$2; shift 2
  local got; got=$(curl -s -o "$work/last.json" -w '%{http_code}' "$@")
  if [ "$got" = "$want" ]; then echo "ok   $what ($got)"; else echo "FAIL $what: $got, expected $want: $(cat "$work/last.json")"; fails=$((fails+1)); fi
}
reg="127.0.0.1:$REG_PORT"
json=(-H 'Content-Type: application/json')
expect 401 "no token" "$ferry/api/v1/jobs"
expect 401 "a token that is not a JWT" -H "Authorization: Bearer nonsense" "$ferry/api/v1/jobs"
expect 200 "health stays open" "$ferry/q/health"
expect 200 "viewer reads the manifest digest" -H "Authorization: Bearer $VERA" "${json[@]}" -d '{"schemaVersion":2}' "$ferry/api/v1/manifest-digest"
expect 404 "viewer inspects (reaches the registry: no such image)" -H "Authorization: Bearer $VERA" "${json[@]}" \
  -d "{\"image\":\"$reg/public/none:1\",\"tlsVerify\":false}" "$ferry/api/v1/inspect"
expect 403 "viewer may not copy" -H "Authorization: Bearer $VERA" "${json[@]}" \
  -d "{\"source\":\"$reg/public/a:1\",\"destination\":\"$reg/team-a/a:1\",\"srcTlsVerify\":false,\"destTlsVerify\":false}" "$ferry/api/v1/copy"
expect 202 "operator in group team-a copies into team-a" -H "Authorization: Bearer $OTTO" "${json[@]}" \
  -d "{\"source\":\"$reg/public/a:1\",\"destination\":\"$reg/team-a/a:1\",\"srcTlsVerify\":false,\"destTlsVerify\":false}" "$ferry/api/v1/copy"
job=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$work/last.json" 2>/dev/null || echo none)
expect 403 "operator may not write outside team-a" -H "Authorization: Bearer $OTTO" "${json[@]}" \
  -d "{\"source\":\"$reg/public/a:1\",\"destination\":\"$reg/prod/a:1\",\"srcTlsVerify\":false,\"destTlsVerify\":false}" "$ferry/api/v1/copy"
expect 403 "operator may not delete" -H "Authorization: Bearer $OTTO" "${json[@]}" \
  -d "{\"image\":\"$reg/team-a/a:1\",\"tlsVerify\":false}" "$ferry/api/v1/delete"
expect 200 "operator reads its job" -H "Authorization: Bearer $OTTO" "$ferry/api/v1/jobs/$job"
expect 404 "viewer cannot see the operator's job" -H "Authorization: Bearer $VERA" "$ferry/api/v1/jobs/$job"
expect 200 "admin sees every job" -H "Authorization: Bearer $ADA" "$ferry/api/v1/jobs/$job"
expect 403 "the metadata address is refused, no connection made" -H "Authorization: Bearer $ADA" "${json[@]}" \
  -d '{"image":"169.254.169.254/x/y:1"}' "$ferry/api/v1/inspect"
if grep -q -e "vera-e2e" -e "otto-e2e" -e "ada-e2e" -e "$OTTO" "$work/ferry.log"; then echo "FAIL a secret is in Ferry's log"; fails=$((fails+1)); fi
[ "$fails" -eq 0 ] && echo "keycloak end-to-end: all passed" || { echo "keycloak end-to-end: $fails failed"; exit 1; }
