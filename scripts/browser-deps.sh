#!/usr/bin/env bash
# What the notebook experience needs beyond the Jupyter clients
# (scripts/jupyter-deps.sh), all from Debian, installed only when missing:
#   jupyter-notebook        the notebook server `npm start` runs when no JupyterLab is installed
#   python3-jupyter-server  the server test/jupyter-server.test.ts drives with @jupyterlab/services
#   jupyter-core            /usr/bin/jupyter (its subcommands: nbconvert, notebook, kernelspec)
#   jupyter-nbconvert       `jupyter nbconvert --to html` (test/browser.test.ts)
#   chromium                the headless browser playwright-core drives (never a downloaded one)
# Quiet when everything is there. SKIP_BROWSER=1 leaves chromium out.
set -euo pipefail

cd "$(dirname "$0")/.."
. scripts/apt-lib.sh

need=()
command -v jupyter-lab >/dev/null 2>&1 || command -v jupyter-notebook >/dev/null 2>&1 || need+=(jupyter-notebook)
/usr/bin/python3 -c "import jupyter_server" >/dev/null 2>&1 || need+=(python3-jupyter-server)
[ -x /usr/bin/jupyter ] || need+=(jupyter-core)
[ -x /usr/bin/jupyter-nbconvert ] || need+=(jupyter-nbconvert)
if [ "${SKIP_BROWSER:-}" != 1 ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
fi
apt_install ${need[@]+"${need[@]}"}
