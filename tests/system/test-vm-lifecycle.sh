#!/usr/bin/env bash
# time-limit: 1500
# VM limits and lifecycle with real QEMU guests (docs/cloud.md "Limits",
# "States", "Recovery"): bad input and quota/capacity refusals start nothing;
# -n 2 boots two VMs with distinct addresses, a volatile disk and swap seen by
# the guest; guest poweroff -> Unknown -> kill -> Done (volatile file gone),
# second kill refused; kill -9 of stratusd with one VM Running and one in
# Prolog (SL_TEST_PROLOG_DELAY_MS test hook) -> restart: the running VM still
# answers ssh, the other is Failed, nothing leaked (run dirs, qemu processes,
# addresses); an ACPI-deaf guest (acpid stopped) ignores shutdown-instance and
# is stopped hard after shutdown_timeout. Boots 2 appliance VMs. Every qemu started here is killed by PID
# at exit (from the run dirs' qemu.pid).
. "$(dirname "$0")/lib.sh"
private_home

trap 'kill_vms; cleanup' EXIT

SL_CONFIG=$T_TMP/stratusd.conf
printf '[cloud]\nshutdown_timeout = 20\n' >"$SL_CONFIG"
start_daemon
add_user alice alicepw1
add_user carol carolpw1
add_user dave davepw12
A=$(user_config alice alicepw1)
CA=$(user_config carol carolpw1)
D=$(user_config dave davepw12)
URL=https://127.0.0.1:$SL_PORT
listed() { # listed USER PASSWORD -> number of VMs in GET /vms/
  curl -s --cacert "$SL_CA" -u "$1:$2" "$URL/vms/" | json "len(d)"
}
ssh-keygen -q -t ed25519 -N '' -C lifecycle -f "$T_TMP/key" >/dev/null
SSH=(ssh -i "$T_TMP/key" -o BatchMode=yes -o StrictHostKeyChecking=no
  -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10 -o LogLevel=ERROR)

appliance_image
check_out "register the appliance image" '^[A-Za-z0-9_-]{27}$' \
  stratus-admin --data-dir "$SL_DIR" image add "$image"
IMG=$OUT
RUN=(stratus-run-instance --no-check-image-url -c "$A" -k "$T_TMP/key.pub" --ram 256)

# ---- bad input: "  [ERROR] ...", exit 1, nothing started -----------------------------
check_err "unknown image" 1 "^  \[ERROR\] Service error: no valid Marketplace entry for image AAAAAAAAAAAAAAAAAAAAAAAAAAA" \
  "${RUN[@]}" AAAAAAAAAAAAAAAAAAAAAAAAAAA
check_err "malformed image identifier" 1 "^  \[ERROR\] Invalid image identifier: bad!id$" \
  "${RUN[@]}" 'bad!id'
check_err "unknown type" 1 "^  \[ERROR\] Unknown instance type: m9\.huge$" "${RUN[@]}" -t m9.huge "$IMG"
check_err "--cpu 0" 1 "^  \[ERROR\] --cpu must be at least 1$" "${RUN[@]}" --cpu 0 "$IMG"
check_err "--ram -5" 1 "^  \[ERROR\] --ram must be at least 1" "${RUN[@]}" --ram -5 "$IMG"
check_err "missing key file" 1 "^  \[ERROR\] Public key file .*nokey\.pub.* does not exist" \
  stratus-run-instance --no-check-image-url -c "$A" -k "$T_TMP/nokey.pub" "$IMG"
check_err "describe unknown VM id" 1 "^  \[ERROR\] Service error: VM 4242 does not exist$" \
  stratus-describe-instance -c "$A" 4242
check_err "kill unknown VM id" 1 "^  \[ERROR\] Service error: VM 4242 does not exist$" \
  stratus-kill-instance -c "$A" 4242

# ---- quota and capacity: refused as a whole ------------------------------------------
check "quota set carol --vms 1" stratus-admin --data-dir "$SL_DIR" quota set carol --vms 1
check_err "quota: -n 2 over a vms quota of 1" 1 \
  "^  \[ERROR\] Service error: quota exceeded: vms \(0 \+ 2 > 1\)$" \
  stratus-run-instance --no-check-image-url -c "$CA" -k "$T_TMP/key.pub" --ram 256 -n 2 "$IMG"
