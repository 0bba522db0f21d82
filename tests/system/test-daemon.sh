#!/usr/bin/env bash
# stratusd: TLS material, authentication, request log, clean stop.
. "$(dirname "$0")/lib.sh"
start_daemon
base=https://127.0.0.1:$SL_PORT
add_user carol 'c4rol pass'

expect "CA certificate created" test -s "$SL_DIR/tls/ca.crt"
expect "CA key is there" test -s "$SL_DIR/tls/ca.key"
expect "CA key is private (0600)" test "$(stat -c %a "$SL_DIR/tls/ca.key" 2>&1)" = 600
if [ "$SL_STORE" = postgres ]; then # lib.sh: the store is a schema of the scratch server
  expect "database created (PostgreSQL schema)" \
    test "$(store_sql "$SL_DIR" "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'vms'" 2>&1)" = 1
else
  expect "database created" test -n "$(ls "$SL_DIR"/*.db 2>/dev/null)"
fi
srv=$(openssl s_client -connect "127.0.0.1:$SL_PORT" -servername 127.0.0.1 </dev/null 2>/dev/null |
  openssl x509 2>/dev/null)
expect "server certificate chains to the CA" \
  bash -c 'openssl verify -CAfile "$1" <(printf "%s\n" "$2") >/dev/null 2>&1' _ "$SL_CA" "$srv"
expect "server certificate names 127.0.0.1" \
  bash -c 'printf "%s\n" "$1" | openssl x509 -noout -ext subjectAltName | grep -q 127.0.0.1' _ "$srv"
expect "curl verifies the server with ca.crt" curl -sf -o /dev/null --cacert "$SL_CA" "$base/"
expect "plain HTTP is not served" bash -c "! curl -s -o /dev/null --max-time 3 http://127.0.0.1:$SL_PORT/disks/"

code() { curl -s --cacert "$SL_CA" -o "$T_TMP/body" -D "$T_TMP/headers" -w '%{http_code}' "$@"; }
expect "no credentials 401" test "$(code "$base/disks/")" = 401
expect "401 asks for Basic" grep -qi '^WWW-Authenticate: Basic' "$T_TMP/headers"
cp "$T_TMP/body" "$T_TMP/body-none"
expect "wrong password 401" test "$(code -u 'carol:wrong' "$base/disks/")" = 401
cp "$T_TMP/body" "$T_TMP/body-wrongpw"
expect "unknown user 401" test "$(code -u 'nobody:c4rol pass' "$base/disks/")" = 401
expect "no hint which part was wrong" cmp -s "$T_TMP/body" "$T_TMP/body-wrongpw"
expect "good credentials 200" test "$(code -u 'carol:c4rol pass' "$base/disks/")" = 200
expect "answer is JSON" grep -qi '^Content-Type: application/json' "$T_TMP/headers"
expect "unknown path 404" test "$(code -u 'carol:c4rol pass' "$base/nowhere")" = 404
expect "wrong method 405" test "$(code -u 'carol:c4rol pass' -X PATCH "$base/disks/")" = 405

sleep 0.2
expect "request log line: method path user status micros" \
  grep -Eq 'GET /disks/? carol 200 [0-9]+' "$SL_LOG"
expect "request log shows anonymous 401" grep -Eq 'GET /disks/? - 401 [0-9]+' "$SL_LOG"
expect "passwords never logged" bash -c "! grep -q 'c4rol pass' '$SL_LOG'"

# The slow hash is paid once, then cached (auth.h: a changed hash is seen at
# the next expiry, 60 s): right after a password change the old password,
# verified a moment ago, is still served from the cache, while the new one is
# checked against the new hash.
expect "carol's password verified (and cached)" test "$(code -u 'carol:c4rol pass' "$base/disks/")" = 200
printf 'newpass\n' | stratus-admin --data-dir "$SL_DIR" user passwd carol >/dev/null
expect "old password still served from the cache after the change" \
  test "$(code -u 'carol:c4rol pass' "$base/disks/")" = 200
expect "new password accepted at once (checked against the new hash)" \
  test "$(code -u 'carol:newpass' "$base/disks/")" = 200
expect "a wrong password is still refused" test "$(code -u 'carol:wrong2' "$base/disks/")" = 401

# A deleted user is refused at once for a password never cached: dave and erin
# are added the same way; erin's password works, then dave (whose valid
# password was never used, so never cached) is deleted and refused.
add_user dave davepw12
add_user erin erinpw12
expect "a user added the same way logs in" test "$(code -u 'erin:erinpw12' "$base/disks/")" = 200
stratus-admin --data-dir "$SL_DIR" user del dave >/dev/null
expect "deleted user refused (valid, never-cached password)" \
  test "$(code -u 'dave:davepw12' "$base/disks/")" = 401

# Bind failure: clear error, non-zero exit.
run stratusd --data-dir "$T_TMP/other" --listen "127.0.0.1:$SL_PORT"
expect "second daemon on same port fails" test "$RC" -ne 0
expect "bind failure names the address" grep -q "127.0.0.1:$SL_PORT" <<<"$ERR$OUT"
run stratusd --data-dir "$T_TMP/other" --listen "not-an-address"
expect "bad listen address refused" test "$RC" -ne 0

# In-flight requests finish on SIGTERM: four volume creations whose bodies
# trickle in (curl --limit-rate, ~3 s each) are on established connections
# when SIGTERM arrives; each gets its 2xx answer and its volume is there
# after the restart; exit status 0.
python3 -c 'import json; print(json.dumps({"size": 1, "tag": "inflight"}) + " " * 300)' \
  >"$T_TMP/slow-body.json"
for i in 1 2 3 4; do
  curl -s --cacert "$SL_CA" -u 'erin:erinpw12' -o "$T_TMP/inflight.$i" -w '%{http_code}\n' \
    --limit-rate 100 -H 'Content-Type: application/json' --data-binary @"$T_TMP/slow-body.json" \
    "$base/disks/" >"$T_TMP/inflight.$i.code" 2>/dev/null &
  eval "inflight_$i=\$!"
done
established() { [ "$(ss -Htn state established "( sport = :$SL_PORT )" | wc -l)" -ge 4 ]; }
expect "four requests in flight before SIGTERM" wait_for 5 established
stop_daemon TERM
for i in 1 2 3 4; do eval "wait \$inflight_$i"; done
expect "SIGTERM exits 0" test "$SL_EXIT" -eq 0
codes=$(cat "$T_TMP"/inflight.?.code | tr '\n' ' ')
expect "every in-flight request answered 2xx ($codes)" \
  test "$(cat "$T_TMP"/inflight.?.code | grep -c '^2[0-9][0-9]$')" -eq 4
start_daemon "$SL_DIR"
n=$(curl -s --cacert "$SL_CA" -u 'erin:erinpw12' "$base/disks/" | grep -o inflight | wc -l)
expect "the four volumes are there after the restart" test "$n" -eq 4
stop_daemon INT
expect "SIGINT exits 0" test "$SL_EXIT" -eq 0
finish
