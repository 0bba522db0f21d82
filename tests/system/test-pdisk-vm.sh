#!/usr/bin/env bash
# time-limit: 1500
# Persistent disks inside real VMs (guide §7.3, §7.4; docs/cloud.md "Persistent
# disks"). Two VMs in all (TCG is slow):
#  VM 1 boots with volume V1 (--persistent-disk): the guest finds it by-id,
#    mkfs, mount, write a file, umount. Hot-plug V2: ATTACHED, by-id link
#    appears, data written and read back; every refusal; DETACHED only after
#    the guest released it (link gone, users 0). stratusd killed (SIGKILL) at
#    named points inside attach and detach (STRATUSD_TEST_CRASH_AT), restart:
#    mount row iff device in the guest, in the state each point implies.
#    Kill VM 1: users back to 0.
#  VM 2 boots with V1: the file is there, byte for byte (sha1sum); then its QEMU
#    is killed (SIGKILL) under the Running VM: Failed with the reason, address,
#    run dir and V1 released.
# Volatile disks (guide §7.7) are covered by test-vm-lifecycle.sh (-n 2
# --volatile-disk: seen by the guest, file gone after kill).
. "$(dirname "$0")/lib.sh"
private_home
start_daemon
add_user alice alicepw1
add_user bob bobpw123
A=$(user_config alice alicepw1)
B=$(user_config bob bobpw123)

trap 'kill_vms; cleanup' EXIT

appliance_image
IMG=$(stratus-admin --data-dir "$SL_DIR" image add "$image" 2>/dev/null | tail -1)
ssh-keygen -q -t ed25519 -N '' -C test@stratuslab -f "$T_TMP/key" >/dev/null