check_out "quota show carol" "^vms +0 +1$" stratus-admin --data-dir "$SL_DIR" quota show carol
expect "quota show: default limits" grep -Eq "^cpu +0 +default$" <<<"$OUT"
check_err "quota set: unknown user" 1 "no such user" \
  stratus-admin --data-dir "$SL_DIR" quota set nobody --cpu 1
mem=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024))
check "quota set dave (large)" stratus-admin --data-dir "$SL_DIR" quota set dave --cpu 1000 \
  --ram 100000000 --vms 100
check_err "capacity: -n 2 that does not fit the host's RAM" 1 \
  "^  \[ERROR\] Service error: not enough capacity on this cloud: ram \([0-9]+ in use \+ [0-9]+ asked > $mem MiB\)$" \
  stratus-run-instance --no-check-image-url -c "$D" -k "$T_TMP/key.pub" --ram $((mem / 2 + 1)) -n 2 "$IMG"
printf '[instance_types]\nhuge = 1, %d, 0\n' $((mem + 1)) >>"$D"
check_err "capacity: a type bigger than the host" 1 \
  "^  \[ERROR\] Service error: not enough capacity on this cloud: one VM asks $((mem + 1)) MiB RAM" \
  stratus-run-instance --no-check-image-url -c "$D" -k "$T_TMP/key.pub" -t huge "$IMG"
expect "nothing was started (alice, carol, dave)" \
  test "$(listed alice alicepw1) $(listed carol carolpw1) $(listed dave davepw12)" = "0 0 0"
expect "no run dir" bash -c "! ls -A '$SL_DIR/vms' | grep -q ."

# ---- -n 2: two VMs, distinct addresses, volatile disk and swap -------------------------
run "${RUN[@]}" -q -n 2 --volatile-disk 1 --swap 64 "$IMG"
expect "run-instance -n 2" test "$RC" -eq 0 -a "$(wc -l <<<"$OUT")" -eq 2
V1=$(sed -n '1s/,.*//p' <<<"$OUT"); IP1=$(sed -n '1s/.*, //p' <<<"$OUT")
V2=$(sed -n '2s/,.*//p' <<<"$OUT"); IP2=$(sed -n '2s/.*, //p' <<<"$OUT")
if [ -z "$V1" ] || [ -z "$V2" ]; then fail "two VM ids" "$OUT" "$ERR"; finish; exit; fi
expect "distinct addresses" test -n "$IP1" -a "$IP1" != "$IP2"
check_out "quota show alice: 2 VMs, 2 vCPUs, 512 MiB" "^vms +2 +default$" \
  stratus-admin --data-dir "$SL_DIR" quota show alice
expect "quota show alice: ram" grep -Eq "^ram \(MiB\) +512 +default$" <<<"$OUT"
expect "VM 1 Running" wait_state "$V1" Running 60
expect "VM 2 Running" wait_state "$V2" Running 60
expect "VM 1 READY" wait_ready "$V1" 180
expect "VM 2 READY" wait_ready "$V2" 180
check_out "ssh VM 1" "^vm-$V1$|^one-$V1$" "${SSH[@]}" "root@$IP1" hostname
check_out "ssh VM 2" "^vm-$V2$|^one-$V2$" "${SSH[@]}" "root@$IP2" hostname
# disks: vda root, vdb volatile (1 GiB), vdc swap (64 MiB, swapon by the appliance)
check_out "guest sees the 1 GiB volatile disk" "^2097152$" "${SSH[@]}" "root@$IP1" cat /sys/block/vdb/size
check_out "guest sees the 64 MiB swap disk" "^131072$" "${SSH[@]}" "root@$IP1" cat /sys/block/vdc/size
check_out "swap is on" "^/dev/vdc[[:space:]]+partition[[:space:]]+6[0-9]{4}[[:space:]]" "${SSH[@]}" "root@$IP1" cat /proc/swaps
vol2=$SL_DIR/vms/$V2/volatile.img
expect "volatile file on the host" test -f "$vol2"
expect "volatile file is sparse" test "$(du -k "$vol2" | cut -f1)" -lt 1024
q2=$(cat "$SL_DIR/vms/$V2/qemu.pid")

