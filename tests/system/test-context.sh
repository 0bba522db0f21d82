#!/usr/bin/env bash
# time-limit: 1500
# Contextualization (docs/context.md, guide §8.4): client-side refusals of
# --context/--context-file/--cloud-init/stratus-prepare-context (no VM is
# started), server-side refusals (POST /vms/), then three real appliance VMs:
#   1. the guide's --cloud-init 'ssh,KEY.pub#x-shellscript,run-http.sh' plus
#      nasty --context/--context-file values compared byte for byte in the
#      guest, the derived keys and the _CLOUD_INIT disk;
#   2. the `none` variant (the LAST none file is the user data);
#   3. stratus-prepare-context + --context-file cloud-init.txt.
# Each ends with curl http://<ip>/test.txt = SUCCESSFUL TEST and ssh with KEY.
. "$(dirname "$0")/lib.sh"
private_home
# a private /24 so that tests and benchmarks running at the same time do not
# compete for the default pool's first addresses (host forwarding would fail)
SL_CONFIG=$T_TMP/stratusd.conf
printf '[cloud]\nnetwork = 127.%d.%d.0/24\n' $((101 + RANDOM % 150)) $((RANDOM % 256)) >"$SL_CONFIG"
start_daemon
add_user alice alicepw1
A=$(user_config alice alicepw1)
W=$T_TMP/work
mkdir -p "$W"
cd "$W" || exit 1

ssh-keygen -q -t ed25519 -N '' -C cloudinit@test -f "$W/KEY" >/dev/null
ssh-keygen -q -t ed25519 -N '' -C dashk@test -f "$W/other" >/dev/null
cat >"$W/run-http.sh" <<'EOF'
#!/bin/sh
mkdir -p /www
echo "SUCCESSFUL TEST" > /www/test.txt
busybox httpd -p 80 -h /www
EOF
printf '#!/bin/sh\ntouch /root/first-ran\n' >"$W/first.sh"
printf '#!/bin/sh\ntouch /root/other-ran\n' >"$W/other.sh"
RUN=(stratus-run-instance --no-check-image-url -c "$A" -k "$W/other.pub" --ram 256)
MP_ID=BN1EEkPiBx87_uLj2-sdybSI-Xb
vms_count() {
  curl -s --cacert "$SL_CA" -u alice:alicepw1 "https://127.0.0.1:$SL_PORT/vms/" |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}

# ---- stratus-prepare-context ------------------------------------------------
check "prepare-context writes cloud-init.txt" \
  stratus-prepare-context "ssh,$W/KEY.pub" x-shellscript,run-http.sh
