#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine: Go modules, and
# Debian's chromium (browser end-to-end tests), nodejs (wasm/simd's tests), python3-numpy and python3-pot
# (fixture generators, reference checks), python3-torch, python3-torchvision
# and python3-pil (the feature exporter's test). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
# Node runs the GOOS=js tests of the browser's SIMD kernels (make test-simd).
command -v node >/dev/null 2>&1 || need+=(nodejs)
/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1 || need+=(python3-numpy)
/usr/bin/python3 -c 'import ot' >/dev/null 2>&1 || need+=(python3-pot)
# The feature exporter's test (scripts/export_features.py): CPU PyTorch.
# (Asked of dpkg: importing torch takes seconds.)
for p in python3-torch python3-torchvision python3-pil; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: please install as root: apt-get install ${need[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
go mod download
# The browser tests are a module of their own (e2e/go.mod: chromedp).
(cd e2e && go mod download)