vm_state() { stratus-describe-instance -c "$A" -q "$1" 2>/dev/null | awk '{print $2}'; }
running() { [ "$(vm_state "$1")" = Running ]; }
gssh() { # gssh IP CMD: run CMD in the guest
  ssh -i "$T_TMP/key" -o BatchMode=yes -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10 -o LogLevel=ERROR "root@$1" "$2"
}
users_of() { # users count of a volume (GET /disks/<uuid>)
  curl -s --cacert "$SL_CA" -u alice:alicepw1 "https://127.0.0.1:$SL_PORT/disks/$1" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["users"])'
}
check_disk() { # check_disk NAME STATUS REGEX CMD...: that exit status and a `DISK <uuid>: ...`
  run "${@:4}" # line on stdout (per-volume failures go there, protocols.md §1.4)
  if [ "$RC" -eq "$2" ] && grep -Eq "$3" <<<"$OUT"; then pass "$1"
  else fail "$1" "exit $RC" "stdout: $OUT" "stderr: $ERR"; fi
}
byid() { echo "/dev/disk/by-id/virtio-${1:0:20}"; }
new_volume() { stratus-create-volume -c "$A" -s 1 | sed -n 's/^DISK //p'; }
boot() { # boot ARGS... -> "id ip" once the appliance is READY
  local out id ip
  out=$(stratus-run-instance --no-check-image-url -c "$A" -k "$T_TMP/key.pub" --ram 192 --swap 0 -q "$@" "$IMG") || return 1
  id=${out%%,*}; ip=${out##*, }
  wait_for 300 running "$id" && wait_for 300 ready "$id" && echo "$id $ip"
}

V1=$(new_volume); V2=$(new_volume); V3=$(new_volume)
VB=$(stratus-create-volume -c "$B" -s 1 | sed -n 's/^DISK //p')
expect "volumes created" test -n "$V1" -a -n "$V2" -a -n "$V3" -a -n "$VB"
check_err "boot with another user's volume is refused" 1 "does not exist" \
  stratus-run-instance --no-check-image-url -c "$A" -k "$T_TMP/key.pub" --persistent-disk "$VB" "$IMG"
expect "refused boot left V1 unused" test "$(users_of "$V1")" = 0

# ---- VM 1: §7.3 with V1 -------------------------------------------------------------
read -r vm1 ip1 < <(boot --persistent-disk "$V1")
if [ -z "${vm1:-}" ]; then fail "VM 1 boots with --persistent-disk"; finish; exit; fi
pass "VM 1 boots with --persistent-disk"
expect "V1 users = 1 while attached" test "$(users_of "$V1")" = 1
check_err "deleting an attached volume is refused" 1 "in use" stratus-delete-volume -c "$A" "$V1"
D1=$(byid "$V1")
check_out "guest sees V1 by id" "^ok$" gssh "$ip1" "test -b $D1 && echo ok"
mkfs="command -v mkfs.ext2 >/dev/null && mkfs.ext2 -q $D1 || mke2fs -q $D1"
check_out "§7.3 format, mount, write, umount" "^[0-9a-f]{40}$" gssh "$ip1" \
  "$mkfs && mount $D1 /mnt && echo Testing_Persistent_Disk >/mnt/test_pdisk &&
   dd if=/dev/urandom of=/mnt/blob bs=1k count=256 2>/dev/null &&
   sha1sum /mnt/test_pdisk /mnt/blob | sha1sum | cut -d' ' -f1; umount /mnt"
sum1=$OUT

# hot-plug V2
check_out "attach-volume prints ATTACHED" "^ATTACHED $V2 in VM $vm1 on /dev/vd[a-z]$" \
  stratus-attach-volume -c "$A" -i "$vm1" "$V2"
D2=$(byid "$V2")
expect "hot-plugged V2 appears in the guest" wait_for 20 gssh "$ip1" "test -b $D2"
check_out "write/read on the hot-plugged disk" "^hello$" gssh "$ip1" \
  "echo hello | dd of=$D2 bs=512 conv=sync 2>/dev/null; head -c 5 $D2; echo"
expect "V2 users = 1" test "$(users_of "$V2")" = 1
# refusals, each leaving state unchanged
check_disk "attach again" 1 "^DISK $V2: Mount already exists" \
  stratus-attach-volume -c "$A" -i "$vm1" "$V2"
check_disk "another user's disk" 1 "^DISK $VB: " stratus-attach-volume -c "$A" -i "$vm1" "$VB"
check_disk "unknown uuid" 1 "^DISK 00000000-0000-4000-8000-000000000000: .*does not exist" \
  stratus-attach-volume -c "$A" -i "$vm1" 00000000-0000-4000-8000-000000000000
check_disk "detach a disk that is not attached" 1 "^DISK $V3: Disk have not been hot-plugged" \
  stratus-detach-volume -c "$A" -i "$vm1" "$V3"
check_err "VM not running" 1 "VM 99999 is not in running state" \
  stratus-attach-volume -c "$A" -i 99999 "$V3"
check_err "bob cannot use alice's VM" 1 "is not in running state" \
  stratus-attach-volume -c "$B" -i "$vm1" "$VB"
extra=()
for _ in $(seq 8); do extra+=("$(new_volume)"); done
run stratus-attach-volume -c "$A" -i "$vm1" "${extra[@]}"
expect "8 more attached (10 in all)" test "$(grep -c '^ATTACHED' <<<"$OUT")" -eq 8
check_disk "the 11th disk is refused" 1 "^DISK $V3: no free devices available" \
  stratus-attach-volume -c "$A" -i "$vm1" "$V3"
run stratus-detach-volume -c "$A" -i "$vm1" "${extra[@]}"
expect "the 8 extra detached" test "$(grep -c '^DETACHED' <<<"$OUT")" -eq 8
expect "V3 untouched by the refusals" test "$(users_of "$V3")" = 0
check_out "detach-volume prints DETACHED" "^DETACHED $V2 from VM $vm1 on /dev/vd[a-z]$" \
  stratus-detach-volume -c "$A" -i "$vm1" "$V2"
check_out "V2 gone in the guest when DETACHED is printed" "^gone$" gssh "$ip1" \
  "test -e $D2 && test -e /sys/block/\$(basename \$(readlink -f $D2)) || echo gone"
expect "V2 users = 0" test "$(users_of "$V2")" = 0

# ---- kill -9 of stratusd inside an attach and a detach -------------------------------
# The daemon is restarted with STRATUSD_TEST_CRASH_AT=<point> (util/testpoint.h)
# and kills itself with SIGKILL exactly there (the VM keeps running: a SIGTERM
# leaves VMs to be adopted); after a plain restart the mount row is there iff
# the guest holds the device.
#   attach-row     row made, device_add not sent  -> no row, no device
#   attach-device  device added, reply not sent   -> row and device
#   detach-device  device_del not sent            -> row and device
#   detach-row     device gone, row not dropped   -> no row, no device
has_dev() { gssh "$ip1" "test -b $(byid "$1")"; }
state_is() { # state_is UUID USERS: users count and the device in the guest agree with USERS
  [ "$(users_of "$1")" = "$2" ] || return 1
  if [ "$2" = 1 ]; then has_dev "$1"; else ! has_dev "$1"; fi
}
crash_at() { # crash_at POINT WANT-USERS CMD...: CMD with the daemon set to die at POINT
  local point=$1 want=$2; shift 2
  stop_daemon TERM
  STRATUSD_TEST_CRASH_AT=$point start_daemon "$SL_DIR" || { fail "restart with crash point $point"; return; }
  "$@" >"$T_TMP/crash.out" 2>&1
  wait "$SL_PID" 2>/dev/null; SL_EXIT=$?
  expect "$point: the daemon died by SIGKILL at the point (exit $SL_EXIT)" \
    bash -c '[ "$1" = 137 ] && grep -q "test point $2: SIGKILL" "$3"' _ "$SL_EXIT" "$point" "$SL_LOG"
  start_daemon "$SL_DIR" || { fail "restart after crash point $point"; return; }
  if wait_for 20 state_is "$V3" "$want"; then pass "$point: after the restart users = $want and the guest agrees"
  else fail "$point: after the restart users = $want and the guest agrees" \
    "users $(users_of "$V3"), device $(has_dev "$V3" && echo present || echo absent)" "$(tail -5 "$SL_LOG")"; fi
}
crash_at attach-row 0 stratus-attach-volume -c "$A" -i "$vm1" "$V3"
crash_at attach-device 1 stratus-attach-volume -c "$A" -i "$vm1" "$V3"
crash_at detach-device 1 stratus-detach-volume -c "$A" -i "$vm1" "$V3"
crash_at detach-row 0 stratus-detach-volume -c "$A" -i "$vm1" "$V3"
check "attach works after the crashes" stratus-attach-volume -c "$A" -i "$vm1" "$V3"
expect "V3 attached: users 1, device in the guest" wait_for 20 state_is "$V3" 1
expect "V1 (boot-time) still attached after the restarts" test "$(users_of "$V1")" = 1

check "kill VM 1" stratus-kill-instance -c "$A" "$vm1"
expect "kill released every attachment" test "$(users_of "$V1")$(users_of "$V3")" = 00

# ---- VM 2: the data is there ----------------------------------------------------------
read -r vm2 ip2 < <(boot --persistent-disk "$V1")
if [ -z "${vm2:-}" ]; then fail "VM 2 boots with V1"; finish; exit; fi
check_out "§7.3.4 same bytes in a second VM" "^$sum1$" gssh "$ip2" \
  "mount -o ro $D1 /mnt && sha1sum /mnt/test_pdisk /mnt/blob | sha1sum | cut -d' ' -f1; umount /mnt"
check_out "the file reads as written" "^Testing_Persistent_Disk$" gssh "$ip2" \
  "mount -o ro $D1 /mnt && cat /mnt/test_pdisk; umount /mnt"
# QEMU killed under the Running VM 2: Failed with the reason, everything released.
q2=$(cat "$SL_DIR/vms/$vm2/qemu.pid")
expect "VM 2's qemu is running" kill -0 "$q2"
kill -KILL "$q2"
expect "QEMU killed under Running VM 2: Failed" wait_state "$vm2" Failed 60
expect "VM 2 says why" test "$(vm_field "$vm2" error)" = "hypervisor process crashed or was killed"
expect "VM 2: address released" test "$(vm_field "$vm2" ip)" = None
expect "VM 2: run dir gone" wait_for 10 test ! -e "$SL_DIR/vms/$vm2"
expect "V1 released" test "$(users_of "$V1")" = 0
finish
