# Build the slim jar (no embedded PostgreSQL or Redis binaries: the container is given HOOKRELAY_DATABASE_URL and
# HOOKRELAY_REDIS_URL), then run it on a JRE as a non-root user.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY conf conf
COPY src src
# CI runs `mvn -B verify` (the same build with the tests); a docker build has no user namespaces for the embedded
# test servers, so the tests are CI's part, and -Pslim leaves the embedded binaries out of the image's jar.
RUN mvn -B -Pslim -DskipTests package

FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 1001 hookrelay && useradd --system --uid 1001 --gid 1001 --home /app hookrelay \
    && mkdir -p /app /data && chown -R hookrelay:hookrelay /app /data
WORKDIR /app
COPY --from=build /src/target/hookrelay.jar /app/hookrelay.jar
COPY conf conf
COPY LICENSE /app/LICENSE
ENV HOOKRELAY_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
USER 1001
# No curl in this image: the jar checks /ready itself (exit 0 on 200), in a small JVM.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["java", "-Xmx24m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", "/app/hookrelay.jar", "healthcheck"]
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/app/hookrelay.jar"]
