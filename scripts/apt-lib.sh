# Shared by the set-up scripts: install Debian packages, only when some are
# missing (callers decide what is missing). Uses sudo -n when not root.
apt_install() {
  [ $# -gt 0 ] || return 0
  echo "[setup] installing Debian packages: $*" >&2
  local sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo -n"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q >/dev/null || true
  $sudo apt-get install -y -q --no-install-recommends "$@" >/dev/null
}
