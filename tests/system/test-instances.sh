#!/usr/bin/env bash
# Virtual machine commands: run-instance (client-side checks, --list-types),
# then the guide §3.4.1 flow with real VMs (at most 2 booted: TCG is slow):
# run, describe until Running, READY on the serial console, connect-instance,
# plain ssh, kill, describe shows Done; -q/-o output; other users see nothing.
. "$(dirname "$0")/lib.sh"
private_home
start_daemon
add_user alice alicepw1
add_user bob bobpw123
A=$(user_config alice alicepw1)
B=$(user_config bob bobpw123)
MP_ID=BN1EEkPiBx87_uLj2-sdybSI-Xb

# --list-types: exact table (protocols.md §2.3), no service needed.
want_types=" Type             CPU       RAM      SWAP
  c1.medium       2 CPU    1536 MB    1536 MB
  c1.xlarge       4 CPU    6144 MB    6144 MB
  m1.large        2 CPU    6144 MB    6144 MB
  m1.medium       1 CPU    3072 MB    3072 MB
* m1.small        1 CPU    1536 MB    1536 MB
  m1.xlarge       4 CPU    8192 MB    8192 MB
  t1.micro        1 CPU     512 MB     512 MB
"
stratus-run-instance -c "$A" --list-types >"$T_TMP/types.out" 2>&1
printf '%s\n' "$want_types" >"$T_TMP/types.want"
expect "--list-types exact output (trailing empty line)" cmp -s "$T_TMP/types.out" "$T_TMP/types.want"
run stratus-run-instance -c "$A" -l -t t1.micro
expect "-l marks the --type" grep -q '^\* t1\.micro ' <<<"$OUT"
cat >"$T_TMP/types.cfg" <<CFG
[default]
endpoint = 127.0.0.1:$SL_PORT
[instance_types]
tiny = 1, 256, 0
m1.small = (2, 2048, 512)
CFG
run stratus-run-instance -c "$T_TMP/types.cfg" --list-type
expect "user types listed and override built-ins" \
  grep -q '^\* m1\.small        2 CPU    2048 MB     512 MB$' <<<"$OUT"
expect "user type added" grep -q '^  tiny            1 CPU     256 MB       0 MB$' <<<"$OUT"

# Client-side refusals (nothing is sent).
ssh-keygen -q -t ed25519 -N '' -C test@stratuslab -f "$T_TMP/key" >/dev/null
check_err "unknown instance type" 1 "^  \[ERROR\] Unknown instance type: m9\.huge$" \
  stratus-run-instance -c "$A" -k "$T_TMP/key.pub" -t m9.huge "$MP_ID"
check_err "missing public key file" 1 "^  \[ERROR\] Public key file .*nokey\.pub.* does not exist" \
  stratus-run-instance -c "$A" -k "$T_TMP/nokey.pub" "$MP_ID"
check_err "default key ~/.ssh/id_rsa.pub missing" 1 "id_rsa\.pub.* does not exist" \
  stratus-run-instance -c "$A" "$MP_ID"
check_err "invalid image identifier" 1 "^  \[ERROR\] Invalid image identifier: not-an-image$" \
  stratus-run-instance -c "$A" -k "$T_TMP/key.pub" not-an-image
check_err "image URLs not supported yet" 1 "URLs are not supported" \
  stratus-run-instance -c "$A" -k "$T_TMP/key.pub" http://example.org/image.img
check_err "--save needs --author" 2 "error: With the --save option, please provide --author$" \
  stratus-run-instance -c "$A" -k "$T_TMP/key.pub" --save "$MP_ID"
check_err "--save needs --comment" 2 "please provide --comment" \
  stratus-run-instance -c "$A" -k "$T_TMP/key.pub" --save --author a --author-email a@b \
  --image-version 1.0 --title t "$MP_ID"
check_err "run-instance needs an image" 2 "error: expected 1 argument" stratus-run-instance -c "$A"
check_err "kill-instance needs ids" 1 "^  \[ERROR\] Missing vm-id or input file \(-i/--input\)$" \
  stratus-kill-instance -c "$A"
check_err "shutdown-instance needs ids" 1 "Missing vm-id or input file" \
  stratus-shutdown-instance -c "$A"
check_err "connect-instance: missing private key" 1 "^  \[ERROR\] Private key .*nokey. does not exist$" \
  stratus-connect-instance -c "$A" -k "$T_TMP/nokey.pub" 1
