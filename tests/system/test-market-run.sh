#!/usr/bin/env bash
# time-limit: 1500
# Marketplace images end to end (docs/images.md): build -> sign -> upload ->
# stratus-run-instance <id> -> the cloud fetches the image from its location
# (https, served by stratusd itself at /images/) -> Running, ssh. Refusals:
# unsigned upload, endorser not whitelisted by the site policy, expired and
# deprecated entries (client and server), image bytes changed at the
# location (VM Failed with the reason), Marketplace unreachable: cached image
# boots, uncached one fails clearly. Boots 2 appliance VMs. Every process
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
vm_client market

endorser good good@example.org && endorser evil evil@example.org ||
  { fail "endorser certificates"; finish; exit; }
printf '[endorsers]\nwhitelistendorsers =\n good@example.org\n' >"$SL_DIR/policy.cfg"

install -d "$SL_DIR/published"
gzip -1 -c "$image" >"$SL_DIR/published/app.img.gz"
# small extra images (raw) for the refusals: distinct bytes, distinct ids
for n in 1 2 3 4; do head -c $((1024 * 1024)) /dev/urandom >"$SL_DIR/published/x$n.img"; done

# ---- upload -------------------------------------------------------------------------------
entry unsigned "$SL_DIR/published/x1.img" "$URL/images/x1.img" none
check_err "unsigned entry cannot be uploaded" 1 "no signature" \
  stratus-upload-metadata -c "$A" "$W/unsigned.xml"
entry app "$SL_DIR/published/app.img.gz" "$URL/images/app.img.gz" good --compression gz
APP=$(ident app)
check_out "upload the appliance entry" "/metadata/$APP/good@example.org/" \
  stratus-upload-metadata -c "$A" "$W/app.xml"
check_out "describe-images lists it" "$APP" stratus-describe-images -c "$A"
expect "appliance not pre-seeded in the cache" test ! -e "$SL_DIR/images/$APP.img"

# ---- boot through the Marketplace -----------------------------------------------------------
run "${RUN[@]}" "$APP"
V1=$(sed -n '1s/,.*//p' <<<"$OUT"); IP1=$(sed -n '1s/.*, //p' <<<"$OUT")
if [ "$RC" -ne 0 ] || [ -z "$V1" ]; then fail "run-instance <marketplace id>" "$OUT" "$ERR"
else pass "run-instance <marketplace id>"; fi
expect "VM 1 Running" wait_state "$V1" Running 120
expect "image cached with its signed entry" \
  test -f "$SL_DIR/images/$APP.img" -a -f "$SL_DIR/images/$APP.xml"
expect "no temp file left" bash -c "! ls -A '$SL_DIR/images' | grep -q '^\.tmp'"
expect "VM 1 READY" wait_ready "$V1" 180
check_out "ssh VM 1" "^vm-$V1$|^one-$V1$" "${SSH[@]}" "root@$IP1" hostname
check "kill VM 1" stratus-kill-instance -c "$A" "$V1"

# ---- refusals -----------------------------------------------------------------------------
entry evil "$SL_DIR/published/x1.img" "$URL/images/x1.img" evil
EVIL=$(ident evil)
check "upload an entry of a non-whitelisted endorser" stratus-upload-metadata -c "$A" "$W/evil.xml"
check_err "site policy refuses the endorser" 1 \
  "email endorser evil@example.org is not whitelisted, rejecting entry.*Image isn't valid according to site policy" \
  "${RUN[@]}" "$EVIL"

entry expired "$SL_DIR/published/x2.img" "$URL/images/x2.img" good --valid 2020-01-01T00:00:00Z
EXPIRED=$(ident expired)
check "upload an expired entry" stratus-upload-metadata -c "$A" "$W/expired.xml"
check_err "expired: client refuses" 1 "Failed to get manifest for resource uri: $EXPIRED" \
  "${RUN[@]}" "$EXPIRED"
check_err "expired: the Marketplace gives the cloud no valid entry (its filter; the cloud's own check: test-market-check)" 1 "no valid Marketplace entry for image $EXPIRED" \
  "${RUN[@]}" --no-check-image-url "$EXPIRED"

entry depr "$SL_DIR/published/x3.img" "$URL/images/x3.img" good
DEPR=$(ident depr)
check "upload then deprecate" bash -c "stratus-upload-metadata -c '$A' '$W/depr.xml' >/dev/null &&
  sleep 1 && stratus-deprecate-metadata -c '$A' --p12-cert '$W/good.p12' --p12-password secret \
  --email good@example.org '$DEPR' >/dev/null"
check_err "deprecated: client refuses" 1 "Failed to get manifest for resource uri: $DEPR" \
  "${RUN[@]}" "$DEPR"
check_err "deprecated: the Marketplace gives the cloud no valid entry (its filter; the cloud's own check: test-market-check)" 1 "no valid Marketplace entry" \
  "${RUN[@]}" --no-check-image-url "$DEPR"

entry tampered "$SL_DIR/published/x4.img" "$URL/images/x4.img" good
TAMP=$(ident tampered)
check "upload the entry of an image" stratus-upload-metadata -c "$A" "$W/tampered.xml"
printf '\x01' | dd of="$SL_DIR/published/x4.img" bs=1 seek=4096 conv=notrunc status=none
run "${RUN[@]}" "$TAMP"
V2=$(sed -n '1s/,.*//p' <<<"$OUT")
expect "tampered image: VM Failed" wait_state "$V2" Failed 60
check_out "describe-instance -v shows the reason" "image download failed: .*checksum mismatch" \
  stratus-describe-instance -c "$A" -v "$V2"
expect "tampered image not cached" bash -c "! ls -A '$SL_DIR/images' | grep -q '$TAMP.img\|^\.tmp'"

# ---- Marketplace unreachable ----------------------------------------------------------------
stop_daemon
printf '[cloud]\nmarketplace_endpoint = https://127.0.0.1:1\n' >"$T_TMP/offline.cfg"
SL_CONFIG=$T_TMP/offline.cfg start_daemon "$SL_DIR" || { fail "restart stratusd"; finish; exit; }
run "${RUN[@]}" "$APP"
V3=$(sed -n '1s/,.*//p' <<<"$OUT"); IP3=$(sed -n '1s/.*, //p' <<<"$OUT")
if [ "$RC" -ne 0 ] || [ -z "$V3" ]; then fail "offline: cached image accepted" "$OUT" "$ERR"
else pass "offline: cached image accepted"; fi
expect "offline: VM Running" wait_state "$V3" Running 120
expect "offline: VM READY" wait_ready "$V3" 180
check_out "offline: ssh" "^vm-$V3$|^one-$V3$" "${SSH[@]}" "root@$IP3" hostname
check "offline: kill" stratus-kill-instance -c "$A" "$V3"
entry other "$SL_DIR/published/x2.img" "$URL/images/x2.img" good
check "upload a valid entry of an uncached image" stratus-upload-metadata -c "$A" "$W/other.xml"
check_err "offline: uncached image refused" 1 "Marketplace unreachable: .*is not cached" \
  "${RUN[@]}" "$(ident other)"

finish
