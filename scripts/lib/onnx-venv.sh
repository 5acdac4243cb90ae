# Sourced by the ONNX scripts (scripts/check-onnx, scripts/onnx/*) and the peer benchmark
# (scripts/pytorch/bench-scale): `onnx_venv` prints the path of a Python venv with ONNX Runtime, onnx,
# numpy and Pillow at pinned versions, `torch_venv` one with PyTorch (CPU) and ONNX Runtime, each created
# from PyPI on first use (`pinned_venv NAME PINS…`). The venv is cached under
# ${QAT_VENV_DIR:-$HOME/.cache/qat-repl}, in a folder named by a hash of the pins and of the Python
# that made it, so changing a pin (or the Python) makes a new one and never mixes versions. Progress
# goes to stderr: stdout carries only the path.
# Needs python3 with the venv module (Debian: python3-venv); QAT_PYTHON names another interpreter.
# Safe under `set -euo pipefail`.
QAT_ONNX_PINS=(onnxruntime==1.32.0 onnx==1.23.2 numpy==2.4.6 pillow==13.0.0)
# PyPI's torch wheel pulls its CUDA libraries too (about 3 GB, once); the benchmark runs it on the CPU.
QAT_TORCH_PINS=(torch==2.15.0 onnxruntime==1.32.0 onnx==1.23.2 numpy==2.4.6)

onnx_venv() { pinned_venv onnx "${QAT_ONNX_PINS[@]}"; }
torch_venv() { pinned_venv torch "${QAT_TORCH_PINS[@]}"; }

# pinned_venv NAME PIN…: the venv NAME with exactly these pins, made on first use.
pinned_venv() {
  local name="$1"
  shift
  local pins=("$@")
  local python="${QAT_PYTHON:-python3}"
  if ! command -v "$python" >/dev/null 2>&1; then
    echo "error: the ONNX scripts need $python on PATH (Debian: apt-get install -y python3 python3-venv)" >&2
    return 1
  fi
  # A venv is tied to the interpreter that made it: the hash covers its version and path too.
  local identity
  identity="$("$python" -c 'import sys; print(sys.version.split()[0], sys.executable)')" || {
    echo "error: $python does not run" >&2
    return 1
  }
  local base="${QAT_VENV_DIR:-$HOME/.cache/qat-repl}"
  local hash
  hash="$(printf '%s\n' "${pins[@]}" "$identity" | sha256sum | cut -c1-12)"
  local dir="$base/$name-venv-$hash"
  # The stamp is written last: a venv without it was interrupted and is rebuilt.
  if [ -f "$dir/.qat-complete" ] && [ -x "$dir/bin/python" ]; then
    echo "$dir"
    return 0
  fi
  mkdir -p "$base" || {
    echo "error: cannot create $base (set QAT_VENV_DIR to a writable folder)" >&2
    return 1
  }
  # Two scripts starting at once must not build the same venv together: hold a lock while building
  # (flock is in util-linux; without it we simply build).
  local lock_fd
  if command -v flock >/dev/null 2>&1; then
    exec {lock_fd}>"$base/.$name-venv-$hash.lock"
    flock "$lock_fd"
    if [ -f "$dir/.qat-complete" ] && [ -x "$dir/bin/python" ]; then
      exec {lock_fd}>&-
      echo "$dir"
      return 0
    fi
  fi
  if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "installing python3-venv" >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null 2>&1 || {
        apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null 2>&1
      } || true
    fi
    if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
      echo "error: $python cannot make venvs; install python3-venv (sudo apt-get install -y python3-venv)" >&2
      [ -n "${lock_fd:-}" ] && exec {lock_fd}>&-
      return 1
    fi
  fi
  echo "creating the $name venv (${pins[*]}) in $dir; first use only" >&2
  # Built in place (a venv's scripts hard-code its path, so it cannot be moved after building);
  # whatever an interrupted attempt left is removed first.
  rm -rf "$dir"
  local started=$SECONDS
  if ! "$python" -m venv "$dir" >&2 ||
    ! "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
      "${pins[@]}" >&2; then
    rm -rf "$dir"
    echo "error: could not install ${pins[*]} from PyPI into $dir (network? disk space?)" >&2
    [ -n "${lock_fd:-}" ] && exec {lock_fd}>&-
    return 1
  fi
  printf '%s\n' "${pins[@]}" >"$dir/.qat-complete"
  echo "created the $name venv in $((SECONDS - started)) s" >&2
  [ -n "${lock_fd:-}" ] && exec {lock_fd}>&-
  echo "$dir"
}
