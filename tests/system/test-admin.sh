#!/usr/bin/env bash
# stratus-admin users and stratus-hash-password.
. "$(dirname "$0")/lib.sh"
D=$T_TMP/data
adm() { stratus-admin --data-dir "$D" "$@"; }

check "user add reads password on stdin" bash -c "printf 'pw-one\n' | stratus-admin --data-dir '$D' user add dave"
check_out "user list" "^dave$" adm user list
check_err "duplicate user refused" 1 "ERROR.*dave" bash -c "printf 'x\n' | stratus-admin --data-dir '$D' user add dave"
check_err "empty password refused" 1 "ERROR" bash -c "printf '\n' | stratus-admin --data-dir '$D' user add erin"
check_err "bad user name refused" 1 "ERROR" bash -c "printf 'x\n' | stratus-admin --data-dir '$D' user add 'a b'"
expect "only a crypt hash is stored" bash -c "! sqlite3 '$D'/*.db .dump | grep -q pw-one && sqlite3 '$D'/*.db .dump | grep -q '\\\$y\\\$'"
check_err "del unknown user" 1 "ERROR" adm user del nobody
check_err "usage error" 2 "error" adm user frobnicate

# stratus-hash-password: prompts as in §7.3; MD5/CRYPT lines and a stored form.
run bash -c "printf 'frank\nsecret1\nsecret1\n' | stratus-hash-password"
expect "hash-password exits 0" test "$RC" -eq 0
expect "MD5 line" grep -qx "MD5:$(printf secret1 | md5sum | cut -d' ' -f1)" <<<"$OUT"
expect "CRYPT line" grep -Eq '^CRYPT:fr[./A-Za-z0-9]{11}$' <<<"$OUT"
stored=$(grep -E '^STORED:' <<<"$OUT" | cut -d: -f2-)
expect "stored form is yescrypt" grep -q '^\$y\$' <<<"$stored"
check "user add --hash accepts it" adm user add frank --hash "$stored"
check_err "user add --hash refuses junk" 1 "ERROR" adm user add gina --hash 'plaintext'
check_err "hash-password mismatch" 1 "Passwords did not match" \
  bash -c "printf 'frank\na\nb\n' | stratus-hash-password"

start_daemon "$D"
code() { curl -s --cacert "$SL_CA" -o /dev/null -w '%{http_code}' "$@"; }
base=https://127.0.0.1:$SL_PORT
expect "hashed user logs in" test "$(code -u frank:secret1 "$base/disks/")" = 200
expect "stdin user logs in" test "$(code -u dave:pw-one "$base/disks/")" = 200
check "user passwd" bash -c "printf 'pw-two\n' | stratus-admin --data-dir '$D' user passwd dave"
expect "new password works" test "$(code -u dave:pw-two "$base/disks/")" = 200
check "user del" adm user del frank
run adm user list
expect "deleted user gone from list" bash -c "! grep -qx frank <<<\"\$0\"" "$OUT"
finish
