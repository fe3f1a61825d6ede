#!/usr/bin/env bash
# Runs tests of CRIU's own suite (zdtm, host flavour) with criu-ts as the criu binary.
#
#   scripts/run-zdtm.sh                 the task-state list below
#   scripts/run-zdtm.sh env00 maps00    these tests (zdtm/static/NAME, or a full zdtm/... name)
#
# CRIU's suite is GPL: it is cloned and built outside this repository, under $CRIU_ZDTM_DIR
# (default /tmp/criu-zdtm), and never copied in. CRIU_SRC names the CRIU git repository to clone
# (a path or URL; by default the copy kept on this project's machines). Needs root, a built criu-ts
# (npx nx run-many -t build) and Debian's criu package for zdtm.py's python module (pycriu).
# ZDTM_ARGS adds zdtm.py options (e.g. --criu-config, which passes the options in a --config file).
# zdtm.py refuses to start on a tainted kernel: ZDTM_IGNORE_TAINT=1 runs it anyway (check dmesg
# that the taint has nothing to do with criu-ts first).
# Prints one line per test: PASS, FAIL with the step and the first error, or SKIP with the reason;
# each test's full output is kept in $CRIU_ZDTM_DIR/logs/NAME.log. Not part of CI.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
work=${CRIU_ZDTM_DIR:-/tmp/criu-zdtm}
src=${CRIU_SRC:-/work/.mirror/checkpoint-restore+criu/repo}
criu=$work/criu
# CRIU_TS_BIN: another build of criu-ts's bin.js to run (e.g. a copy that a rebuild cannot touch mid-run)
bin=${CRIU_TS_BIN:-$repo/packages/cli/dist/bin.js}

default_tests=(env00 pthread00 pthread01 zombie00 pid00 pstree session00 session01 sigaltstack sigpending
  posix_timers caps00 groups rlimits00 umask00 sched_prio00 sched_policy00 cmdlinenv00 vdso00 vdso01 stopped
  vfork00 futex fpu00 fpu01 mmx00 sse00 sse20 maps00 maps01 maps02 maps04 maps05 mprotect00 thp_disable)
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=("${default_tests[@]}")

[ "$(id -u)" -eq 0 ] || { echo "run-zdtm: zdtm needs root" >&2; exit 1; }
[ -f "$bin" ] || { echo "run-zdtm: $bin is missing: build first (npx nx run-many -t build)" >&2; exit 1; }

# Build tools and the libraries some zdtm tests link; criu brings pycriu, which zdtm.py imports.
packages=(gcc make pkg-config libc6-dev libcap-dev libaio-dev python3-yaml python3-protobuf criu)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

mkdir -p "$work/logs"
if [ ! -d "$criu/.git" ]; then
  [ -n "$src" ] && git ls-remote "$src" >/dev/null 2>&1 || { echo "run-zdtm: set CRIU_SRC to CRIU's git repository" >&2; exit 1; }
  git clone -q "$src" "$criu"
fi
make -s -C "$criu/test/zdtm/lib" >/dev/null

# zdtm.py runs the criu binary it is given as an executable file.
wrapper=$work/criu-ts
printf '#!/bin/sh\nexec %s %s "$@"\n' "$(command -v node)" "$bin" >"$wrapper"
chmod +x "$wrapper"
# Debian's pycriu, not the checkout's lib/pycriu, which has no generated protobuf modules. Some
# tests' hooks import the checkout's (sys.path ../lib): it gets Debian's generated modules.
pycriu=$(/usr/bin/python3 -c 'import os, pycriu; print(os.path.dirname(os.path.dirname(pycriu.__file__)))')
if [ ! -f "$criu/lib/pycriu/rpc_pb2.py" ]; then
  cp "$pycriu/pycriu/rpc_pb2.py" "$criu/lib/pycriu/"
  cp "$pycriu"/pycriu/images/*_pb2.py "$criu/lib/pycriu/images/"
fi

cd "$criu/test"
for t in "${tests[@]}"; do
  name=$t
  [[ $name == zdtm/* ]] || name=zdtm/static/$t
  log=$work/logs/$(basename "$name").log
  make -s -C "$(dirname "$name")" "$(basename "$name")" >"$log" 2>&1 || { echo "$t BUILD-FAILED (see $log)"; continue; }
  set +e
  # hooks run as "env python3": Debian's, which has the protobuf module
  # shellcheck disable=SC2086 # ZDTM_ARGS: more zdtm.py options, e.g. --criu-config
  PATH=/usr/bin:$PATH timeout 600 /usr/bin/python3 zdtm.py run -f h -t "$name" --criu-bin "$wrapper" --pycriu-search-path "$pycriu" ${ZDTM_ARGS:-} >>"$log" 2>&1
  rc=$?
  set -e
  # what zdtm.py printed for the test itself (before it come the feature checks)
  body=$(sed -n '/ Run zdtm\//,$p' "$log")
  if grep -q '^Skipping' "$log"; then
    echo "$t SKIP $(grep -m1 '^Skipping' "$log" | sed 's/^Skipping [^ ]* //')"
  elif [ $rc -eq 0 ]; then
    echo "$t PASS"
  else
    step=$(grep -m1 -o 'FAIL at [^#]*' <<<"$body" | sed 's/ *$//' || true)
    why=$(grep -m1 -E "Error: |FAIL: |ERR: " <<<"$body" | sed -E "s/^b['\"]//; s/['\"]$//; s/^\([^)]*\) //; s/^[0-9:.]+: +[0-9]+: //" | cut -c1-200 || true)
    # zdtm.py stopped before the test (a tainted kernel, a missing module): its last line says why
    [ -n "$body" ] || why=$(tail -n1 "$log")
    echo "$t FAIL${step:+ ($step)}${why:+: $why}"
  fi
done
