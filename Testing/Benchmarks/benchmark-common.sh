# Sourced by the run-*-benchmark.sh scripts that build what they time. Needs ROOT, BUILD, JOBS and NO_BUILD.

# build_benchmark_targets TARGET...: configures BUILD with Ninja if it has no build system yet and builds only
# the targets, unless NO_BUILD=1 (then what is there is used: builds that others serialise stay theirs).
build_benchmark_targets() {
  [ "$NO_BUILD" = 1 ] && return 0
  if [ ! -f "$BUILD/build.ninja" ] && [ ! -f "$BUILD/Makefile" ]; then
    CCACHE_BASEDIR="$ROOT" cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release
  fi
  CCACHE_BASEDIR="$ROOT" cmake --build "$BUILD" --target "$@" -j"$JOBS"
}

# reproduce_command SCRIPT ARG...: the command line that reproduces a run, arguments with spaces quoted.
reproduce_command() {
  local command=$1 a
  shift
  for a in "$@"; do
    case "$a" in *[[:space:]]*) command+=" \"$a\"" ;; *) command+=" $a" ;; esac
  done
  echo "$command"
}
