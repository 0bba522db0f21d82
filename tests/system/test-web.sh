#!/usr/bin/env bash
# The portal (docs/web.md): HTTP-level checks with curl (security headers,
# cookie flags, CSRF refusals that change nothing, REST routes and Basic auth
# untouched, idle expiry of a session), then the browser tests tests/web/*.py
# in a real headless Chromium driven by Selenium through a chromedriver started
# here (stopped by PID). Screenshots (1280x800) go to $SL_WEB_SHOTS
# (default build-test/web-shots of this checkout).
# time-limit: 600
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
private_home
SHOTS=${SL_WEB_SHOTS:-$top/build-test/web-shots}
rm -rf "$SHOTS"; mkdir -p "$SHOTS"

SL_CONFIG=$T_TMP/stratusd.conf
printf '[web]\nsession_idle = 3\n' >"$SL_CONFIG"
start_daemon || { fail "start stratusd"; finish; exit 1; }
add_user alice alicepw1
add_user bob bobpw1234
add_user mallory mallorypw1
U=https://127.0.0.1:$SL_PORT
# web NAME-OF-JAR ARGS...: curl with a cookie jar; sets CODE, BODY, HDRS.
web() {
  local jar=$T_TMP/$1.jar; shift
  BODY=$(curl -s -D "$T_TMP/hdrs" -c "$jar" -b "$jar" -o - -w '\n%{http_code}' --cacert "$SL_CA" "$@")
  CODE=${BODY##*$'\n'}; BODY=${BODY%$'\n'*}; HDRS=$(tr -d '\r' <"$T_TMP/hdrs")
}
csrf_of() { grep -o 'name="csrf" value="[^"]*' <<<"$BODY" | head -1 | cut -d'"' -f4; }
hdr() { grep -i "^$1:" <<<"$HDRS" | head -1 | cut -d' ' -f2-; }

# ---- headers and cookie ----------------------------------------------------
web a "$U/"
csp=$(hdr Content-Security-Policy)
expect "start page is HTML, 200" test "$CODE" = 200 -a -n "$(grep -i '^content-type: text/html' <<<"$HDRS")"
expect "CSP: scripts only from the portal itself, no inline script" \
  bash -c '[[ "$1" == *"script-src '"'"'self'"'"'"* && "$1" != *unsafe-inline* && "$1" == *"default-src '"'"'none'"'"'"* ]]' _ "$csp"
expect "pages are not framed, not sniffed" test -n "$(hdr X-Frame-Options)" -a "$(hdr X-Content-Type-Options)" = nosniff
expect "no inline script in the page" test -z "$(grep -Ei '<script>|<script [^s]|on(click|load)=' <<<"$BODY")"
web a "$U/web/login"
cookie=$(hdr Set-Cookie)
expect "log-in form sets a session cookie HttpOnly; Secure; SameSite=Strict" \
  bash -c '[[ "$1" == sl_session=* && "$1" == *HttpOnly* && "$1" == *Secure* && "$1" == *SameSite=Strict* ]]' _ "$cookie"
tok=$(csrf_of)
expect "log-in form carries a CSRF token" test ${#tok} -ge 40
web a "$U/web/login" -d "username=alice&password=alicepw1"
expect "log-in POST without CSRF token refused (403)" test "$CODE" = 403
web a "$U/web/login" -d "csrf=${tok}x&username=alice&password=alicepw1"
expect "log-in POST with a wrong CSRF token refused (403)" test "$CODE" = 403
web a "$U/web/account"
expect "refused log-ins opened no session" test "$CODE" = 303
web a "$U/web/login" -d "csrf=$tok&username=alice&password=alicepw1&next=/web/account"
expect "log-in by form: 303 to the page asked for" test "$CODE" = 303 -a "$(hdr Location)" = /web/account
new=$(hdr Set-Cookie)
expect "log-in gives a new session identifier (no fixation)" test "${new%%;*}" != "${cookie%%;*}"
web a "$U/web/account"
expect "account page: Logged in as alice" test "$CODE" = 200 -a -n "$(grep 'Logged in as <strong id="user">alice</strong>' <<<"$BODY")"
tok2=$(csrf_of)
web a "$U/web/disks" -d "size=1&tag=forged"
expect "disk create POST without CSRF token refused (403)" test "$CODE" = 403
web a "$U/web/disks" -d "csrf=${tok2}x&size=1&tag=forged"
expect "disk create POST with a wrong CSRF token refused (403)" test "$CODE" = 403
n=$(curl -s --cacert "$SL_CA" -u alice:alicepw1 -H 'Accept: application/json' "$U/disks/" | grep -c forged)
expect "... and no disk was made" test "$n" = 0
web a "$U/web/logout" -X POST
expect "log-out without CSRF token refused (403), still logged in" test "$CODE" = 403
web a "$U/web/account"
expect "... session still there after the refused log-out" test "$CODE" = 200
# ---- the REST side keeps Basic auth; the portal does not take it -----------
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$SL_CA" -u alice:alicepw1 "$U/disks/" -H 'Accept: application/json')
expect "REST /disks/ still answers Basic auth (200)" test "$code" = 200
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$SL_CA" -b "$T_TMP/a.jar" "$U/disks/")
expect "REST /disks/ does not take the portal's cookie (401)" test "$code" = 401
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$SL_CA" -u alice:alicepw1 "$U/web/account")
expect "portal pages do not take Basic auth (303 to log-in)" test "$code" = 303
# ---- idle expiry ([web] session_idle = 3) -----------------------------------
sleep 4
web a "$U/web/account"
expect "session ends after session_idle seconds without a request" test "$CODE" = 303 -a "$(hdr Location)" = "/web/login?next=/web/account"
web a "$U/web/logout" -d "csrf=$tok2"
expect "... and a form of it is refused then (303 to log-in)" test "$CODE" = 303 -a "$(hdr Location)" = "/web/login?next=/web/logout"

# ---- Marketplace entries for the pages: the appliance's (uploaded by REST),
# one to upload through the form, an unsigned one, one whose title is markup --
W=$T_TMP/w
mkdir -p "$W"
A=$T_TMP/empty.cfg
printf '[default]\n' >"$A"
ADA=ada.endorser@example.org
endorser ada "$ADA" || { fail "make the endorser ada"; finish; exit 1; }
# the appliance's image is served by stratusd itself (DATA/published, /images/):
# random bytes, so its VM runs (QEMU, TCG) without booting an OS
install -d "$SL_DIR/published"
head -c 65536 /dev/urandom >"$SL_DIR/published/appliance.img"
cp "$SL_DIR/published/appliance.img" "$W/appliance.img"
head -c 8192 /dev/urandom >"$W/other.img"
head -c 4096 /dev/urandom >"$W/xss.img"
entry appliance "$W/appliance.img" "$U/images/appliance.img" ada
entry other "$W/other.img" https://127.0.0.1/other.img ada
entry unsigned "$W/other.img" https://127.0.0.1/other.img none
entry xss "$W/xss.img" https://127.0.0.1/xss.img ada --title '<script>alert("xss")</script><b>bold</b>'
for e in appliance xss; do
  code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$SL_CA" -H 'Content-Type: application/xml' \
    --data-binary "@$W/$e.xml" "$U/metadata")
  [ "$code" = 201 ] || fail "upload the $e entry by REST" "got $code"
done
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$SL_CA" -H 'Accept: application/json' "$U/metadata")
expect "REST /metadata JSON unchanged by the portal (200)" test "$code" = 200

# ---- the browser tests (the daemon again, with the default idle time: a
# loaded machine may take more than 3 s between two pages) --------------------
stop_daemon
sed -i '/^\[web\]/d; /^session_idle/d' "$SL_CONFIG"
start_daemon "$SL_DIR" || { fail "restart stratusd"; finish; exit 1; }
PY=/usr/bin/python3
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null ||
   ! "$PY" -c 'import selenium' 2>/dev/null; then
  fail "chromium, chromium-driver and python3-selenium installed (scripts/install-deps)"
  finish; exit 1
fi
dport=$(free_port)
chromedriver --port="$dport" --allowed-ips=127.0.0.1 >"$T_TMP/chromedriver.log" 2>&1 &
T_PIDS+=($!)
DRIVER_PID=$!
wait_for 20 curl -s -o /dev/null "http://127.0.0.1:$dport/status" || fail "chromedriver started"
# Chromium processes live under our scratch profile; stop them by PID at exit
# (driver.quit() normally does), then the rest of lib.sh's cleanup.
stop_chromium() {
  local p
  for p in /proc/[0-9]*; do
    grep -qa -- "--user-data-dir=$T_TMP/profile" "$p/cmdline" 2>/dev/null && kill -KILL "${p#/proc/}" 2>/dev/null
  done
  cleanup
}
trap 'kill_vms; stop_chromium' EXIT
for t in "$top"/tests/web/*.py; do
  [ "$(basename "$t")" = webtest.py ] && continue
  rm -rf "$T_TMP/profile"
  WEB_URL=$U WEB_DRIVER=http://127.0.0.1:$dport WEB_PROFILE=$T_TMP/profile WEB_SHOTS=$SHOTS \
    WEB_NAME="$T_NAME/$(basename "$t" .py)" WEB_USER=alice WEB_PASSWORD=alicepw1 \
    WEB_SLOW_USER=mallory WEB_OTHER_USER=bob WEB_OTHER_PASSWORD=bobpw1234 WEB_CA=$SL_CA WEB_DATA=$SL_DIR WEB_W=$W WEB_ENDORSER=$ADA \
    WEB_APPLIANCE_ID=$(ident appliance) WEB_OTHER_ID=$(ident other) WEB_XSS_ID=$(ident xss) \
    timeout 300 "$PY" "$t" >"$T_TMP/web.out" 2>&1
  rc=$?
  cat "$T_TMP/web.out"
  n_pass=$(grep -c '^PASS ' "$T_TMP/web.out"); n_fail=$(grep -c '^FAIL ' "$T_TMP/web.out")
  T_PASS=$((T_PASS + n_pass)); T_FAIL=$((T_FAIL + n_fail))
  [ "$rc" -ne 0 ] && [ "$n_fail" -eq 0 ] && fail "$(basename "$t") exited $rc" "$(tail -5 "$T_TMP/web.out")"
done
kill "$DRIVER_PID" 2>/dev/null
echo "screenshots: $SHOTS"
finish
