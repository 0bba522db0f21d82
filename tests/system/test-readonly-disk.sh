#!/usr/bin/env bash
# time-limit: 1500
# Read-only data-set disks (docs/cloud.md "Read-only disks", guide §7.6):
# an ISO9660 data set (DATASET1) built, described with --kind disk, signed by
# a whitelisted endorser, uploaded, published as a file:// location; two
# appliance VMs run with --readonly-disk <id>: the cloud fetches and verifies
# it once, both guests mount /dev/disk/by-label/DATASET1 read-only and read
# the file (sha1 = host's), writes fail, the cache holds one copy that no VM
# dir duplicates, and killing both VMs leaves it intact. Refusals at POST
# time (unknown id, policy) allocate nothing. Boots 2 VMs. Every process
# started here is stopped by PID (lib.sh).
. "$(dirname "$0")/lib.sh"

W=$T_TMP/w
mkdir -p "$W"
trap 'kill_vms; cleanup' EXIT
appliance_image

start_daemon || { fail "start stratusd"; finish; exit; }
add_user alice alicepw1
A=$(user_config alice alicepw1)
URL=https://127.0.0.1:$SL_PORT
n_vms() { curl -s --cacert "$SL_CA" -u alice:alicepw1 "$URL/vms/" | json "len(d if isinstance(d, list) else d.get('vms', []))"; }
vm_client rodisk

endorser good good@example.org && endorser evil evil@example.org ||
  { fail "endorser certificates"; finish; exit; }
printf '[endorsers]\nwhitelistendorsers =\n good@example.org\n' >"$SL_DIR/policy.cfg"

# ---- the appliance and the data set in the Marketplace -------------------------------------
P=$T_TMP/published
install -d "$P" "$W/ds"
cp "$image" "$P/app.img"
head -c $((3 * 1024 * 1024 + 123)) /dev/urandom >"$W/ds/data.bin"
SUM=$(sha1sum <"$W/ds/data.bin" | cut -d' ' -f1)
genisoimage -quiet -V DATASET1 -r -o "$P/ds1.iso" "$W/ds" ||
  { fail "genisoimage"; finish; exit; }
ISOSUM=$(sha1sum <"$P/ds1.iso" | cut -d' ' -f1)
entry app "$P/app.img" "file://$P/app.img" good
APP=$(ident app)
check "upload the appliance entry" stratus-upload-metadata -c "$A" "$W/app.xml"
entry ds1 "$P/ds1.iso" "file://$P/ds1.iso" good --kind disk
DS=$(ident ds1)
check_out "data set entry has kind disk" "<slterms:kind>disk</slterms:kind>" cat "$W/ds1.xml"
check "upload the data set entry" stratus-upload-metadata -c "$A" "$W/ds1.xml"
head -c 4096 /dev/urandom >"$P/evil.img"
entry evil "$P/evil.img" "file://$P/evil.img" evil --kind disk
EVIL=$(ident evil)
check "upload an entry of a non-whitelisted endorser" stratus-upload-metadata -c "$A" "$W/evil.xml"

# ---- refusals at POST time: nothing allocated -------------------------------------------------
check_err "unknown data set id: 404" 1 "read-only disk AAAAAAAAAAAAAAAAAAAAAAAAAAA: .*404" \
  "${RUN[@]}" --readonly-disk AAAAAAAAAAAAAAAAAAAAAAAAAAA "$APP"
check_err "data set refused by the site policy" 1 \
  "read-only disk $EVIL: .*not whitelisted.*Image isn't valid according to site policy" \
  "${RUN[@]}" --readonly-disk "$EVIL" "$APP"
check_err "data set given twice" 1 "read-only disk $DS given twice" \
  "${RUN[@]}" --readonly-disk "$DS" --readonly-disk "$DS" "$APP"
check_out "no VM allocated by the refusals" "^0$" n_vms
expect "refused data set not fetched" test ! -e "$SL_DIR/images/$EVIL.img"

# ---- two VMs share one cached copy --------------------------------------------------------------
run "${RUN[@]}" --readonly-disk "$DS" "$APP"
V1=$(sed -n '1s/,.*//p' <<<"$OUT"); IP1=$(sed -n '1s/.*, //p' <<<"$OUT")
if [ "$RC" -ne 0 ] || [ -z "$V1" ]; then fail "run-instance --readonly-disk (VM 1)" "$OUT" "$ERR"
else pass "run-instance --readonly-disk (VM 1)"; fi
run "${RUN[@]}" --readonly-disk "$DS" "$APP"
V2=$(sed -n '1s/,.*//p' <<<"$OUT"); IP2=$(sed -n '1s/.*, //p' <<<"$OUT")
if [ "$RC" -ne 0 ] || [ -z "$V2" ]; then fail "run-instance --readonly-disk (VM 2)" "$OUT" "$ERR"
else pass "run-instance --readonly-disk (VM 2)"; fi
expect "VM 1 Running" wait_state "$V1" Running 120
expect "VM 2 Running" wait_state "$V2" Running 120
expect "data set cached with its signed entry" \
  test -f "$SL_DIR/images/$DS.img" -a -f "$SL_DIR/images/$DS.xml"
check_out "cached data set = the published ISO" "^$ISOSUM$" \
  bash -c "sha1sum <'$SL_DIR/images/$DS.img' | cut -d' ' -f1"
check_out "exactly one cached copy" "^1$" \
  bash -c "ls -A '$SL_DIR/images' | grep -c '^$DS\.img$'"
expect "no per-VM copy of the data set" bash -c \
  "! find '$SL_DIR/vms' -type f -size $(stat -c %s "$P/ds1.iso")c | grep -q ."
for v in "$V1" "$V2"; do
  check_out "VM $v: QEMU opens the cached file read-only" \
    "\"read-only\":true,\"file\":{\"driver\":\"file\",\"filename\":\"$SL_DIR/images/$DS.img\"" \
    bash -c "tr '\0' '\n' </proc/\$(cat '$SL_DIR/vms/$v/qemu.pid')/cmdline"
done
expect "VM 1 READY" wait_ready "$V1" 180
expect "VM 2 READY" wait_ready "$V2" 180
MNT='mkdir -p /mnt/ds && mount -t iso9660 -o ro /dev/disk/by-label/DATASET1 /mnt/ds'
for ip in "$IP1" "$IP2"; do
  check_out "$ip: mount by label, sha1 of the file = host's" "^$SUM " \
    "${SSH[@]}" "root@$ip" "$MNT && sha1sum /mnt/ds/data.bin"
  check_err "$ip: touch on the mount fails" 1 "Read-only file system" \
    "${SSH[@]}" "root@$ip" "touch /mnt/ds/new"
  check_err "$ip: writing the block device fails" 1 "." \
    "${SSH[@]}" "root@$ip" \
    "dd if=/dev/zero of=\$(readlink -f /dev/disk/by-label/DATASET1) bs=4096 count=1 conv=fsync"
done

# ---- kill: the shared cached copy stays -----------------------------------------------------------
check "kill VM 1" stratus-kill-instance -c "$A" "$V1"
check "kill VM 2" stratus-kill-instance -c "$A" "$V2"
check_out "cached data set intact after both kills" "^$ISOSUM$" \
  bash -c "sha1sum <'$SL_DIR/images/$DS.img' | cut -d' ' -f1"
expect "run dirs removed" test ! -e "$SL_DIR/vms/$V1" -a ! -e "$SL_DIR/vms/$V2"

finish