printf '[default]\nusername = alice\npassword = alicepw1\n' >"$T_TMP/noendpoint.cfg"
check_err "describe-instance needs an endpoint" 1 "Missing cloud endpoint" \
  stratus-describe-instance -c "$T_TMP/noendpoint.cfg"

# The rest needs the VM service: GET /vms/ must answer 200 (a dead daemon fails here).
vms_status=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$SL_CA" -u alice:alicepw1 \
  "https://127.0.0.1:$SL_PORT/vms/")
if [ "$vms_status" != 200 ]; then
  fail "GET /vms/ answers 200" "got '$vms_status'" "$(tail -20 "$SL_LOG")"
  finish; exit
fi
pass "GET /vms/ answers 200"
check_err "describe unknown vm" 1 "^  \[ERROR\] Service error: " stratus-describe-instance -c "$A" 99999
check_err "kill unknown vm" 1 "^  \[ERROR\] Service error: " stratus-kill-instance -c "$A" 99999
check_err "shutdown unknown vm" 1 "^  \[ERROR\] Service error: " \
  stratus-shutdown-instance -c "$A" 99999
check_err "invalid vm id" 1 "Invalid vm-id: abc" stratus-kill-instance -c "$A" abc

appliance_image
img_id=$(stratus-admin --data-dir "$SL_DIR" image add "$image" 2>"$T_TMP/add.err" | tail -1)
if ! [[ "$img_id" =~ ^[A-Za-z0-9_-]{27}$ ]]; then
  fail "register the appliance image" "got: $img_id" "$(cat "$T_TMP/add.err")"
  finish; exit
fi
pass "register the appliance image"

vm_state() { # vm_state CFG ID -> the state column of describe-instance -q
  stratus-describe-instance -c "$1" -q "$2" 2>/dev/null | awk '{print $2}'
}
serial_log() { # the serial console log of a VM (docs/cloud.md: <data-dir>/vms/<id>/)
  local f=$SL_DIR/vms/$1/serial.log
  [ -f "$f" ] || f=$(find "$SL_DIR" -path "*/$1/*" -name serial.log 2>/dev/null | head -1)
  echo "${f:-$SL_DIR/vms/$1/serial.log}"
}

# VM 1: the guide's flow.
run stratus-run-instance --no-check-image-url -c "$A" -k "$T_TMP/key.pub" --ram 256 "$img_id"
banner_re=$'^\n :::::::::::::::::::::::::\n :: Starting machine\\(s\\) ::\n :::::::::::::::::::::::::\n :: Starting 1 machine\n :: Machine 1 \\(vm ID: [0-9]+\\)\n\tPublic ip: [0-9.]+\n :: Done!$'
if [ "$RC" -eq 0 ] && [[ "$OUT" =~ $banner_re ]]; then pass "run-instance banner"
else fail "run-instance banner" "exit $RC" "stdout: $OUT" "stderr: $ERR"; fi
vm1=$(sed -n 's/^ :: Machine 1 (vm ID: \([0-9]*\))$/\1/p' <<<"$OUT")
ip1=$(sed -n 's/^\tPublic ip: //p' <<<"$OUT")
if [ -z "$vm1" ]; then finish; exit; fi

run stratus-describe-instance -c "$A"
plain='id  state     vcpu memory    cpu% host/ip                 name'
header=$'\e[1;31m'"$plain"$'\e[0m'
# docs/json.md: colour only on a terminal without NO_COLOR (13.05 coloured pipes too)
expect "describe-instance header in a pipe is plain" test "$(head -1 <<<"$OUT")" = "$plain"
expect "no escape byte in a pipe" bash -c "! grep -q \$'\\e' <<<\"\$0\"" "$OUT"
tty_out=$(script -qec "stratus-describe-instance -c '$A'" /dev/null </dev/null | tr -d '\r')
expect "describe-instance header on a terminal is coloured" test "$(head -1 <<<"$tty_out")" = "$header"
tty_out=$(NO_COLOR=1 script -qec "stratus-describe-instance -c '$A'" /dev/null </dev/null | tr -d '\r')
expect "NO_COLOR on a terminal: plain header" test "$(head -1 <<<"$tty_out")" = "$plain"
tty_out=$(script -qec "stratus-describe-instance --json -c '$A'" /dev/null </dev/null | tr -d '\r')
expect "--json on a terminal: no escape byte" bash -c "! grep -q \$'\\e' <<<\"\$0\"" "$tty_out"
expect "describe-instance lists the vm" grep -Eq "^$vm1 +[A-Z][a-z_]+ +1 +[0-9]+ +[0-9]+ +$ip1 +" <<<"$OUT"
expect "vm1 reaches Running" wait_for 300 bash -c "[ \"\$(stratus-describe-instance -c '$A' -q $vm1 | awk '{print \$2}')\" = Running ]"
check_out "describe-instance <id> row" "^$vm1 +Running +1 +[0-9]+ +[0-9]+ +$ip1 +one-$vm1$" \
  stratus-describe-instance -c "$A" -n "$vm1"
