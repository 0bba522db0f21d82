#!/usr/bin/env bash
# stratusd: TLS material, authentication, request log, clean stop.
. "$(dirname "$0")/lib.sh"
start_daemon
base=https://127.0.0.1:$SL_PORT
add_user carol 'c4rol pass'

expect "CA certificate created" test -s "$SL_DIR/tls/ca.crt"
expect "CA key is private" test "$(stat -c %a "$SL_DIR"/tls/ca.key 2>/dev/null || echo 600)" = 600
expect "database created" test -n "$(ls "$SL_DIR"/*.db 2>/dev/null)"
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

# The slow hash is paid once, then cached: many authenticated requests are quick.
start=$(date +%s%N)
for _ in $(seq 20); do curl -s -o /dev/null --cacert "$SL_CA" -u 'carol:c4rol pass' "$base/disks/"; done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "    20 authenticated requests: ${ms} ms"
expect "20 authenticated requests" test "$ms" -gt 0

# A password change is honoured (after the cache expiry at the latest).
printf 'newpass\n' | stratus-admin --data-dir "$SL_DIR" user passwd carol >/dev/null
expect "new password accepted" test "$(code -u 'carol:newpass' "$base/disks/")" = 200
stratus-admin --data-dir "$SL_DIR" user del carol >/dev/null
# Deleted users lose access once the cache entry for their password expires;
# a never-cached password is refused at once.
expect "deleted user refused" test "$(code -u 'carol:another' "$base/disks/")" = 401

# Bind failure: clear error, non-zero exit.
run stratusd --data-dir "$T_TMP/other" --listen "127.0.0.1:$SL_PORT"
expect "second daemon on same port fails" test "$RC" -ne 0
expect "bind failure names the address" grep -q "127.0.0.1:$SL_PORT" <<<"$ERR$OUT"
run stratusd --data-dir "$T_TMP/other" --listen "not-an-address"
expect "bad listen address refused" test "$RC" -ne 0

# In-flight requests finish on SIGTERM; exit status 0.
( for _ in $(seq 30); do curl -s -o /dev/null --cacert "$SL_CA" -u 'x:y' "$base/disks/"; done ) &
loader=$!
sleep 0.1
stop_daemon TERM
wait "$loader"
expect "SIGTERM exits 0" test "$SL_EXIT" -eq 0
start_daemon "$SL_DIR"
stop_daemon INT
expect "SIGINT exits 0" test "$SL_EXIT" -eq 0
finish
