# A small image of obbackup for pipelines and Kubernetes jobs: a static musl
# binary without the sandbox, on Alpine (the monitoring CronJob in
# examples/monitoring needs a shell), running as an unprivileged user.
#   docker build -t obbackup .
#   docker run --rm -e OBBACKUP_DSN obbackup plan /work/cluster.hcl

FROM rust:1.95-alpine AS build
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY . .
RUN cargo build --release --locked --no-default-features -p obbackup

FROM alpine:3.20
COPY --from=build /src/target/release/obbackup /usr/local/bin/obbackup
USER 65532:65532
ENTRYPOINT ["obbackup"]
