# CUDA runtime image of the StreamDiffusion.Net host (GPU build of ONNX Runtime: CUDA 13, cuDNN 9).
#   docker build -t streamdiffusion-net .
#   docker run --gpus all -p 50051:50051 -p 8080:8080 -v /srv/models:/models:ro streamdiffusion-net \
#     --model /models/sd-turbo --provider CUDA
# Broadcast ingest/output (docs/broadcasting.md) is off unless Broadcast__Enabled=true; then also publish
#   -p 9000:9000/udp (SRT in) -p 9001:9001/udp (SRT out) -p 1935:1935 (RTMP in).
# Without --model the host serves its embedded synthetic default (generated into the /cache volume on first start).
# Kept in step with the project by tests/StreamDiffusion.LoadTest.Tests/DockerfileTests.cs (no Docker engine in CI).

# --- build: the SDK publishes the host against the GPU package of ONNX Runtime ---
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY .editorconfig Directory.Build.props Directory.Packages.props StreamDiffusion.Net.sln ./
COPY src/ src/
RUN dotnet publish src/StreamHost/StreamDiffusion.StreamHost.csproj -c Release -o /app -p:OnnxRuntimeGpu=true

# --- dotnet: only a source of the ASP.NET Core runtime files ---
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS dotnet

# --- runtime: CUDA 13 + cuDNN 9, the .NET runtime copied in, run as an unprivileged user ---
FROM nvidia/cuda:13.0.0-cudnn-runtime-ubuntu24.04 AS runtime
# libgtk-3-0: OpenCvSharp's Linux runtime links against it. ICU for globalization-aware logging. curl: HEALTHCHECK.
# ffmpeg (decoder, x264 encoder, RTMP remuxer and HLS segmenter of the broadcast path) and libsrt1.5-gnutls (the
# host's own SRT listeners load it; the distribution's ffmpeg links the same library).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgtk-3-0 libicu74 ca-certificates curl ffmpeg libsrt1.5-gnutls \
 && rm -rf /var/lib/apt/lists/*
COPY --from=dotnet /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
 && groupadd --system --gid 10001 streamdiffusion \
 && useradd --system --uid 10001 --gid streamdiffusion --home-dir /cache --shell /usr/sbin/nologin streamdiffusion \
 && mkdir -p /cache /models \
 && chown streamdiffusion:streamdiffusion /cache
COPY --from=build /app /app
# Listen on all interfaces inside the container; the drain deadline matches the Kubernetes grace period (deploy/).
ENV STREAMDIFFUSION_CACHE=/cache \
    Listen__GrpcUrl=http://0.0.0.0:50051 \
    Listen__HttpUrl=http://0.0.0.0:8080 \
    Broadcast__BindAddress=0.0.0.0 \
    Capacity__DrainTimeout=00:00:20
# Model packs (read-only) and the cache of generated/converted models (writable).
VOLUME ["/models", "/cache"]
# gRPC, web; SRT ingest and output (UDP), RTMP ingest: the Broadcast section's default ports.
EXPOSE 50051 8080 9000/udp 9001/udp 1935/tcp
USER 10001:10001
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
WORKDIR /app
ENTRYPOINT ["dotnet", "streamhost.dll", "serve"]
