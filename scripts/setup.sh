#!/usr/bin/env bash
# One set-up for a fresh Debian 12 machine with Node 20: installs what is
# missing (apt packages, npm packages), builds the TypeScript and the guest
# programs. Idempotent and quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "[setup] $*" >&2; }
. scripts/apt-lib.sh

# --- Debian packages: the guest toolchain and the reference CPU -------------
need=()
command -v clang >/dev/null 2>&1 || need+=(clang)
command -v ld.lld >/dev/null 2>&1 || need+=(lld)
command -v llvm-objdump >/dev/null 2>&1 || need+=(llvm)
command -v qemu-aarch64 >/dev/null 2>&1 || need+=(qemu-user)
command -v tmux >/dev/null 2>&1 || need+=(tmux)   # drives the shell through a real pseudo-terminal in tests
apt_install ${need[@]+"${need[@]}"}

# Debian's Jupyter clients (jupyter_client, nbclient, nbconvert) drive our
# Jupyter kernel in the tests; installed only when missing.
bash scripts/jupyter-deps.sh
# The notebook server (npm start), jupyter-server, nbconvert's command and
# Debian's chromium for the browser check.
bash scripts/browser-deps.sh

# --- npm packages: reinstall only when the lock file changed ----------------
lockhash=$(sha256sum package-lock.json | cut -c1-16)
if [ ! -f node_modules/.setup-stamp ] || [ "$(cat node_modules/.setup-stamp)" != "$lockhash" ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  echo "$lockhash" > node_modules/.setup-stamp
fi

# --- TypeScript build and guest programs --------------------------------------
log "building TypeScript"
npx tsc -p tsconfig.build.json
log "building guest programs"
node dist/viperdos/tools/build-guest.js