expect "cloud-init.txt: 3 lines + extra newlines" python3 - "$W/cloud-init.txt" "$W/KEY.pub" <<'EOF'
import base64, gzip, email, sys
text = open(sys.argv[1]).read()
lines = text.split("\n")
assert lines[0] == "CONTEXT_METHOD=cloud-init", lines[0]
assert lines[1].startswith("CLOUD_INIT_AUTHORIZED_KEYS="), lines[1]
assert lines[2].startswith("CLOUD_INIT_USER_DATA="), lines[2]
assert text.endswith("\n\n") and lines[3:] == ["", ""], lines[3:]
keys = base64.b64decode(lines[1].split("=", 1)[1]).decode()
assert keys == open(sys.argv[2]).read().strip() + "\n", keys
raw = base64.b64decode(lines[2].split("=", 1)[1])
assert raw[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff", raw[:10]
msg = email.message_from_bytes(gzip.decompress(raw))
parts = [p for p in msg.walk() if not p.is_multipart()]
assert [(p.get_content_type(), p.get_filename()) for p in parts] == \
    [("text/x-shellscript", "run-http.sh")]
assert parts[0].get_payload(decode=True) == open("run-http.sh", "rb").read()
EOF
cp "$W/cloud-init.txt" "$W/first.txt"
stratus-prepare-context "ssh,$W/KEY.pub" x-shellscript,run-http.sh
expect "prepare-context is deterministic" cmp -s "$W/cloud-init.txt" "$W/first.txt"

# ---- client-side refusals: "  [ERROR] ...", exit 1, no VM -------------------
head -c 40000 /dev/urandom | base64 >"$W/big.txt"
{ printf '#!/bin/sh\n'; head -c 100 /dev/zero; } >"$W/binary.sh"
for tool in prepare run; do
  if [ $tool = prepare ]; then pre=(stratus-prepare-context); sep=' '
  else pre=("${RUN[@]}" "$MP_ID" --cloud-init); sep='#'; fi
  args() { if [ $tool = prepare ]; then "${pre[@]}" "$@"; else "${pre[@]}" "$(IFS='#'; echo "$*")"; fi; }
  check_err "$tool: missing file" 1 '^  \[ERROR\] cloud-init file `nothere\.sh` does not exist$' \
    args "ssh,$W/KEY.pub" x-shellscript,nothere.sh
  check_err "$tool: unknown pseudo-type" 1 '^  \[ERROR\] Unknown cloud-init mimetype `sshkey` in `sshkey,KEY\.pub`' \
    args sshkey,KEY.pub
  check_err "$tool: over the size cap" 1 '^  \[ERROR\] multipart size \([0-9]+\) exceeds limit \(16384\)$' \
    args x-shellscript,big.txt
  check_err "$tool: malformed pair" 1 '^  \[ERROR\] Invalid cloud-init pair `run-http\.sh` \(mimetype,file expected\)$' \
    args "ssh,$W/KEY.pub" run-http.sh
  check_err "$tool: binary file as none" 1 '^  \[ERROR\] cloud-init file `binary\.sh` is binary; user data must be text$' \
    args none,binary.sh
  : "$sep"
done
check_err "run: invalid context key" 1 '^  \[ERROR\] invalid context key `A-B`: keys must match' \
  "${RUN[@]}" --context 'A-B=1' "$MP_ID"
check_err "run: context item without =" 1 '^  \[ERROR\] Syntax error in line `novalue`$' \
  "${RUN[@]}" --context 'A=1#novalue' "$MP_ID"
printf 'GOOD=1\n9BAD=2\n' >"$W/badkey.ctx"
check_err "run: invalid key in --context-file" 1 '^  \[ERROR\] invalid context key `9BAD`' \
  "${RUN[@]}" --context-file "$W/badkey.ctx" "$MP_ID"
check_err "run: missing --context-file" 1 '^  \[ERROR\] Extra context file does not exist: ' \
  "${RUN[@]}" --context-file "$W/nothere.ctx" "$MP_ID"
expect "no VM was started by the refused commands" test "$(vms_count)" = 0

# ---- server-side refusals -----------------------------------------------------
post() { # post JSON -> "<status> <body>"
  curl -s -w ' %{http_code}' --cacert "$SL_CA" -u alice:alicepw1 -H 'Content-Type: application/json' \
    -d "$1" "https://127.0.0.1:$SL_PORT/vms/"
}
out=$(post "{\"image\": \"$MP_ID\", \"context\": {\"A-B\": \"1\"}}")
expect "server refuses an invalid key (400)" grep -q 'invalid context key `A-B`.* 400$' <<<"$out"
out=$(post "{\"image\": \"$MP_ID\", \"context\": {\"CONTEXT_METHOD\": \"cloud-init\", \"CLOUD_INIT_USER_DATA\": \"not base64!\"}}")
expect "server refuses bad CLOUD_INIT_USER_DATA (400)" grep -q 'not base64.* 400$' <<<"$out"
expect "still no VM" test "$(vms_count)" = 0

# ---- real VMs -------------------------------------------------------------------
appliance_image
img_id=$(stratus-admin --data-dir "$SL_DIR" image add "$image" 2>"$T_TMP/add.err" | tail -1)
[[ "$img_id" =~ ^[A-Za-z0-9_-]{27}$ ]] || { fail "register the appliance" "$img_id"; finish; exit; }

# Nasty values: quotes, $, backticks, backslashes, newlines, tabs, UTF-8, an
# injection attempt; '#' only through the context file.
N1="it's \"quoted\" \$HOME \`id\` \\ back\\\\slash"
N2=$'line1\nline2 $(touch /root/pwned)\n'
N3="'; touch /root/pwned; '"
N4=$'tab\there h\xc3\xa9llo \xe2\x9c\x93 '
printf 'F1=a#b "c" '"'"'d'"'"' $x\nlower_key=lower\n' >"$W/nasty.ctx"
F1='a#b "c" '"'"'d'"'"' $x'

start_vm() { # start_vm NAME ARGS... -> sets VM_<NAME> and IP_<NAME>
  local name=$1; shift
  run "${RUN[@]}" -q "$@" "$img_id"
  if [ "$RC" -ne 0 ]; then fail "start vm $name" "$ERR"; return 1; fi
  printf -v "VM_$name" '%s' "${OUT%%,*}"
  printf -v "IP_$name" '%s' "${OUT##*, }"
  pass "start vm $name (${OUT})"
}
start_vm guide --cloud-init "ssh,$W/KEY.pub#x-shellscript,run-http.sh" \
  --context "N1=$N1#N2=$N2#N3=$N3#N4=$N4#EMPTY=" --context-file "$W/nasty.ctx"
start_vm none --cloud-init "ssh,$W/KEY.pub#none,first.sh#x-shellscript,other.sh#none,run-http.sh"
stratus-prepare-context "ssh,$W/KEY.pub" x-shellscript,run-http.sh
start_vm file --context-file cloud-init.txt

SSH=(ssh -i "$W/KEY" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
  -o ConnectTimeout=10 -o LogLevel=ERROR)
for name in guide none file; do
  vm=VM_$name ip=IP_$name
  vm=${!vm:-} ip=${!ip:-}
  [ -n "$vm" ] || continue
  for _ in $(seq 300); do ready "$vm" && break; sleep 1; done
  expect "$name: READY" ready "$vm"
  check_out "$name: curl http://<ip>/test.txt" '^SUCCESSFUL TEST$' \
    curl -s --max-time 10 "http://$ip/test.txt"
  check_out "$name: ssh root@<ip> with the cloud-init key" '^root$' "${SSH[@]}" "root@$ip" whoami
  expect "$name: USERDATA-RC 0 on the console" grep -q 'USERDATA-RC 0' "$SL_DIR/vms/$vm/serial.log"
  expect "$name: _CLOUD_INIT disk read" grep -q 'CONTEXT-OK .*(_CLOUD_INIT)' "$SL_DIR/vms/$vm/serial.log"
done

# VM guide: byte-for-byte context values, derived keys, the VFAT disk.
if [ -n "${VM_guide:-}" ]; then
  hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; echo; }
  want=$(for v in "$N1" "$N2" "$N3" "$N4" "" "$F1" lower; do hex "$v"; done)
  # shellcheck disable=SC2016
  got=$("${SSH[@]}" "root@$IP_guide" 'mkdir -p /mnt/ctx && mount -t iso9660 -o ro $(findfs LABEL=_STRATUSLAB) /mnt/ctx &&
    . /mnt/ctx/context.sh && for v in "$N1" "$N2" "$N3" "$N4" "$EMPTY" "$F1" "$LOWER_KEY"; do
    printf "%s" "$v" | od -An -tx1 | tr -d " \n"; echo; done; cp /mnt/ctx/context.sh /tmp/c.sh; umount /mnt/ctx')
  if [ "$got" = "$want" ]; then pass "guide: 7 nasty values round-trip byte for byte"
  else fail "guide: nasty values round trip" "want: $want" "got:  $got"; fi
  check_out "guide: nothing was injected" '^none$' "${SSH[@]}" "root@$IP_guide" \
    'ls /root/pwned 2>/dev/null || echo none'
  run "${SSH[@]}" "root@$IP_guide" 'cat /tmp/c.sh'
  ctx=$OUT
  expect "guide: USERDATA_ENCODING='base64'" grep -qx "USERDATA_ENCODING='base64'" <<<"$ctx"
  expect "guide: USER_DATA = CLOUD_INIT_USER_DATA" test \
    "$(sed -n "s/^USER_DATA='\(.*\)'$/\1/p" <<<"$ctx")" = \
    "$(sed -n "s/^CLOUD_INIT_USER_DATA='\(.*\)'$/\1/p" <<<"$ctx")"
  expect "guide: SSH_PUBLIC_KEY has both keys" bash -c \
    'grep -qF "$(cut -d" " -f2 "$1")" <<<"$0" && grep -qF "$(cut -d" " -f2 "$2")" <<<"$0"' \
    "$(sed -n '/^SSH_PUBLIC_KEY=/,/'"'"'$/p' <<<"$ctx")" "$W/KEY.pub" "$W/other.pub"
  expect "guide: ETH0_IP and HOSTNAME" grep -q "^ETH0_IP='10.0.2.15'$" <<<"$ctx"
  # shellcheck disable=SC2016
  run "${SSH[@]}" "root@$IP_guide" 'mkdir -p /mnt/ci && mount -t vfat -o ro $(findfs LABEL=_CLOUD_INIT) /mnt/ci &&
    cat /mnt/ci/root/.ssh/authorized_keys && echo ---- && cat /mnt/ci/meta.js; umount /mnt/ci'
  expect "guide: _CLOUD_INIT root/.ssh/authorized_keys = KEY.pub" \
    test "${OUT%%$'\n'----*}" = "$(cat "$W/KEY.pub")"
  expect "guide: meta.js user-data is the multipart, dsmode local" python3 -c '
import json, sys
m = json.loads(sys.argv[1].split("----\n", 1)[1])
assert m["dsmode"] == "local" and list(m) == ["user-data", "dsmode"], m
assert m["user-data"].startswith("Content-Type: multipart/mixed; boundary=")
assert open("run-http.sh").read() in m["user-data"]' "$OUT"
fi
if [ -n "${VM_none:-}" ]; then
  check_out "none: only the last none file ran" '^none$' "${SSH[@]}" "root@$IP_none" \
    'ls /root/first-ran /root/other-ran 2>/dev/null || echo none'
fi
for name in guide none file; do
  vm=VM_$name
  [ -n "${!vm:-}" ] && check "$name: kill" stratus-kill-instance -c "$A" "${!vm}"
done
finish
