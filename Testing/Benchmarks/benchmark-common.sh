# Sourced by the run-*-benchmark.sh scripts that build what they time, after they set ROOT: the options they
# share (--build, --data, --jobs, --no-build), their build step and their reproduce line.
BUILD=build
DATA="$ROOT/../shared/data/miccai2012-multiatlas"
JOBS=2
NO_BUILD=0
OUTDIR="$ROOT/Documentation/Benchmarks"

# take_shared_option "$@": reads the shared option at $1, setting TAKEN to the number of arguments it used; any
# other option is an error naming the script.
take_shared_option() {
  case "$1" in
    --build) BUILD=$2; TAKEN=2 ;;
    --data) DATA=$2; TAKEN=2 ;;
    --jobs) JOBS=$2; TAKEN=2 ;;
    --no-build) NO_BUILD=1; TAKEN=1 ;;
    *) echo "$(basename "$0"): unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
}

# print_help LAST-LINE: the script's header comment, lines 2 to LAST-LINE.
print_help() {
  sed -n "2,$1p" "$0" | sed 's/^# \{0,1\}//'
}

# build_benchmark_targets TARGET...: configures BUILD with Ninja if it has no build system yet and builds only
# the targets, unless NO_BUILD=1 (then what is there is used: builds that others serialise stay theirs).
build_benchmark_targets() {
  case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
  mkdir -p "$OUTDIR"
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
