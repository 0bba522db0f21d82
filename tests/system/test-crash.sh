#!/usr/bin/env bash
# kill -9 of stratusd during a burst of creates and deletes: after restart the
# database opens and every volume is either fully there or fully absent.
. "$(dirname "$0")/lib.sh"
private_home
start_daemon
add_user alice alicepw1
A=$(user_config alice alicepw1)
for _ in $(seq 5); do stratus-create-volume -c "$A" --size 3 >/dev/null; done

for round in 1 2 3; do
  pids=()
  for w in 1 2 3 4; do
    ( for _ in $(seq 40); do stratus-create-volume -c "$A" --size $((1 + RANDOM % 1024)) >/dev/null 2>&1; done ) &
    pids+=($!)
  done
  ( stratus-describe-volumes -c "$A" 2>/dev/null | sed -n 's/^:: DISK //p' | head -20 |
      while read -r u; do stratus-delete-volume -c "$A" "$u" >/dev/null 2>&1; done ) &
  pids+=($!)
  sleep "0.$((3 + RANDOM % 6))"
  stop_daemon KILL
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done

  if [ "$SL_STORE" = postgres ]; then # lib.sh: the server rolls a dead client's transaction back
    expect "round $round: database answers" test "$(store_sql "$SL_DIR" 'SELECT 1')" = 1
  else
    db=$(ls "$SL_DIR"/*.db)
    expect "round $round: database integrity ok" test "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok
  fi
  start_daemon "$SL_DIR"
  listed=$(stratus-describe-volumes -c "$A" | sed -n 's/^:: DISK //p' | sort)
  files=$(ls "$SL_DIR/volumes" | grep -v '^\.' | sed 's/\.img$//' | sort)
  expect "round $round: listed volumes == volume files" test "$listed" = "$files"
  expect "round $round: no temporary files left" bash -c "! ls -A '$SL_DIR/volumes' | grep -qv '\.img$'"
  n=$(grep -c . <<<"$listed")
  echo "    round $round: $n volumes after restart"
  expect "round $round: volumes survived" test "$n" -ge 1
  rows=$(store_sql "$SL_DIR" "SELECT count(*) FROM disks")
  expect "round $round: no half-made rows" test "$rows" -eq "$n"
done
check_out "daemon still serves creates" "^DISK " stratus-create-volume -c "$A" --size 1
finish
