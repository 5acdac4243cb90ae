# Sourced by scripts/fuzz-language, fuzz-model-file and fuzz-images: builds the debug binary unless
# --binary names one, then runs the generator and runner in scripts/fuzz/ (Python 3 standard library).
fuzz_run() {
  local generator="$1"
  shift
  command -v python3 >/dev/null 2>&1 || { echo "error: the fuzzers need python3 on PATH" >&2; exit 1; }
  local own_binary=1
  for arg in "$@"; do
    case "$arg" in --binary | --binary=* | --print | --digest) own_binary=0 ;; esac
  done
  if [ "$own_binary" = 1 ]; then
    swift build --product qat-repl 2>&1 | grep -E "error|warning: " >&2 || true
    [ -x .build/debug/qat-repl ] || { echo "error: .build/debug/qat-repl was not built" >&2; exit 1; }
  fi
  exec python3 -B "scripts/fuzz/$generator" "$@"
}
