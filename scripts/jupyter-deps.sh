#!/usr/bin/env bash
# Debian's Jupyter clients, used by the kernel-bridge tests (test/jupyter*.test.ts)
# and the notebook runs: jupyter_client (KernelManager), jupyter_core,
# nbclient and nbconvert. Installs only what is missing; quiet otherwise.
set -euo pipefail

cd "$(dirname "$0")/.."
. scripts/apt-lib.sh

need=()
/usr/bin/python3 -c "import jupyter_client" >/dev/null 2>&1 || need+=(python3-jupyter-client)
/usr/bin/python3 -c "import jupyter_core" >/dev/null 2>&1 || need+=(python3-jupyter-core)
/usr/bin/python3 -c "import nbclient" >/dev/null 2>&1 || need+=(python3-nbclient)
/usr/bin/python3 -c "import nbconvert" >/dev/null 2>&1 || need+=(python3-nbconvert)
apt_install ${need[@]+"${need[@]}"}
