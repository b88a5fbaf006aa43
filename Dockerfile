# Ferry's image: the Quarkus fast-jar (built first with `mvn -B -ntp package -DskipTests`) on a Java 17 runtime.
# No public registry is needed: the base is a build argument, by default the runtime deploy/image/make-jre-base.sh
# makes from this machine's JDK (jlink + busybox, user ferry = 185). Any JRE 17 image with sh and wget works too.
#   bash deploy/image/make-jre-base.sh
#   buildah bud --format docker -t localhost/ferry:0.1.0 .      (docker format: keeps the HEALTHCHECK)
#   podman run --read-only -v ferry-data:/data -p 8080:8080 localhost/ferry:0.1.0
# deploy/image/prove.sh does all of it and a copy through the container.
ARG BASE_IMAGE=localhost/ferry-jre:17
FROM ${BASE_IMAGE}
WORKDIR /app
# Root-owned and read-only at run time; only /data (the job store) and /tmp are written.
COPY target/quarkus-app/lib/ /app/lib/
COPY target/quarkus-app/*.jar /app/
COPY target/quarkus-app/app/ /app/app/
COPY target/quarkus-app/quarkus/ /app/quarkus/
USER 185:185
# QUARKUS_HTTP_HOST=0.0.0.0 leaves local mode's loopback-only default so the port can be published: configure
# secured mode (README "Security") or keep the port private.
ENV FERRY_DATA_DIR=/data \
    QUARKUS_HTTP_HOST=0.0.0.0 \
    QUARKUS_HTTP_PORT=8080 \
    JAVA_OPTS_APPEND="-Xmx256m -XX:+UseParallelGC -Djava.io.tmpdir=/tmp"
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["sh", "-c", "wget -q -O /dev/null http://127.0.0.1:${QUARKUS_HTTP_PORT}/q/health/ready"]
ENTRYPOINT ["sh", "-c", "exec java $JAVA_OPTS_APPEND -jar /app/quarkus-run.jar"]
