#!/usr/bin/env bash
# time-limit: 1500
# The VM REST API (docs/rest-vm.md) with real QEMU guests (docs/cloud.md):
# image cache, POST /vms/ -> Running, READY on the serial console, ssh into
# the VM's public address, kill -9 of stratusd and adoption after restart,
# DELETE (run dir gone, address reusable), ACPI shutdown -> Done.
# Boots 2 appliance VMs (+1 killed during Prolog/Boot). Every qemu started
# here is killed by PID at exit (from the run dirs' qemu.pid).
. "$(dirname "$0")/lib.sh"

trap 'kill_vms; cleanup' EXIT

now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc; }

start_daemon
add_user alice alicepw1
add_user bob bobpw123
C=(curl -s --cacert "$SL_CA" -u alice:alicepw1)
URL=https://127.0.0.1:$SL_PORT
vm_get() { "${C[@]}" "$URL/vms/$1"; }
SSH=(ssh -i "$T_TMP/key" -o BatchMode=yes -o StrictHostKeyChecking=no
  -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10 -o LogLevel=ERROR)

# ---- image cache --------------------------------------------------------------
appliance_image
check_out "image add prints the identifier" '^[A-Za-z0-9_-]{27}$' \
  stratus-admin --data-dir "$SL_DIR" image add "$image"
IMG=$OUT
check_out "image add is idempotent" "^$IMG$" stratus-admin --data-dir "$SL_DIR" image add "$image"
check_out "image list" "^$IMG $(stat -c %s "$image") $SL_DIR/images/$IMG.img$" \
  stratus-admin --data-dir "$SL_DIR" image list
cached=$SL_DIR/images/$IMG.img
expect "cached image is read-only" test "$(stat -c %a "$cached")" = 444
sha_before=$(sha1sum <"$cached")

ssh-keygen -q -t ed25519 -N '' -C vmtest -f "$T_TMP/key" >/dev/null
KEY=$(cat "$T_TMP/key.pub")
post_vm() { # post_vm JSON -> sets OUT (body) and CODE
  OUT=$("${C[@]}" -w '\n%{http_code}' -H 'Content-Type: application/json' -d "$1" "$URL/vms/")
  CODE=${OUT##*$'\n'}
  OUT=${OUT%$'\n'*}
}

# ---- REST basics ----------------------------------------------------------------
expect "GET /types/ has m1.small" test "$("${C[@]}" "$URL/types/" | json "d['m1.small']['ram']")" = 1536
post_vm '{"ram": 256}'
expect "POST without image: 400" test "$CODE" = 400
post_vm '{"image": "AAAAAAAAAAAAAAAAAAAAAAAAAAA"}'
expect "POST with an unknown image: 404" test "$CODE" = 404
post_vm "{\"image\": \"$IMG\", \"persistent_disks\": [\"9c5a2c03-8243-4a1b-a248-0f0d22d948c2\"]}"
expect "unknown persistent disk: 404, nothing started" test "$CODE" = 404
expect "nothing was allocated" test "$("${C[@]}" "$URL/vms/")" = "[]"

# ---- VM A: boot, ssh, daemon kill -9, adoption, DELETE -----------------------------
t0=$(now)
post_vm "{\"image\": \"$IMG\", \"ram\": 256, \"swap\": 0, \"name\": \"web\", \"public_key\": \"$KEY\", \"context\": {\"foo\": \"bar\"}}"
expect "POST /vms/: 201" test "$CODE" = 201
A=$(json "d['vms'][0]['id']" <<<"$OUT")
IPA=$(json "d['vms'][0]['ip']" <<<"$OUT")
expect "first address of the pool" test "$IPA" = "$SL_NET.2"
expect "A reaches Running" wait_state "$A" Running 60
echo "INFO POST -> Running: $(elapsed "$t0") s"
expect "Running VM reports memory in KiB" test "$(vm_field "$A" memory)" = 262144
expect "bob gets 404 for A" test "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$SL_CA" \
  -u bob:bobpw123 "$URL/vms/$A")" = 404
RUN=$SL_DIR/vms/$A
for f in disk.qcow2 context.iso qmp.sock serial.log qemu.pid; do
  expect "run dir has $f" test -e "$RUN/$f"
