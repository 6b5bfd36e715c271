#!/usr/bin/env bash
# OBS Studio end to end (not in CI): starts the host with broadcasting on, a real OBS Studio (Debian's
# obs-studio) under Xvfb with a generated profile (custom SRT server) and scene collection (one image
# source), `obs --startstreaming` to the host over SRT, records the host's SRT output with ffmpeg for
# 20 s, and saves a screenshot of OBS and a frame of the result under docs/images/.
# Usage: scripts/obs-broadcast.sh [host args...]   (e.g. --model /path/to/sd-turbo-pack)
# Needs: obs-studio xvfb imagemagick ffmpeg (apt-get install -y obs-studio xvfb imagemagick ffmpeg).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in obs Xvfb import ffmpeg dotnet; do
  command -v "$tool" >/dev/null || { echo "missing: $tool (apt-get install -y obs-studio xvfb imagemagick ffmpeg)" >&2; exit 2; }
done

key=obs
srt_port=${SRT_PORT:-19100}
out_port=${SRT_OUTPUT_PORT:-19101}
http_port=${HTTP_PORT:-18180}
image=$(realpath ../shared/data/images/astronaut.png)
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

dll=src/StreamHost/bin/Release/net10.0/streamhost.dll
[ -f "$dll" ] || dotnet build src/StreamHost -c Release -v q -nologo
dotnet "$dll" serve --grpc http://127.0.0.1:0 --http "http://127.0.0.1:$http_port" \
  --Broadcast:Enabled=true --Broadcast:SrtPort="$srt_port" --Broadcast:SrtOutputPort="$out_port" --Broadcast:RtmpPort=-1 \
  --Broadcast:SrtLatencyMs=40 --Broadcast:Keys:$key:Prompt="an oil painting of an astronaut" \
  --Broadcast:Keys:$key:Width=512 --Broadcast:Keys:$key:Height=512 "$@" > "$work/host.log" 2>&1 &
pids+=($!)
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$http_port/healthz" >/dev/null && break; sleep 1; done

# OBS configuration: a profile streaming to the host's SRT port, a scene with the photo filling 1280x720.
cfg="$work/config/obs-studio"
mkdir -p "$cfg/basic/profiles/Broadcast" "$cfg/basic/scenes"
cat > "$cfg/global.ini" <<INI
[General]
FirstRun=true
LastVersion=486539266
EnableAutoUpdates=false
[Basic]
Profile=Broadcast
ProfileDir=Broadcast
SceneCollection=Broadcast
SceneCollectionFile=Broadcast
ConfigOnNewProfile=false
INI
cat > "$cfg/basic/profiles/Broadcast/basic.ini" <<INI
[General]
Name=Broadcast
[Video]
BaseCX=1280
BaseCY=720
OutputCX=1280
OutputCY=720
FPSType=0
FPSCommon=30
[Output]
Mode=Simple
[SimpleOutput]
StreamEncoder=x264
VBitrate=2500
Preset=ultrafast
x264Settings=keyint=30 tune=zerolatency
INI
cat > "$cfg/basic/profiles/Broadcast/service.json" <<JSON
{"type": "rtmp_custom", "settings": {"server": "srt://127.0.0.1:$srt_port?streamid=$key&latency=40000", "key": "", "use_auth": false}}
JSON
cat > "$cfg/basic/scenes/Broadcast.json" <<JSON
{
  "name": "Broadcast", "current_scene": "Scene", "current_program_scene": "Scene",
  "scene_order": [{"name": "Scene"}],
  "sources": [
    {"id": "image_source", "versioned_id": "image_source", "name": "Photo", "settings": {"file": "$image"}},
    {"id": "scene", "versioned_id": "scene", "name": "Scene",
     "settings": {"id_counter": 1, "items": [{"name": "Photo", "id": 1, "visible": true, "pos": {"x": 0, "y": 0},
       "scale": {"x": 1, "y": 1}, "bounds_type": 2, "bounds": {"x": 1280, "y": 720}, "bounds_align": 0}]}}
  ]
}
JSON

export DISPLAY=:97
Xvfb "$DISPLAY" -screen 0 1600x900x24 > "$work/xvfb.log" 2>&1 &
pids+=($!)
sleep 2
XDG_CONFIG_HOME="$work/config" LIBGL_ALWAYS_SOFTWARE=1 obs --startstreaming --disable-shutdown-check --disable-updater \
  --profile Broadcast --collection Broadcast --scene Scene > "$work/obs.log" 2>&1 &
pids+=($!)

# Wait for the broadcast to go live, then record the output for 20 s.
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$http_port/broadcasts" | grep -q '"live"' && break; sleep 1; done
curl -sf "http://127.0.0.1:$http_port/broadcasts" | grep -q '"live"' || { echo "OBS never went live"; tail -20 "$work/obs.log"; tail -20 "$work/host.log"; exit 1; }
mkdir -p docs/images
ffmpeg -hide_banner -loglevel error -y -i "srt://127.0.0.1:$out_port?streamid=$key&latency=40000" -t 20 -c copy "$work/output.ts" &
rec=$!
sleep 8
import -window root -resize 1280x720 -quality 85 docs/images/obs-studio.jpg
wait "$rec"
ffmpeg -hide_banner -loglevel error -y -sseof -2 -i "$work/output.ts" -frames:v 1 -q:v 3 docs/images/obs-result.jpg
frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$work/output.ts" | head -1)
echo "recorded 20 s of host output: $frames frames; docs/images/obs-studio.jpg, docs/images/obs-result.jpg"
curl -s "http://127.0.0.1:$http_port/metrics" | grep '^streamdiffusion_broadcast_\(frames_total\|latency_seconds_sum\|latency_seconds_count\)'
