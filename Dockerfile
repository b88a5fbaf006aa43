# Builds Ferry from source and runs the Quarkus fast-jar on a JRE.
#   docker build -t ferry . && docker run -p 8080:8080 -e QUARKUS_HTTP_HOST=0.0.0.0 ferry
# (QUARKUS_HTTP_HOST=0.0.0.0 leaves local mode's loopback-only default; put Ferry behind auth.)
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -ntp -q dependency:go-offline
COPY src src
COPY openapi openapi
RUN mvn -B -ntp -q package -DskipTests

FROM eclipse-temurin:17-jre
WORKDIR /app
COPY --from=build /src/target/quarkus-app/lib/ lib/
COPY --from=build /src/target/quarkus-app/*.jar ./
COPY --from=build /src/target/quarkus-app/app/ app/
COPY --from=build /src/target/quarkus-app/quarkus/ quarkus/
USER 185
EXPOSE 8080
ENV JAVA_OPTS_APPEND="-Xmx256m -XX:+UseParallelGC"
ENTRYPOINT ["sh", "-c", "exec java $JAVA_OPTS_APPEND -jar quarkus-run.jar"]