done
expect "overlay backs onto the cached image (absolute path)" \
  bash -c "qemu-img info -U '$RUN/disk.qcow2' | grep -qx 'backing file: $cached'"
expect "A: READY on the serial console" wait_ready "$A" 120
echo "INFO POST -> READY: $(elapsed "$t0") s"
check_out "ssh root@<ip> hostname" '^web$' "${SSH[@]}" "root@$IPA" hostname
echo "INFO POST -> ssh done: $(elapsed "$t0") s"
check_out "context reached the guest" "^FOO='bar'$" "${SSH[@]}" "root@$IPA" cat /run/context/context.sh
qa=$(cat "$RUN/qemu.pid")

stop_daemon KILL
expect "qemu survives kill -9 of stratusd" kill -0 "$qa"
start_daemon "$SL_DIR"
expect "A adopted after restart: Running" wait_state "$A" Running 10
expect "daemon log says adopted" grep -q "vm $A: adopted" "$SL_LOG"
check_out "ssh still works after restart" '^web$' "${SSH[@]}" "root@$IPA" hostname
t1=$(now)
OUT=$("${C[@]}" -X DELETE "$URL/vms/$A")
expect "DELETE: state Done" test "$(json "d['state']" <<<"$OUT")" = Done
echo "INFO DELETE: $(elapsed "$t1") s"
expect "DELETE: address released" test "$(json "d['ip']" <<<"$OUT")" = None
expect "DELETE: run dir gone" test ! -e "$RUN"
expect "DELETE: qemu gone" gone "$qa"
expect "Done VMs are not listed" test "$("${C[@]}" "$URL/vms/")" = "[]"
expect "cached image unchanged" test "$(sha1sum <"$cached")" = "$sha_before"

# ---- VM B: the same address again; ACPI shutdown -> Done ---------------------------
post_vm "{\"image\": \"$IMG\", \"ram\": 256, \"swap\": 64, \"public_key\": \"$KEY\"}"
B=$(json "d['vms'][0]['id']" <<<"$OUT")
expect "released address is reused" test "$(json "d['vms'][0]['ip']" <<<"$OUT")" = "$IPA"
expect "B reaches Running" wait_state "$B" Running 60
expect "B: READY" wait_ready "$B" 120
qb=$(cat "$SL_DIR/vms/$B/qemu.pid")
OUT=$("${C[@]}" -w '\n%{http_code}' -X POST "$URL/vms/$B/shutdown")
expect "shutdown: 202" test "${OUT##*$'\n'}" = 202
expect "shutdown: state Shutdown" test "$(json "d['state']" <<<"${OUT%$'\n'*}")" = Shutdown
t2=$(now)
expect "B: Shutdown -> Done" wait_state "$B" Done 60
echo "INFO shutdown -> Done: $(elapsed "$t2") s"
expect "B: run dir gone" test ! -e "$SL_DIR/vms/$B"
expect "B: qemu gone" gone "$qb"
expect "B: address released" test "$(vm_field "$B" ip)" = None
OUT=$("${C[@]}" -w '\n%{http_code}' -X POST "$URL/vms/$B/shutdown")
expect "shutdown of a Done VM: 409" test "${OUT##*$'\n'}" = 409

# ---- VM C: killed at once (Prolog/Boot) ------------------------------------------
post_vm "{\"image\": \"$IMG\", \"ram\": 256}"
Cid=$(json "d['vms'][0]['id']" <<<"$OUT")
OUT=$("${C[@]}" -X DELETE "$URL/vms/$Cid")
expect "early kill: Done" test "$(json "d['state']" <<<"$OUT")" = Done
expect "early kill: run dir gone" test ! -e "$SL_DIR/vms/$Cid"
expect "early kill: address released" test "$(json "d['ip']" <<<"$OUT")" = None
check "image del after the VMs are Done" stratus-admin --data-dir "$SL_DIR" image del "$IMG"
expect "cached file removed" test ! -e "$cached"

stop_daemon TERM
expect "stratusd exits 0 on SIGTERM" test "$SL_EXIT" = 0
expect "no qemu left" bash -c "! ls '$SL_DIR'/vms/*/qemu.pid >/dev/null 2>&1"
finish
