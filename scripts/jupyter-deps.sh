#!/usr/bin/env bash
# Debian's Jupyter clients, used by the kernel-bridge tests (test/jupyter*.test.ts)
# and the notebook runs: jupyter_client (KernelManager), jupyter_core,
# nbclient and nbconvert. Installs only what is missing; quiet otherwise.
set -euo pipefail

log() { echo "[jupyter-deps] $*" >&2; }

need=()
/usr/bin/python3 -c "import jupyter_client" >/dev/null 2>&1 || need+=(python3-jupyter-client)
/usr/bin/python3 -c "import jupyter_core" >/dev/null 2>&1 || need+=(python3-jupyter-core)
/usr/bin/python3 -c "import nbclient" >/dev/null 2>&1 || need+=(python3-nbclient)
/usr/bin/python3 -c "import nbconvert" >/dev/null 2>&1 || need+=(python3-nbconvert)
if [ ${#need[@]} -gt 0 ]; then
  log "installing Debian packages: ${need[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo -n"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >/dev/null || true
  $SUDO apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