# ---- guest poweroff -> Unknown -> kill -> Done; second kill refused --------------------
"${SSH[@]}" "root@$IP2" poweroff >/dev/null 2>&1
expect "guest poweroff -> Unknown" wait_state "$V2" Unknown 60
expect "Unknown holds the address" test "$(vm_field "$V2" ip)" = "$IP2"
check "kill the Unknown VM" stratus-kill-instance -c "$A" "$V2"
check_out "killed VM shows Done" "^$V2 +Done " stratus-describe-instance -c "$A" -q "$V2"
expect "volatile file gone after kill" test ! -e "$vol2"
expect "run dir gone after kill" test ! -e "$SL_DIR/vms/$V2"
expect "qemu gone after kill" gone "$q2"
check_err "second kill: already Done" 1 "^  \[ERROR\] Service error: VM $V2 is already Done$" \
  stratus-kill-instance -c "$A" "$V2"

# ---- kill -9 with one VM Running and one in Prolog ----------------------------------------
q1=$(cat "$SL_DIR/vms/$V1/qemu.pid")
stop_daemon TERM
export SL_TEST_PROLOG_DELAY_MS=120000
start_daemon "$SL_DIR"
unset SL_TEST_PROLOG_DELAY_MS
run "${RUN[@]}" -q "$IMG"
V3=${OUT%%,*}
expect "VM 3 requested" test "$RC" -eq 0 -a -n "$V3"
expect "VM 3 held in Prolog (test hook)" wait_state "$V3" Prolog 30
expect "VM 3 has a run dir" test -d "$SL_DIR/vms/$V3"
stop_daemon KILL
expect "VM 1's qemu survives kill -9 of stratusd" kill -0 "$q1"
start_daemon "$SL_DIR"
expect "VM 1 adopted: Running" wait_state "$V1" Running 15
check_out "VM 1 still answers ssh" "^vm-$V1$|^one-$V1$" "${SSH[@]}" "root@$IP1" hostname
expect "VM 3 Failed after the restart" wait_state "$V3" Failed 15
expect "VM 3 says why" bash -c "curl -s --cacert '$SL_CA' -u alice:alicepw1 '$URL/vms/$V3' |
  grep -q 'interrupted by a daemon restart during Prolog'"
expect "VM 3: address released" test "$(vm_field "$V3" ip)" = None
expect "VM 2: address released" test "$(vm_field "$V2" ip)" = None
expect "run dirs: only VM 1's" test "$(ls "$SL_DIR/vms")" = "$V1"
# every qemu started on this data dir belongs to a live VM row: only VM 1's
qemus=$(for p in /proc/[0-9]*; do
  grep -qa -- "$SL_DIR/vms/" "$p/cmdline" 2>/dev/null && grep -qa qemu "$p/cmdline" && basename "$p"
done 2>/dev/null | sort -n | tr '\n' ' ')
expect "ps: only VM 1's qemu ($q1) runs (found: $qemus)" test "$qemus" = "$q1 "
check_out "quota show alice: VM 1 only" "^vms +1 +default$" \
  stratus-admin --data-dir "$SL_DIR" quota show alice

# ---- an ACPI-deaf guest: the power button is ignored, hard stop after shutdown_timeout ---
check "VM 1 made ACPI-deaf (acpid stopped in the guest)" "${SSH[@]}" "root@$IP1" \
  'kill $(pidof acpid) && sleep 1 && ! pidof acpid'
check "shutdown-instance VM 1" stratus-shutdown-instance -c "$A" "$V1"
expect "VM 1: Shutdown, qemu still there" bash -c '[ "$1" = Shutdown ] && kill -0 "$2"' _ \
  "$(vm_field "$V1" state)" "$q1"
expect "VM 1: hard stop -> Done" wait_state "$V1" Done 90
expect "the daemon stopped it for the timeout (20 s), not the guest" \
  grep -q "vm $V1: guest did not power off in time: hard stop" "$SL_LOG"
expect "VM 1's qemu gone" gone "$q1"
expect "VM 1: address released" test "$(vm_field "$V1" ip)" = None
expect "no run dir left" bash -c "! ls -A '$SL_DIR/vms' | grep -q ."
stop_daemon TERM
expect "stratusd exits 0 on SIGTERM" test "$SL_EXIT" = 0
finish
