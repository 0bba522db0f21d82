#!/usr/bin/env bash
# Persistent disks end to end: guide §3.4.2 and ch. 7.1, 7.2, 7.5; two users' rights.
. "$(dirname "$0")/lib.sh"
private_home
start_daemon
add_user alice alicepw1
add_user bob bobpw123
A=$(user_config alice alicepw1)
B=$(user_config bob bobpw123)
uuid_re='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'

check_out "empty list" "^No disk to show$" stratus-describe-volumes -c "$A"

# Create (guide §3.4.2).
check_out "create-volume prints DISK uuid" "^DISK $uuid_re$" \
  stratus-create-volume -c "$A" --size 1 --tag=mydisk
d1=${OUT#DISK }
check_out "create a 5 GiB private disk" "^DISK $uuid_re$" \
  stratus-create-volume -c "$A" --size=5 --tag=myprivate-disk
d2=${OUT#DISK }
check_out "create a public disk" "^DISK $uuid_re$" \
  stratus-create-volume -c "$A" --public --size=10 --tag=mypublic-disk
d3=${OUT#DISK }

run stratus-describe-volumes -c "$A"
list=$OUT
expect "describe lists the three disks" test "$(grep -c '^:: DISK ' <<<"$list")" -eq 3
expect "describe shows DISK header" grep -q "^:: DISK $d1$" <<<"$list"
for key in count owner tag size created visibility users; do
  expect "describe shows $key" grep -Eq "^	$key: " <<<"$list"
done
expect "owner is alice" grep -q "^	owner: alice$" <<<"$list"
expect "size shown in GiB" grep -q "^	size: 5$" <<<"$list"
expect "users 0" grep -q "^	users: 0$" <<<"$list"
expect "created in guide format" grep -Eq "^	created: [0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$" <<<"$list"
expect "private by default" grep -q "^	visibility: private$" <<<"$list"
expect "newest first" test "$(grep '^:: DISK' <<<"$list" | head -1)" = ":: DISK $d3"

check_out "describe by uuid" "^:: DISK $d2$" stratus-describe-volumes -c "$A" "$d2"
run stratus-describe-volumes -c "$A" "$d2"
expect "describe by uuid shows only it" test "$(grep -c '^:: DISK' <<<"$OUT")" -eq 1
run stratus-describe-volumes -c "$A" -f tag:^my.*-disk$
expect "filter tag regex" test "$(grep -c '^:: DISK' <<<"$OUT")" -eq 2
run stratus-describe-volumes -c "$A" -f tag:disk -f visibility:public
expect "two filters combine" test "$(grep -c '^:: DISK' <<<"$OUT")" -eq 1
check_err "bad filter is an error" 2 "error" stratus-describe-volumes -c "$A" -f notafilter

# Volumes are sparse files handed to QEMU later.
expect "volume file exists" test -f "$SL_DIR/volumes/$d2.img"
expect "volume apparent size is 5 GiB" test "$(stat -c %s "$SL_DIR/volumes/$d2.img")" -eq $((5 << 30))
check_out "create the largest (1024 GiB) disk" "^DISK $uuid_re$" \
  stratus-create-volume -c "$A" --size 1024
big=${OUT#DISK }
expect "1024 GiB volume is sparse" test "$(du -k "$SL_DIR/volumes/$big.img" | cut -f1)" -lt 1024

# Bad input: the guide's / §1.4 errors, nothing changes.
before=$(stratus-describe-volumes -c "$A" | grep -c '^:: DISK')
check_err "missing size" 1 "^  \[ERROR\] Missing mandatory -s/--size option" stratus-create-volume -c "$A"
for s in 0 1025 abc -3 1.5; do
  check_err "size $s refused" 1 "^  \[ERROR\] Volume size must be a valid integer between 1 and 1024" \
    stratus-create-volume -c "$A" --size "$s"
done
check_err "tag over 40 characters" 1 "^  \[ERROR\] Tags must have less than 40 characters" \
  stratus-create-volume -c "$A" --size 1 --tag "$(printf 'x%.0s' $(seq 41))"
check_out "tag of exactly 40 characters" "^DISK " \
  stratus-create-volume -c "$A" --size 1 --tag "$(printf 'y%.0s' $(seq 40))"
d40=${OUT#DISK }
check_err "malformed UUID" 1 "^  \[ERROR\] Invalid UUID not-a-uuid" stratus-delete-volume -c "$A" not-a-uuid
check_err "delete needs a uuid" 1 "At least one disk UUID is required" stratus-delete-volume -c "$A"
unknown=0badc0de-0000-4000-8000-000000000000
check_err "unknown UUID" 1 "^  \[ERROR\] .*$unknown.* does not exist" stratus-delete-volume -c "$A" "$unknown"
check_err "update without uuid" 1 "A disk UUID must be supplied" stratus-update-volume -c "$A" --public
check_err "update with two uuids" 1 "Only one disk UUID can be specified" \
  stratus-update-volume -c "$A" --public "$d1" "$d2"
check_err "update unknown uuid" 1 "does not exist" stratus-update-volume -c "$A" --public "$unknown"
after=$(stratus-describe-volumes -c "$A" | grep -c '^:: DISK')
expect "bad input changed nothing" test "$after" -eq $((before + 1))

# REST errors straight from the API.
api() { curl -s --cacert "$SL_CA" -u "$1" -o "$T_TMP/body" -w '%{http_code}' "${@:2}"; }
base=https://127.0.0.1:$SL_PORT
expect "REST size 0 is 400" test "$(api alice:alicepw1 -d size=0 "$base/disks/")" = 400
expect "REST error is JSON message+code" grep -q '"message": *"Size must be an integer between 1 and 1024"' "$T_TMP/body"
expect "REST error has code" grep -q '"code": *400' "$T_TMP/body"
expect "REST json body create is 201" test "$(api alice:alicepw1 -H 'Content-Type: application/json' \
  -d '{"size": 2, "tag": "json"}' "$base/disks/")" = 201
jd=$(grep -Eo "$uuid_re" "$T_TMP/body" | head -1)
expect "REST GET disk" test "$(api alice:alicepw1 "$base/disks/$jd")" = 200
expect "REST GET disk body" grep -q '"tag": *"json"' "$T_TMP/body"
expect "REST /pswd prefix works" test "$(api alice:alicepw1 "$base/pswd/disks/$jd/")" = 200
expect "REST POST ?method=delete tunnels" test "$(api alice:alicepw1 -X POST "$base/disks/$jd?method=delete")" = 200
expect "REST deleted disk is 404" test "$(api alice:alicepw1 "$base/disks/$jd")" = 404
expect "REST 404 message" grep -q "disk ($jd) does not exist" "$T_TMP/body"
expect "REST bad visibility 400" test "$(api alice:alicepw1 -d size=1 -d visibility=secret "$base/disks/")" = 400

# Update (ch. 7.1).
check "update-volume --public" stratus-update-volume -c "$A" --public "$d2"
check_out "update is visible" "visibility: public" stratus-describe-volumes -c "$A" "$d2"
check "update-volume tag" stratus-update-volume -c "$A" --tag renamed "$d2"
check_out "tag updated" "tag: renamed" stratus-describe-volumes -c "$A" "$d2"
check "update-volume type flag" stratus-update-volume -c "$A" --data-image-raw-readonly "$d2"
check_out "type updated" "type: DATA_IMAGE_RAW_READONLY" stratus-describe-volumes -c "$A" "$d2"
check "update-volume --private" stratus-update-volume -c "$A" --private "$d1"

# Rights (ch. 7.2, 7.5): bob sees alice's public disks, not her private ones.
run stratus-describe-volumes -c "$B"
expect "bob sees alice's public disk" grep -q "^:: DISK $d3$" <<<"$OUT"
expect "bob does not see alice's private disk" bash -c "! grep -q '$d1' <<<\"\$0\"" "$OUT"
check_err "bob cannot delete alice's public disk" 1 "Not enough rights to delete disk" \
  stratus-delete-volume -c "$B" "$d3"
check_err "bob cannot update alice's public disk" 1 "Not enough rights to update disk" \
  stratus-update-volume -c "$B" --tag mine "$d3"
check_err "alice's private disk is absent for bob" 1 "$d1.* does not exist" \
  stratus-delete-volume -c "$B" "$d1"
check_err "bob cannot describe alice's private disk" 1 "does not exist" \
  stratus-describe-volumes -c "$B" "$d1"
check_out "bob's own disk" "^DISK " stratus-create-volume -c "$B" --size 1 --tag bobs
db=${OUT#DISK }
run stratus-describe-volumes -c "$A"
expect "alice does not see bob's private disk" bash -c "! grep -q '$db' <<<\"\$0\"" "$OUT"
check_out "alice's disks untouched by bob" "^:: DISK $d3$" stratus-describe-volumes -c "$A" "$d3"

# Mount records (pdisk REST §4.1): users count and delete refused while in use.
expect "mount a disk" test "$(api alice:alicepw1 -d node=localhost -d vm_id=7 "$base/disks/$d1/mounts/")" = 201
expect "mount target vda" grep -q '"target": *"vda"' "$T_TMP/body"
check_out "users count follows mounts" "users: 1" stratus-describe-volumes -c "$A" "$d1"
check_err "attached volume cannot be deleted" 1 "in use" stratus-delete-volume -c "$A" "$d1"
expect "second read-write mount refused 409" \
  test "$(api alice:alicepw1 -d node=localhost -d vm_id=8 "$base/disks/$d1/mounts/")" = 409
expect "bob cannot mount alice's public disk" \
  test "$(api bob:bobpw123 -d node=localhost -d vm_id=9 "$base/disks/$d3/mounts/")" = 403
expect "unmount" test "$(api alice:alicepw1 -X DELETE "$base/disks/$d1/mounts/${d1}_7")" = 200
expect "unknown mount 404" test "$(api alice:alicepw1 -X DELETE "$base/disks/$d1/mounts/${d1}_7")" = 404
check_out "users back to 0" "users: 0" stratus-describe-volumes -c "$A" "$d1"

# Delete (ch. 7.5), several at once.
check_out "delete-volume prints DELETED" "^DELETED $d1$" stratus-delete-volume -c "$A" "$d1"
expect "volume file removed" test ! -e "$SL_DIR/volumes/$d1.img"
run stratus-delete-volume -c "$A" "$d40" "$unknown" "$big"
expect "multi-delete: good ones deleted, exit 1" test "$RC" -eq 1
expect "multi-delete printed both" test "$(grep -c '^DELETED' <<<"$OUT")" -eq 2
expect "multi-delete names the bad one" grep -q "$unknown" <<<"$ERR"

# Restart: everything kept.
run stratus-describe-volumes -c "$A"; before=$OUT
stop_daemon TERM
expect "SIGTERM exits 0" test "$SL_EXIT" -eq 0
start_daemon "$SL_DIR"
run stratus-describe-volumes -c "$A"
expect "volumes kept across restart" test "$OUT" = "$before"
finish
