# bench/lib.sh - what every bench/ script shares (sourced, not run).
#
# Honesty contract: a script collects its figures with `figure` and prints
# them all with `figures_print` at its very end. Any failed piece of work
# (a non-2xx answer, a Failed VM, a missing log line, a failed fetch, a
# timeout) goes through `fail`, which prints one line on stderr and exits 1:
# no figure is printed then, and no ratio is computed from a failed run.
#
# The caller sets `bench` (its name) and `top` (the repository) first.

set -euo pipefail
export LC_ALL=C
: "${bench:?}" "${top:?}"
tmp=$(mktemp -d "/tmp/slbench-$bench.XXXXXX")
pids=()  # processes started here, stopped by PID at exit
vmdata=() # data directories whose QEMU processes are killed at exit
_figures=$tmp/figures
: >"$_figures"

fail() {
  echo "bench/$bench: FAILED: $*" >&2
  exit 1
}
note() { echo "$*" >&2; } # progress, never a figure
figure() { printf "$@" >>"$_figures"; }
figures_print() { cat "$_figures"; }

# bench_build: release build of the tree into build-bench (or SL_BENCH_BUILD),
# installed into its inst/; puts inst/bin first on PATH; sets `build`.
bench_build() {
  build=${SL_BENCH_BUILD:-$top/build-bench}
  local mode=()
  [ -f "$build/build.ninja" ] && mode=(--reconfigure)
  meson setup "${mode[@]}" "$build" --prefix="$build/inst" -Dbuildtype=release -Dtests=false \
    >"$tmp/build.log" 2>&1 &&
    meson compile -C "$build" >>"$tmp/build.log" 2>&1 &&
    meson install -C "$build" --quiet >>"$tmp/build.log" 2>&1 ||
    { tail -20 "$tmp/build.log" >&2; fail "build of $build"; }
  export PATH=$build/inst/bin:$PATH
  unset "${!STRATUSLAB_@}"
}

port() { # a free TCP port on 127.0.0.1
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.3f", b - a}'; }
median() { # median NUMBER... (also reads stdin when given no argument)
  { if [ $# -gt 0 ]; then printf '%s\n' "$@"; else cat; fi; } | sort -g |
    awk '{a[NR]=$1} END{if (NR == 0) exit 1; printf "%.3f", (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if (b + 0 <= 0) exit 1; printf "%.2f", a / b}'; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# start_stratusd DATA PORT [STRATUSD ARGS...]: starts the daemon (through the
# command in the array stratusd_wrap, if any, e.g. prlimit), waits until it
# answers over HTTPS; sets `spid` and `ca`. Its log: $tmp/stratusd.log.
stratusd_wrap=()
start_stratusd() {
  local data=$1 p=$2
  shift 2
  "${stratusd_wrap[@]}" stratusd "$@" --data-dir "$data" --listen "127.0.0.1:$p" 2>>"$tmp/stratusd.log" &
  spid=$!
  pids+=("$spid")
  ca=$data/tls/ca.crt
  local _
  for _ in $(seq 200); do
    [ -f "$ca" ] && curl -s -o /dev/null --cacert "$ca" "https://127.0.0.1:$p/" && return 0
    kill -0 "$spid" 2>/dev/null || { tail -5 "$tmp/stratusd.log" >&2; fail "stratusd exited at start"; }
    sleep 0.1
  done
  fail "stratusd did not answer on 127.0.0.1:$p within 20 s"
}

# user_cfg FILE PORT USER PASSWORD: a client configuration for the CLI.
user_cfg() {
  printf '[default]\nendpoint = 127.0.0.1:%s\nusername = %s\npassword = %s\nca_certificate = %s\n' \
    "$2" "$3" "$4" "$ca" >"$1"
}

# qemu_pids DATA: PIDs of the QEMU processes of DATA's run directories (the
# pid file's process whose command line names that run directory).
qemu_pids() {
  local f pid
  for f in "$1"/vms/*/qemu.pid "$1"/*/qemu.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f" 2>/dev/null || true)
    [ -n "$pid" ] && grep -qa "$(dirname "$f")/" "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
  done
  return 0
}
wait_gone() { # wait_gone PID [SECONDS]: until the process has exited
  local i
  for i in $(seq $((${2:-60} * 10))); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}
# wait_no_qemu DATA: until no QEMU of DATA runs (a baseline then runs alone).
wait_no_qemu() {
  local p
  for p in $(qemu_pids "$1"); do wait_gone "$p" 120 || fail "QEMU $p of $1 still running"; done
}

_cleanup() {
  local d p
  for d in "${vmdata[@]}"; do
    for p in $(qemu_pids "$d"); do kill -KILL "$p" 2>/dev/null || true; done
  done
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ "$(type -t bench_cleanup)" = function ] && bench_cleanup
  rm -rf "$tmp"
}
trap _cleanup EXIT
# a command that stops the script under `set -e` is a failure too: say which
set -E
trap 'fail "line $LINENO: $BASH_COMMAND"' ERR
