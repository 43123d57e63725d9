# syntax=docker/dockerfile:1
# Build: docker build -t case-tracker .
# Run:   docker run -p 8080:8080 -v case-tracker-data:/data case-tracker

FROM rust:1.95-slim-bookworm AS chef
# libpq for the PostgreSQL backend; SQLite is compiled in.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev pkg-config \
    && rm -rf /var/lib/apt/lists/* \
    && cargo install cargo-chef --locked --version 0.1.78
WORKDIR /app

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /app/recipe.json recipe.json
# Dependencies only: this layer is reused until Cargo.toml or Cargo.lock change.
RUN cargo chef cook --release --recipe-path recipe.json
COPY . .
RUN cargo build --release --locked --bin case-tracker

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin tracker \
    && mkdir -p /data \
    && chown tracker:tracker /data
WORKDIR /app
COPY --from=builder /app/target/release/case-tracker /usr/local/bin/case-tracker
COPY config /app/config
ENV APP_ENVIRONMENT=production \
    APP_APPLICATION__HOST=0.0.0.0 \
    APP_APPLICATION__PORT=8080 \
    APP_DATABASE__URL=sqlite:///data/case-tracker.db \
    APP_ALERTS__MAIL_DIR=/data/mail \
    APP_LOG__FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
USER tracker
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["case-tracker", "healthcheck"]
ENTRYPOINT ["case-tracker"]
CMD ["serve"]
