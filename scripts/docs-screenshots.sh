#!/usr/bin/env bash
# Regenerates the README's screenshots under docs/images/ from the current build, on the embedded
# synthetic default: the web page (driven by the headless-Chromium page test) and a render of a photo
# from ../shared/data/images (input left, output right). Needs ffmpeg, node and chromium (./test.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build StreamDiffusion.Net.sln -c Release -v q -nologo
images=docs/images
mkdir -p "$images"

# The page test saves its screenshots next to the test binaries.
dotnet test tests/StreamDiffusion.StreamHost.Tests -c Release --no-build --nologo \
  --filter "FullyQualifiedName~WebPageTests" --logger "console;verbosity=minimal"
shots=tests/StreamDiffusion.StreamHost.Tests/bin/Release/net10.0/web-screenshots
ffmpeg -loglevel error -y -i "$shots/page-2.png" -q:v 3 "$images/web-page-synthetic.jpg"

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
dotnet src/StreamHost/bin/Release/net10.0/streamhost.dll render --input ../shared/data/images \
  --output "$out/frames" --prompt "a watercolor painting" --size 512
ffmpeg -loglevel error -y -i ../shared/data/images/astronaut.png -i "$out/frames/frame_000000.png" \
  -filter_complex "[0]scale=512:512:force_original_aspect_ratio=increase,crop=512:512[a];[1]scale=512:512[b];[a][b]hstack" \
  -q:v 3 "$images/render-astronaut.jpg"
echo "wrote $images/web-page-synthetic.jpg and $images/render-astronaut.jpg"
