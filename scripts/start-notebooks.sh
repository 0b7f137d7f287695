#!/usr/bin/env bash
# `npm start`: the notebook experience. Sets up what is missing
# (scripts/setup.sh: Debian packages, npm packages, the build, guest
# programs), installs the "viperdos" kernelspec for the user, then serves
# notebooks/ on 127.0.0.1 with JupyterLab where one is installed, otherwise
# Debian's Jupyter Notebook, and prints the URL with its token.
#
#   scripts/start-notebooks.sh [--port N] [--no-browser] [--no-setup]
#
#   --port N      listen on N (default $VIPERDOS_NOTEBOOK_PORT, else 8888 or,
#                 when 8888 is taken, a free port); 0 picks a free port
#   --no-browser  do not open a browser (also the case with no terminal/display)
#   --no-setup    skip scripts/setup.sh (the build must already be in dist/)
#
# With no terminal (a launcher, a service, CI) it runs the same way: nothing
# is asked, the browser is not opened, and the URL also goes to
# build/notebook-server.json ({"url", "port", "token", "pid", "server"}; the
# path can be changed with $VIPERDOS_NOTEBOOK_STATE).
# The token is random per start unless $VIPERDOS_NOTEBOOK_TOKEN is set.
# Stop with Ctrl+C or SIGTERM: the server is stopped with the script.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

log() { echo "[start] $*" >&2; }
die() { echo "[start] error: $*" >&2; exit 1; }

port=${VIPERDOS_NOTEBOOK_PORT:-8888}
port_given=${VIPERDOS_NOTEBOOK_PORT:+1}
browser=1
setup=1
while [ $# -gt 0 ]; do
  case "$1" in
    --port) [ $# -ge 2 ] || die "--port needs a number"; port=$2; port_given=1; shift 2 ;;
    --port=*) port=${1#--port=}; port_given=1; shift ;;
    --no-browser) browser=0; shift ;;
    --no-setup) setup=0; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (try --help)" ;;
  esac
done
[[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -le 65535 ] || die "--port must be 0..65535, not '$port'"

# No terminal or no display: never try to open a browser.
if [ ! -t 1 ] || { [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ "$(uname)" = Linux ]; }; then browser=0; fi

if [ "$setup" = 1 ]; then
  bash scripts/setup.sh </dev/null   # includes scripts/browser-deps.sh (the notebook server)
fi
[ -f dist/bin/viperdos.js ] || die "dist/bin/viperdos.js is missing: run 'npm run build' (or drop --no-setup)"

# The kernelspec for this user ($JUPYTER_DATA_DIR or ~/.local/share/jupyter).
node dist/bin/viperdos.js kernel install --user >&2

# Port 0, or the default one already taken (a second `npm start`): a free port.
port_free() { node -e 'const s=require("net").createServer();s.on("error",()=>process.exit(1));s.listen(+process.argv[1],"127.0.0.1",()=>s.close())' "$1"; }
if [ "$port" != 0 ] && [ -z "$port_given" ] && ! port_free "$port"; then
  log "port $port is taken; using a free one (--port N to choose)"
  port=0
fi
if [ "$port" = 0 ]; then
  port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
fi
token=${VIPERDOS_NOTEBOOK_TOKEN:-$(node -e 'console.log(require("crypto").randomBytes(24).toString("hex"))')}

# JupyterLab where installed, otherwise Debian's classic Jupyter Notebook.
if command -v jupyter-lab >/dev/null 2>&1; then
  server=jupyterlab
  cmd=(jupyter-lab --ServerApp.ip=127.0.0.1 --ServerApp.port="$port" --ServerApp.port_retries=0
       --ServerApp.root_dir="$ROOT/notebooks" --IdentityProvider.token="$token" --ServerApp.token="$token")
  path="lab"
elif command -v jupyter-notebook >/dev/null 2>&1; then
  server=notebook
  cmd=(jupyter-notebook --NotebookApp.ip=127.0.0.1 --NotebookApp.port="$port" --NotebookApp.port_retries=0
       --NotebookApp.notebook_dir="$ROOT/notebooks" --NotebookApp.token="$token")
  path="tree"
else
  die "no notebook server: install Debian's jupyter-notebook (scripts/browser-deps.sh does)"
fi
[ "$browser" = 1 ] || cmd+=(--no-browser)
# Jupyter refuses root without this (containers and CI machines run as root).
[ "$(id -u)" != 0 ] || cmd+=(--allow-root)

log "starting $server on 127.0.0.1:$port (notebooks/)"
state=${VIPERDOS_NOTEBOOK_STATE:-build/notebook-server.json}
mkdir -p "$(dirname "$state")"
"${cmd[@]}" </dev/null &
pid=$!
stop() { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
trap 'stop; exit 0' INT TERM
trap stop EXIT

# Wait until it answers (at most 60 s), then announce the URL.
url="http://127.0.0.1:$port/$path?token=$token"
if ! node -e '
  const [port, token, pid] = process.argv.slice(1);
  const until = Date.now() + 60000;
  const alive = () => { try { process.kill(+pid, 0); return true; } catch { return false; } };
  (async () => {
    while (Date.now() < until && alive()) {
      try { const r = await fetch(`http://127.0.0.1:${port}/api/status?token=${token}`); if (r.ok) process.exit(0); } catch {}
      await new Promise((r) => setTimeout(r, 250));
    }
    process.exit(1);
  })();' "$port" "$token" "$pid"; then
  kill -0 "$pid" 2>/dev/null || die "$server exited before it answered (is port $port taken?)"
  die "$server did not answer on 127.0.0.1:$port within 60 s"
fi
node -e 'const [f, url, port, token, pid, server] = process.argv.slice(1);
  require("fs").writeFileSync(f, JSON.stringify({ url, port: +port, token, pid: +pid, server }, null, 2) + "\n", { mode: 0o600 })' \
  "$state" "$url" "$port" "$token" "$pid" "$server"
echo
echo "ViperDOS notebooks ($server) are served at:"
echo "    $url"
echo "Open that URL in a browser, pick a notebook, kernel \"ViperDOS\". Ctrl+C stops the server."
echo
wait "$pid"
