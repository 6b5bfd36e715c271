#!/usr/bin/env bash
# Installs the Debian packages the host and its tests need at run time when they are missing:
#   libgtk-3-0  OpenCvSharp's official Linux runtime links against it
# Extra packages can be asked for by name (e.g. ffmpeg chromium nodejs npm); each is installed only
# when its command or library is absent. Works as root or through sudo.
set -euo pipefail

need=()
if ! ldconfig -p 2>/dev/null | grep -q 'libgtk-3\.so\.0'; then
  need+=(libgtk-3-0)
fi
for pkg in "$@"; do
  case "$pkg" in
    ffmpeg)   command -v ffmpeg   >/dev/null 2>&1 || need+=(ffmpeg) ;;
    chromium) command -v chromium >/dev/null 2>&1 || need+=(chromium) ;;
    nodejs)   command -v node     >/dev/null 2>&1 || need+=(nodejs) ;;
    npm)      command -v npm      >/dev/null 2>&1 || need+=(npm) ;;
    *)        dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg") ;;
  esac
done

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

echo "Installing missing Debian packages: ${need[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo)
  else
    echo "error: need root (or sudo) to install: ${need[*]}" >&2
    exit 1
  fi
fi
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
