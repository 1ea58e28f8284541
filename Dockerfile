# Build with the same command CI uses to produce the jar, then run it on a JRE as a non-root user.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY conf conf
COPY src src
# CI runs `mvn -B verify` with the tests; a docker build has no user namespaces for the embedded test servers.
RUN mvn -B -DskipTests verify

FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 1001 hookrelay && useradd --system --uid 1001 --gid 1001 --home /app hookrelay \
    && mkdir -p /app /data && chown -R hookrelay:hookrelay /app /data
WORKDIR /app
COPY --from=build /src/target/hookrelay.jar /app/hookrelay.jar
COPY conf /app/conf
ENV HOOKRELAY_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
USER 1001
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/app/hookrelay.jar"]
