#!/usr/bin/env bash
# Makes Ferry's base image without any public registry: a jlink'd Java 17 runtime from this machine's JDK, the shared
# libraries it links against, busybox (sh and wget: the entrypoint and the health check), CA certificates, and a
# non-root user "ferry" (uid/gid 185) owning /data and /tmp. Built with buildah from scratch and committed as
#   ${BASE_IMAGE:-localhost/ferry-jre:17}
# Needs: buildah, a JDK 17 with jmods (Debian: openjdk-17-jdk-headless + openjdk-17-jmods), busybox-static, ca-certificates-java.
set -euo pipefail
JDK=${JDK:-/usr/lib/jvm/java-17-openjdk-amd64}
BASE_IMAGE=${BASE_IMAGE:-localhost/ferry-jre:17}
MODULES=${MODULES:-java.se,jdk.unsupported,jdk.crypto.ec,jdk.crypto.cryptoki,jdk.zipfs,jdk.naming.dns,jdk.management,jdk.localedata}

need=()
[ -d "$JDK/jmods" ] || need+=(openjdk-17-jmods)
command -v busybox >/dev/null 2>&1 || [ -x /bin/busybox ] || need+=(busybox-static)
command -v buildah >/dev/null 2>&1 || need+=(buildah)
[ -f /etc/ssl/certs/java/cacerts ] || need+=(ca-certificates-java)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${need[@]}"
fi
BUSYBOX=$(command -v busybox || echo /bin/busybox)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
mkdir -p "$root"/{etc,bin,tmp,data,app,usr/lib,lib64}
chmod 1777 "$root/tmp"

echo "jlink: $MODULES"
"$JDK/bin/jlink" --module-path "$JDK/jmods" --add-modules "$MODULES" --strip-debug --no-man-pages \
  --no-header-files --compress=2 --output "$root/opt/java"
# Debian's JDK keeps its CA store outside the JDK (a symlink): put the real file in.
rm -f "$root/opt/java/lib/security/cacerts"
cp -L /etc/ssl/certs/java/cacerts "$root/opt/java/lib/security/cacerts"

# Shared libraries the runtime links against (and the loader), copied with their paths.
libs=$( { ldd "$root/opt/java/bin/java"; find "$root/opt/java/lib" -name '*.so' -exec ldd {} \; ; } 2>/dev/null \
  | awk '/=> \//{print $3} /^\s*\/lib/{print $1}' | sort -u)
for l in $libs /lib64/ld-linux-x86-64.so.2; do
  [ -e "$l" ] || continue
  mkdir -p "$root$(dirname "$l")"
  cp -L "$l" "$root$l"
done
# glibc reads these for user and host lookups
cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
ferry:x:185:185:Ferry:/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > "$root/etc/group" <<'GROUP'
root:x:0:
ferry:x:185:
nobody:x:65534:
GROUP
echo 'hosts: files dns' > "$root/etc/nsswitch.conf"
cp "$BUSYBOX" "$root/bin/busybox"
for tool in sh wget id ls cat touch mkdir env; do ln -s busybox "$root/bin/$tool"; done

# Ownership travels in a tar (buildah copy would make everything root's): /data belongs to ferry, the rest to root.
chown -R 0:0 "$root"
chown 185:185 "$root/data"
tar -C "$root" --numeric-owner -cf "$work/rootfs.tar" .
ctr=$(buildah from scratch)
buildah add "$ctr" "$work/rootfs.tar" / >/dev/null
buildah config --env JAVA_HOME=/opt/java --env PATH=/opt/java/bin:/bin --user 185:185 \
  --label org.opencontainers.image.description="Java 17 runtime (jlink) for Ferry, made locally from $JDK" "$ctr"
buildah commit --rm "$ctr" "$BASE_IMAGE" >/dev/null
echo "made $BASE_IMAGE ($(buildah images --format '{{.Size}}' "$BASE_IMAGE"))"