check_out "-vvv lists all attributes" "^$vm1 \(all attributes\)$" \
  stratus-describe-instance -c "$A" -vvv "$vm1"
expect "-vvv attribute lines" grep -q "^  ram = 256$" <<<"$OUT"
check_err "bob cannot see alice's vm" 1 "Service error" stratus-describe-instance -c "$B" "$vm1"
run stratus-describe-instance -c "$B"
expect "bob's list is empty" bash -c "! grep -q '^$vm1 ' <<<\"\$0\"" "$OUT"
check_err "bob cannot kill alice's vm" 1 "Service error" stratus-kill-instance -c "$B" "$vm1"

log=$(serial_log "$vm1")
expect "appliance READY on the serial console" \
  wait_for 300 grep -q STRATUSLAB-APPLIANCE-READY "$log"
check_out "connect-instance runs a command" "^[A-Za-z0-9._-]+$" \
  stratus-connect-instance -c "$A" -k "$T_TMP/key" "$vm1" hostname
check_out "connect-instance accepts the .pub name" "^ok$" \
  stratus-connect-instance -c "$A" -k "$T_TMP/key.pub" "$vm1" echo ok
check_err "connect-instance: remote exit status" 3 "" \
  stratus-connect-instance -c "$A" -k "$T_TMP/key" "$vm1" exit 3
check_out "plain ssh root@<ip>" "^root$" ssh -i "$T_TMP/key" -o BatchMode=yes \
  -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10 \
  "root@$ip1" whoami
check "kill-instance" stratus-kill-instance -c "$A" "$vm1"
expect "kill-instance prints nothing" test -z "$OUT$ERR"
check_out "killed vm shows Done" "^$vm1 +Done " stratus-describe-instance -c "$A" -q "$vm1"
run stratus-describe-instance -c "$A"
expect "Done vms are not listed" bash -c "! grep -q '^$vm1 ' <<<\"\$0\"" "$OUT"

# VM 2: -q and -o, --address (protocols.md §2), killed through -i/--input (no need to
# wait for its boot).
check_out "run-instance -q --address prints '<id>, <that address>'" "^[0-9]+, $SL_NET\\.77$" \
  stratus-run-instance --no-check-image-url -c "$A" -k "$T_TMP/key.pub" --ram 256 -q -o "$T_TMP/ids" \
  --address "$SL_NET.77" "$img_id"
expect "--address prints no 'not supported' warning" bash -c '! grep -qi "not supported" <<<"$0"' "$ERR"
expect "-q prints one line only" test "$(wc -l <<<"$OUT")" -eq 1
vm2=${OUT%%,*}
expect "-o writes the id without a newline" test "$(cat "$T_TMP/ids")" = "$vm2" -a \
  "$(wc -c <"$T_TMP/ids")" -eq "${#vm2}"
check_err "--address already in use" 1 "address $SL_NET\\.77 is already in use" \
  stratus-run-instance --no-check-image-url -c "$B" -k "$T_TMP/key.pub" --ram 256 \
  --address "$SL_NET.77" "$img_id"
check_err "--address outside the pool" 1 "address 192\\.0\\.2\\.7 is not in the address pool" \
  stratus-run-instance --no-check-image-url -c "$B" -k "$T_TMP/key.pub" --ram 256 \
  --address 192.0.2.7 "$img_id"
check_err "--address with -n 2" 1 "asks for one machine" \
  stratus-run-instance --no-check-image-url -c "$B" -k "$T_TMP/key.pub" --ram 256 -n 2 \
  --address "$SL_NET.78" "$img_id"
run stratus-describe-instance -c "$B" -q
expect "refused --address requests started nothing" test "$RC" -eq 0 -a -z "$OUT"
check "kill-instance -i FILE" stratus-kill-instance -c "$A" -i "$T_TMP/ids"
check_out "vm2 Done" "^$vm2 +Done " stratus-describe-instance -c "$A" -q "$vm2"
finish
