# Shared by tools/lio and tools/test (sourced, not run).
# Every Bazel call goes through lio_bazel so all of them share one disk cache:
# a fresh clone rebuilds from it in seconds instead of minutes.

LIO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LIO_CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/lio"
mkdir -p "$LIO_CACHE_DIR/bazel-disk-cache"

lio_bazel() {
  local command=$1
  shift
  # umask 022: the loader refuses plugins in group- or other-writable
  # directories, so the Bazel server (started here) must not make them.
  (cd "$LIO_ROOT" && umask 022 && bazel "$command" --disk_cache="$LIO_CACHE_DIR/bazel-disk-cache" "$@")
}

# Directories that hold the built plugins (bazel-bin/lio/plugins/*/), for
# the configuration given as arguments (e.g. --config=opt).
lio_plugin_path() {
  local bin dirs=""
  bin=$(cd "$LIO_ROOT" && bazel info "$@" bazel-bin 2>/dev/null)
  for so in "$bin"/lio/plugins/*/liblio_*.so; do
    [ -e "$so" ] || continue
    case ":$dirs:" in *":$(dirname "$so"):"*) continue ;; esac  # a directory may hold two plugins
    dirs="${dirs:+$dirs:}$(dirname "$so")"
  done
  echo "$dirs"
}
