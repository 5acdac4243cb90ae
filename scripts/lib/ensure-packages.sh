# Sourced by scripts/test and scripts/demo: installs the Debian packages the build needs.
# As root it runs apt-get itself; otherwise it says exactly what to install and stops.
# tmux drives the terminal tests (completion, history, pager, Ctrl-D); they skip without it.
QAT_PACKAGES=(libedit-dev libpng-dev tmux)

ensure_packages() {
  local missing=()
  for pkg in "${QAT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ]; then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # A fresh machine may have no package lists yet: update, then install.
    apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || {
      apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null
    } || { echo "error: apt-get could not install ${missing[*]}" >&2; exit 1; }
  else
    echo "error: missing system packages: ${missing[*]}" >&2
    echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
}

if ! command -v swift >/dev/null 2>&1; then
  echo "error: the Swift toolchain (6.0 or later) is not on PATH; see https://swift.org/install" >&2
  exit 1
fi
