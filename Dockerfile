# syntax=docker/dockerfile:1

# Engine Room as one static binary on a distroless base: no shell, no
# package manager, a non-root user, and nothing else in the image.
#
#	docker build -t engineroom .
#	docker run --rm -p 8080:8080 -e SECRET_KEY="$(openssl rand -hex 32)" engineroom

FROM golang:1.26-bookworm AS build
WORKDIR /src

# Modules first, in their own layer, so a code change does not download
# them again.
COPY go.mod go.sum ./
RUN go mod download && go mod verify

COPY . .
# Pure Go (modernc.org/sqlite needs no cgo): a static binary that runs in
# an empty root filesystem. grpcnotrace keeps gRPC (pulled in by the OTLP
# exporter) from linking golang.org/x/net/trace, whose HTML templates make
# the linker keep every exported method of every type: 10 MiB with the
# Redis client.
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -tags grpcnotrace -trimpath -ldflags "-s -w" -o /out/engineroom ./cmd/engineroom

FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title="Engine Room" \
      org.opencontainers.image.description="A back-end concepts playground: live demos that show what the front end saw and what the back end did."
COPY --from=build /out/engineroom /engineroom
USER nonroot:nonroot
# The server listens on :8080 unless ADDR or PORT says otherwise.
EXPOSE 8080
# The image has no shell or curl: the binary checks itself.
HEALTHCHECK --interval=15s --timeout=3s --start-period=5s CMD ["/engineroom", "healthcheck"]
ENTRYPOINT ["/engineroom"]
