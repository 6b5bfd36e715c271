# CUDA runtime image of the StreamDiffusion.Net host (GPU build of ONNX Runtime: CUDA 13, cuDNN 9).
#   docker build -t streamdiffusion-net .
#   docker run --gpus all -p 50051:50051 -p 8080:8080 -v /models/sd-turbo:/models/sd-turbo:ro streamdiffusion-net \
#     --model /models/sd-turbo --provider CUDA
# Without --model the host serves its embedded synthetic default (generated into /cache on first start).

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props StreamDiffusion.Net.sln ./
COPY src/ src/
RUN dotnet publish src/StreamHost/StreamDiffusion.StreamHost.csproj -c Release -o /app -p:OnnxRuntimeGpu=true

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS dotnet

FROM nvidia/cuda:13.0.0-cudnn-runtime-ubuntu24.04
# libgtk-3-0: OpenCvSharp's Linux runtime links against it. ICU for globalization-aware logging.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgtk-3-0 libicu74 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
COPY --from=dotnet /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
COPY --from=build /app /app
ENV STREAMDIFFUSION_CACHE=/cache \
    Listen__GrpcUrl=http://0.0.0.0:50051 \
    Listen__HttpUrl=http://0.0.0.0:8080
VOLUME /cache
EXPOSE 50051 8080
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
WORKDIR /app
ENTRYPOINT ["dotnet", "streamhost.dll", "serve"]
