# lib.sh - helpers for system tests: a real stratusd on a random loopback port
# with a temporary data directory, driven by the installed stratus-* commands.
#
# A test file sources this, calls checks, and ends with `finish`. Every check
# prints "PASS <name>" or "FAIL <name>" (+ details); finish prints
# "RESULT <passed> <failed> <skipped>" for the runner; `skip NAME REASON` prints
# "SKIP <name> (<reason>)" and counts a skip (never a pass). Every process started here is
# stopped by PID at exit.

set -u
T_PASS=0
T_FAIL=0
T_SKIP=0
T_NAME=$(basename "$0" .sh)
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sltest.XXXXXX")
T_PIDS=()
SL_SHARED=${SL_SHARED:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/../shared}
export SL_SHARED

# SL_STORE=postgres: every start_daemon data directory gets a store.conf that
# puts its store in a scratch PostgreSQL 15 (tests/postgres/lib.sh) started
# once per test file and stopped by PID after the daemons.
SL_STORE=${SL_STORE:-sqlite}
. "$(dirname "${BASH_SOURCE[0]}")/../postgres/lib.sh"

cleanup() {
  local pid
  for pid in "${T_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null
    fi
  done
  pg_stop
  rm -rf "$T_TMP"
}
trap cleanup EXIT

pass() { T_PASS=$((T_PASS + 1)); echo "PASS $T_NAME: $1"; }
fail() {
  T_FAIL=$((T_FAIL + 1)); echo "FAIL $T_NAME: $1"
  shift; [ $# -gt 0 ] && printf '    %s\n' "$@"
  return 0
}

skip() { T_SKIP=$((T_SKIP + 1)); echo "SKIP $T_NAME: $1 ($2)"; }

# fixtures_or_skip NAME...: true when the StratusLab 13.05 files of
# $SL_SHARED/fixtures are there; else prints a SKIP line for each NAME (an
# interoperability check that needs them) and is false.
fixtures_or_skip() {
  [ -d "$SL_SHARED/fixtures/stratuslab" ] && return 0
  local n
  for n in "$@"; do skip "$n" "needs the StratusLab fixtures, $SL_SHARED/fixtures absent"; done
  return 1
}

# interop_begin / interop_end: the checks between them are interoperability
# checks on $SL_SHARED/fixtures. Without the fixtures each of them prints a
# SKIP line with its own name instead (the check and request helpers become
# skips and no-ops), so the skips are exactly those checks.
interop_begin() {
  T_INTEROP_SAVED=
  [ -d "$SL_SHARED/fixtures/stratuslab" ] && return 0
  T_INTEROP_SAVED=$(declare -f pass fail check check_out check_err expect want post http fresh 2>/dev/null)
  local why="needs the StratusLab fixtures, $SL_SHARED/fixtures absent"
  eval "pass() { skip \"\$1\" '$why'; }; fail() { skip \"\$1\" '$why'; }
    check() { skip \"\$1\" '$why'; }; check_out() { skip \"\$1\" '$why'; }
    check_err() { skip \"\$1\" '$why'; }; expect() { skip \"\$1\" '$why'; }
    want() { skip \"\$1\" '$why'; }; post() { :; }; http() { CODE=; BODY=; HDRS=; }; fresh() { :; }"
}
interop_end() {
  [ -n "${T_INTEROP_SAVED:-}" ] && eval "$T_INTEROP_SAVED"
  T_INTEROP_SAVED=
}

# run CMD...: runs with stdin closed, captures OUT, ERR, RC.
run() {
  OUT=$("$@" </dev/null 2>"$T_TMP/stderr"); RC=$?
  ERR=$(cat "$T_TMP/stderr")
}

# check NAME CMD...: CMD must exit 0.
check() {
  local name=$1; shift
  run "$@"
  if [ "$RC" -eq 0 ]; then pass "$name"; else fail "$name" "exit $RC: $*" "stdout: $OUT" "stderr: $ERR"; fi
}

# check_out NAME REGEX CMD...: exit 0 and stdout matches the extended regex.
check_out() {
  local name=$1 re=$2; shift 2
  run "$@"
  if [ "$RC" -eq 0 ] && grep -Eq -- "$re" <<<"$OUT"; then pass "$name"
  else fail "$name" "exit $RC, want stdout ~ /$re/: $*" "stdout: $OUT" "stderr: $ERR"; fi
}

# check_err NAME RC REGEX CMD...: exit status RC and stderr matches the regex.
check_err() {
  local name=$1 want=$2 re=$3; shift 3
  run "$@"
  if [ "$RC" -eq "$want" ] && grep -Eq -- "$re" <<<"$ERR"; then pass "$name"
  else fail "$name" "exit $RC (want $want), want stderr ~ /$re/: $*" "stdout: $OUT" "stderr: $ERR"; fi
}

# expect NAME CONDITION-COMMAND...: a plain assertion.
expect() {
  local name=$1; shift
  if "$@"; then pass "$name"; else fail "$name" "assertion failed: $*"; fi
}

free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
}

# private_home: HOME is a new directory under $T_TMP and no STRATUSLAB_*
# variable is set, so that no configuration of the caller leaks in.
private_home() {
  export HOME=$T_TMP/home
  mkdir -p "$HOME"
  unset "${!STRATUSLAB_@}"
}

# store_conf DIR: with SL_STORE=postgres, starts the scratch PostgreSQL (once)
# and writes DIR/store.conf (one schema per directory) unless it exists.
store_conf() {
  [ "$SL_STORE" = postgres ] || return 0
  if [ -z "$PG_PID" ]; then
    chmod 0711 "$T_TMP" # the server (user nobody when root) reaches its directory
    pg_start "$T_TMP/pg" || { echo "SL_STORE=postgres: cannot start PostgreSQL" >&2; return 1; }
  fi
  mkdir -p "$1" && chmod 0700 "$1"
  [ -f "$1/store.conf" ] && return 0
  printf '[store]\nbackend = postgres\nconninfo = %s\nschema = d%s\n' "$PG_CONNINFO" \
    "$(printf '%s' "$1" | md5sum | cut -c1-16)" >"$1/store.conf"
}

# store_sql DIR SQL: runs one query on the store of DIR (sqlite3 on DIR/stratus.db,
# or psql in DIR's schema with SL_STORE=postgres); prints the rows, '|' between columns.
store_sql() {
  if [ -f "$1/store.conf" ] && [ -n "$PG_CONNINFO" ]; then
    PGOPTIONS="-c search_path=$(sed -n 's/^schema = //p' "$1/store.conf")" \
      psql "$PG_CONNINFO" -Atc "$2"
  else
    sqlite3 "$1/stratus.db" "$2"
  fi
}

# start_daemon [DIR]: starts stratusd (with --config $SL_CONFIG if set); sets
# SL_DIR, SL_PORT, SL_PID, SL_CA, SL_LOG.
start_daemon() {
  SL_DIR=${1:-$T_TMP/data}
  store_conf "$SL_DIR" || return 1
  SL_PORT=${SL_PORT:-$(free_port)}
  SL_LOG=$T_TMP/stratusd.log
  # A private /24 of VM addresses per test run, so that tests (or a quick-start
  # daemon) running at the same time never compete for the same host forwards.
  if [ -z "${SL_CONFIG:-}" ]; then SL_CONFIG=$T_TMP/stratusd.conf; : >"$SL_CONFIG"; fi
  if ! grep -q '^network *=' "$SL_CONFIG"; then
    SL_NET=${SL_NET:-127.$((101 + RANDOM % 150)).$((RANDOM % 256))}
    printf '\n[cloud]\nnetwork = %s.0/24\n' "$SL_NET" >>"$SL_CONFIG"
  fi
  stratusd ${SL_CONFIG:+--config "$SL_CONFIG"} --data-dir "$SL_DIR" \
    --listen "127.0.0.1:$SL_PORT" >>"$SL_LOG" 2>&1 &
  SL_PID=$!
  T_PIDS+=("$SL_PID")
  SL_CA=$SL_DIR/tls/ca.crt
  local i
  for i in $(seq 100); do
    if [ -f "$SL_CA" ] && curl -s -o /dev/null --cacert "$SL_CA" "https://127.0.0.1:$SL_PORT/"; then
      return 0
    fi
    kill -0 "$SL_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "stratusd did not start; log:" >&2; cat "$SL_LOG" >&2
  return 1
}

# stop_daemon [SIGNAL]: stops the daemon by PID and waits; sets SL_EXIT.
stop_daemon() {
  kill "-${1:-TERM}" "$SL_PID" 2>/dev/null
  wait "$SL_PID" 2>/dev/null; SL_EXIT=$?
}

# add_user NAME PASSWORD
add_user() {
  printf '%s\n' "$2" | stratus-admin --data-dir "$SL_DIR" user add "$1" >/dev/null
}

# user_config NAME PASSWORD -> prints the path of a config file for that user.
user_config() {
  local f=$T_TMP/$1.cfg
  cat >"$f" <<CFG
[default]
endpoint = 127.0.0.1:$SL_PORT
username = $1
password = $2
ca_certificate = $SL_CA
CFG
  echo "$f"
}

# ---- VM tests ------------------------------------------------------------------

# appliance_image: sets `image` to $SL_APPLIANCE when that file exists, else
# builds the test appliance into $T_TMP/appliance.img (on failure: FAIL,
# finish and exit).
appliance_image() {
  image=${SL_APPLIANCE:-}
  if [ -z "$image" ] || [ ! -f "$image" ]; then
    image=$T_TMP/appliance.img
    "$(dirname "${BASH_SOURCE[0]}")/../../appliance/build" "$image" >"$T_TMP/appliance.log" 2>&1 ||
      { fail "appliance build" "$(tail -5 "$T_TMP/appliance.log")"; finish; exit; }
  fi
}

# kill_vms: kills the qemu of every run dir still present, by PID (a test that
# boots VMs sets: trap 'kill_vms; cleanup' EXIT).
kill_vms() {
  local f pid
  for f in "${SL_DIR:-/nonexistent}"/vms/*/qemu.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f" 2>/dev/null)
    [ -n "$pid" ] && grep -qa "$(dirname "$f")/qmp.sock" "/proc/$pid/cmdline" 2>/dev/null &&
      kill -KILL "$pid" 2>/dev/null
  done
}

# json EXPR: evaluates the Python expression EXPR with d = the JSON on stdin
# (with $PY when set, else python3).
json() { "${PY:-python3}" -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

# vm_field ID FIELD: FIELD of GET /vms/ID as alice (password alicepw1).
vm_field() {
  curl -s --cacert "$SL_CA" -u alice:alicepw1 "https://127.0.0.1:$SL_PORT/vms/$1" | json "d.get('$2')"
}

# wait_state ID STATE SECONDS: polls vm_field ID state until it is STATE; a VM
# that went Failed instead ends the wait at once, with its reason on stderr.
wait_state() {
  local i st
  for i in $(seq $(($3 * 5))); do
    st=$(vm_field "$1" state)
    [ "$st" = "$2" ] && return 0
    if [ "$st" = Failed ]; then
      echo "    vm $1 Failed: $(vm_field "$1" error)" >&2
      return 1
    fi
    sleep 0.2
  done
  return 1
}

# ready ID: the appliance printed READY on the VM's serial console.
ready() { grep -qa STRATUSLAB-APPLIANCE-READY "$SL_DIR/vms/$1/serial.log" 2>/dev/null; }

# wait_ready ID SECONDS: polls `ready ID`.
wait_ready() {
  local i
  for i in $(seq $(($2 * 5))); do
    ready "$1" && return 0
    sleep 0.2
  done
  return 1
}

# wait_for SECONDS CMD...: retries CMD every second until it succeeds.
wait_for() {
  local n=$1; shift
  for _ in $(seq "$n"); do "$@" && return 0; sleep 1; done
  return 1
}

# gone PID: the process has exited (a zombie waiting for init to reap it counts).
gone() { [ ! -e "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }

# vm_client COMMENT: a fresh ssh key $T_TMP/key; sets SSH (ssh with that key,
# no host-key bookkeeping) and RUN (stratus-run-instance -q as the user of
# config $A with that key and 256 MiB of RAM).
vm_client() {
  ssh-keygen -q -t ed25519 -N '' -C "$1" -f "$T_TMP/key" >/dev/null
  SSH=(ssh -i "$T_TMP/key" -o BatchMode=yes -o StrictHostKeyChecking=no
    -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10 -o LogLevel=ERROR)
  RUN=(stratus-run-instance -c "$A" -k "$T_TMP/key.pub" --ram 256 -q)
}

# ---- Marketplace tests (files in $W, CLI config $A) ----------------------------

# endorser NAME EMAIL: a self-signed PKCS#12 $W/NAME.p12 (password "secret")
# with EMAIL in subjectAltName.
endorser() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$1/O=StratusLab Test/C=EU" \
    -addext "subjectAltName=email:$2" -keyout "$W/$1.key" -out "$W/$1.crt" 2>/dev/null &&
    openssl pkcs12 -export -inkey "$W/$1.key" -in "$W/$1.crt" -passout pass:secret \
      -out "$W/$1.p12"
}

# entry NAME FILE LOCATION SIGNER|none [build options]: build (and sign with
# $W/SIGNER.p12 unless none) the metadata of FILE -> $W/NAME.xml
entry() {
  local name=$1 file=$2 loc=$3 signer=$4
  shift 4
  stratus-build-metadata --os stratuslab-appliance --os-version 1 --os-arch x86_64 \
    --image-version 1.0 --title "$name" --comment "test image $name" --author tester \
    --location "$loc" "$@" -o "$W/$name.unsigned.xml" "$file" >/dev/null &&
    if [ "$signer" = none ]; then cp "$W/$name.unsigned.xml" "$W/$name.xml"
    else stratus-sign-metadata -c "$A" --p12-cert "$W/$signer.p12" --p12-password secret \
      -o "$W/$name.xml" "$W/$name.unsigned.xml" >/dev/null; fi
}

# ident NAME: the identifier of $W/NAME.xml
ident() { sed -n 's:.*<dcterms\:identifier>\(.*\)</dcterms\:identifier>.*:\1:p' "$W/$1.xml" | head -1; }

finish() {
  echo "RESULT $T_PASS $T_FAIL $T_SKIP"
  [ "$T_FAIL" -eq 0 ]
}
