#!/usr/bin/env bash
# Two stratusd front-ends on one PostgreSQL store (docs/scale-out.md): the same
# users on both, concurrent mounts of one read-write disk through both granted
# once, the start-up recovery lease held by one front-end and taken by the next
# one once its holder is killed with SIGKILL; a bad store.conf is one line.
SL_STORE=postgres
. "$(dirname "$0")/lib.sh"
if [ ! -x "$PG_BIN/initdb" ]; then
  skip "two front-ends" "PostgreSQL 15 is not installed ($PG_BIN)"; finish; exit
fi
private_home

# front-end A, then B on a data directory of its own with A's store.conf
start_daemon "$T_TMP/a" || { fail "front-end A starts"; finish; exit; }
A_PID=$SL_PID A_PORT=$SL_PORT A_CA=$SL_CA
mv "$T_TMP/stratusd.log" "$T_TMP/a.log"
mkdir -p "$T_TMP/b" && chmod 0700 "$T_TMP/b" && cp "$T_TMP/a/store.conf" "$T_TMP/b/"
unset SL_PORT
start_daemon "$T_TMP/b" || { fail "front-end B starts"; finish; exit; }
B_PORT=$SL_PORT B_CA=$SL_CA
mv "$T_TMP/stratusd.log" "$T_TMP/b.log"

expect "A holds the recovery lease (ran recovery)" grep -q 'recovery lease taken' "$T_TMP/a.log"
expect "B skipped start-up recovery (lease held by A)" \
  grep -q 'another front-end holds the recovery lease: start-up recovery skipped' "$T_TMP/b.log"

# the same users: added through A's data directory, known to B
SL_DIR=$T_TMP/a add_user alice alicepw1
api() { # api PORT CA CURL-ARGS...: prints the HTTP status, body in $T_TMP/body
  curl -s --cacert "$2" -u alice:alicepw1 -o "$T_TMP/body" -w '%{http_code}' "${@:3}"
}
expect "B knows the user added through A" test "$(api "$B_PORT" "$B_CA" "https://127.0.0.1:$B_PORT/disks/")" = 200
expect "a disk created on A" test "$(api "$A_PORT" "$A_CA" -d size=1 "https://127.0.0.1:$A_PORT/disks/")" = 201
uuid=$(grep -Eo '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' "$T_TMP/body" | head -1)
expect "B shows the disk created on A" test "$(api "$B_PORT" "$B_CA" "https://127.0.0.1:$B_PORT/disks/$uuid")" = 200

# 10 concurrent mounts of the read-write disk, for 10 VMs, half through each front-end
curls=()
for i in $(seq 1 10); do
  if [ $((i % 2)) = 0 ]; then port=$A_PORT ca=$A_CA; else port=$B_PORT ca=$B_CA; fi
  curl -s --cacert "$ca" -u alice:alicepw1 -o /dev/null -w '%{http_code}\n' \
    -d node=node1 -d vm_id=$((100 + i)) "https://127.0.0.1:$port/disks/$uuid/mounts" \
    >"$T_TMP/mount.$i" &
  curls+=($!)
done
wait "${curls[@]}"
ok=$(cat "$T_TMP"/mount.* | grep -c '^201$')
refused=$(cat "$T_TMP"/mount.* | grep -c '^409$')
expect "read-write disk: exactly one of 10 concurrent mounts granted (got $ok)" test "$ok" = 1
expect "the 9 others refused with 409 (got $refused)" test "$refused" = 9
api "$A_PORT" "$A_CA" "https://127.0.0.1:$A_PORT/disks/$uuid/mounts" >/dev/null
expect "one mount row, seen from A" test "$(grep -o '"mountId"' "$T_TMP/body" | wc -l)" = 1

# kill -9 of the lease holder: the next front-end to start gets the lease
kill -KILL "$A_PID"; wait "$A_PID" 2>/dev/null
mkdir -p "$T_TMP/c" && chmod 0700 "$T_TMP/c" && cp "$T_TMP/a/store.conf" "$T_TMP/c/"
unset SL_PORT
start_daemon "$T_TMP/c" || fail "front-end C starts"
mv "$T_TMP/stratusd.log" "$T_TMP/c.log"
expect "C took over the recovery lease after kill -9 of A (ran recovery)" \
  grep -q 'recovery lease taken' "$T_TMP/c.log"
expect "B still serves" test "$(api "$B_PORT" "$B_CA" "https://127.0.0.1:$B_PORT/disks/$uuid")" = 200

# bad store.conf: one line, non-zero exit, nothing started
mkdir -p "$T_TMP/bad" && chmod 0700 "$T_TMP/bad"
printf '[store]\nbackend = oracle\n' >"$T_TMP/bad/store.conf"
check_err "unknown backend refused" 1 "unknown \[store\] backend 'oracle'" \
  stratusd --data-dir "$T_TMP/bad" --listen "127.0.0.1:$(free_port)"
printf '[store]\nbackend = postgres\n' >"$T_TMP/bad/store.conf"
check_err "postgres without conninfo refused" 1 "needs conninfo" \
  stratusd --data-dir "$T_TMP/bad" --listen "127.0.0.1:$(free_port)"
printf '[store]\nbackend = postgres\nconninfo = host=127.0.0.1 port=1 connect_timeout=2\n' >"$T_TMP/bad/store.conf"
check_err "unreachable server refused" 1 "cannot connect to PostgreSQL" \
  stratusd --data-dir "$T_TMP/bad" --listen "127.0.0.1:$(free_port)"
check_err "stratus-admin reads store.conf too" 1 "cannot connect to PostgreSQL" \
  stratus-admin --data-dir "$T_TMP/bad" user list
finish
