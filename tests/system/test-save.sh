#!/usr/bin/env bash
# time-limit: 1500
# Saving a VM (guide §8.2.2, protocols.md §7.1, docs/save.md), 2 VM boots:
#  VM 1: run-instance --save, ssh in, write a file, stratus-shutdown-instance;
#    stratusd runs with SL_TEST_SAVE_PAUSE=hashed:... so the Epilog stops
#    after "hashed": kill -9 of stratusd there, restart, the save resumes and
#    completes. Then: one mail in a real SMTP sink (aiosmtpd on loopback):
#    subject, identifier, volume UUID, Marketplace, 48 hours, the unsigned
#    draft attached as manifest-not-signed.xml; the new MACHINE_IMAGE_ORIGIN
#    volume with tag = title (describe-volumes and GET /disks/<uuid>); the
#    Marketplace lists the new entry once (GET /metadata/<id>).
#  VM 2: run-instance <new identifier>: the file is there.
. "$(dirname "$0")/lib.sh"
private_home

PY=python3
for p in /usr/bin/python3 python3; do
  if "$p" -c 'import aiosmtpd' 2>/dev/null; then PY=$p; break; fi
done
"$PY" -c 'import aiosmtpd' 2>/dev/null || { fail "python3-aiosmtpd is installed"; finish; exit; }

trap 'kill_vms; cleanup' EXIT

# ---- the SMTP sink: every message as a file of a Maildir ----------------------------
SMTP_PORT=$(free_port)
"$PY" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Mailbox "$T_TMP/maildir" \
  >"$T_TMP/smtp.log" 2>&1 &
T_PIDS+=("$!")
for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$SMTP_PORT") 2>/dev/null && break
  sleep 0.1
done

net=$((RANDOM % 200 + 20))
export SL_CONFIG=$T_TMP/stratusd.conf
cat >"$SL_CONFIG" <<CONF
[cloud]
network = 127.$net.$((RANDOM % 250)).0/24
[mail]
server = smtp://127.0.0.1:$SMTP_PORT
from = noreply@cloud.test
CONF
export SL_TEST_SAVE_PAUSE=hashed:600000 # the Epilog waits after "hashed" (killed there)
start_daemon || { fail "start stratusd"; finish; exit; }
add_user alice alicepw1
A=$(user_config alice alicepw1)
URL=https://127.0.0.1:$SL_PORT

appliance_image
IMG=$(stratus-admin --data-dir "$SL_DIR" image add "$image" 2>/dev/null | tail -1)
ssh-keygen -q -t ed25519 -N '' -C test@stratuslab -f "$T_TMP/key" >/dev/null

is_state() { [ "$(vm_field "$1" state)" = "$2" ]; }
gssh() {
  ssh -i "$T_TMP/key" -o BatchMode=yes -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10 -o LogLevel=ERROR "root@$1" "$2"
}
boot() { # boot ARGS... IMAGE -> "id ip" once the appliance is READY
  local out id ip
  out=$(stratus-run-instance --no-check-image-url -c "$A" -k "$T_TMP/key.pub" --ram 192 --swap 0 -q "$@") || return 1
  id=${out%%,*}; ip=${out##*, }
  wait_for 300 is_state "$id" Running && wait_for 300 ready "$id" && echo "$id $ip"
}

# ---- refusals -------------------------------------------------------------------------
check_err "--save without --title is refused (client)" 2 "please provide --title" \
  stratus-run-instance --no-check-image-url -c "$A" --save --author Joe --author-email joe@example.org \
  --image-version 2.0 --comment c "$IMG"
run curl -s --cacert "$SL_CA" -u alice:alicepw1 -H 'Content-Type: application/json' \
  -d "{\"image\":\"$IMG\",\"save\":{\"author\":\"Joe\",\"author_email\":\"nobody\",\"image_version\":\"1\",\"title\":\"t\",\"comment\":\"c\"}}" \
  "$URL/vms/"
expect "bad author_email is refused (server)" grep -q "invalid author_email" <<<"$OUT"

# ---- VM 1: --save, write a file, shutdown ----------------------------------------------
TITLE="saved by test-save"
read -r vm1 ip1 < <(boot --no-check-image-url --save --author Joe_Builder --author-email builder@example.org \
  --image-version 2.0 --title "$TITLE" --comment manual_test_image "$IMG")
if [ -z "${vm1:-}" ]; then fail "VM 1 boots with --save"; finish; exit; fi
pass "VM 1 boots with --save"
token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
check "a file is written in VM 1" gssh "$ip1" "echo $token > /root/saved.txt && sync"
check "stratus-shutdown-instance" stratus-shutdown-instance -c "$A" "$vm1"
state_json=$SL_DIR/saves/$vm1/state.json
step_is() { grep -q "\"step\": \"$1\"" "$state_json" 2>/dev/null; }
if wait_for 300 step_is hashed; then pass "the Epilog converts and hashes"
else fail "the Epilog converts and hashes" "$(tail -5 "$SL_LOG")"; fi
expect "VM 1 is in Epilog while saving" is_state "$vm1" Epilog
expect "QEMU has quit before the convert" test ! -e "$SL_DIR/vms/$vm1/qemu.pid"

# ---- kill -9 during the Epilog, restart: the save completes --------------------------
stop_daemon KILL
unset SL_TEST_SAVE_PAUSE
start_daemon "$SL_DIR" || { fail "restart stratusd"; finish; exit; }
if wait_for 300 is_state "$vm1" Done; then pass "after kill -9 and restart the save completes (Done)"
else fail "after kill -9 and restart the save completes (Done)" "$(tail -20 "$SL_LOG")"; fi
expect "VM 1 has no error note" test "$(vm_field "$vm1" error)" = None
expect "the save dir is gone" test ! -e "$SL_DIR/saves/$vm1"
grep -q "saving the disk (hashed)" "$SL_LOG" && pass "the save resumed at the recorded step" ||
  fail "the save resumed at the recorded step" "$(grep saving "$SL_LOG")"

# ---- the mail --------------------------------------------------------------------------
wait_for 20 test -n "$(ls "$T_TMP/maildir/new" 2>/dev/null)"
cat >"$T_TMP/mail.py" <<'PYEOF'
import email, email.policy, glob, sys
files = sorted(glob.glob(sys.argv[1] + "/new/*"))
print("COUNT", len(files))
msg = email.message_from_binary_file(open(files[-1], "rb"), policy=email.policy.default)
print("SUBJECT", msg["Subject"])
print("TO", msg["To"])
body = msg.get_body(preferencelist=("plain",)).get_content()
print("BODY", body.replace("\n", "|"))
for part in msg.iter_attachments():
    print("ATTACHMENT", part.get_filename(), part.get_content_type())
    open(sys.argv[2], "wb").write(part.get_payload(decode=True))
PYEOF
mail=$("$PY" "$T_TMP/mail.py" "$T_TMP/maildir" "$T_TMP/draft.xml" 2>&1)
NEW=$(sed -n 's/^SUBJECT New image created //p' <<<"$mail")
UUID=$(grep -o 'UUID [0-9a-f-]\{36\}' <<<"$mail" | head -1 | cut -c6-)
expect "exactly one mail" grep -qx "COUNT 1" <<<"$mail"
expect "subject: New image created <27-char identifier>" grep -Eq '^[A-Za-z0-9_-]{27}$' <<<"$NEW"
expect "mail to the author" grep -q "^TO .*builder@example.org" <<<"$mail"
expect "body: identifier" grep -q "The image has an ID of $NEW" <<<"$mail"
expect "body: volume UUID" test -n "$UUID"
expect "body: Marketplace" grep -qF "uploaded to the Marketplace https://127.0.0.1:$SL_PORT." <<<"$mail"
expect "body: 48 hours" grep -q "The validity of this entry is only 48 hours!" <<<"$mail"
expect "attachment manifest-not-signed.xml" \
  grep -q "^ATTACHMENT manifest-not-signed.xml application/xml" <<<"$mail"
expect "the draft is unsigned and names the new image" \
  bash -c "grep -q 'rdf:about=\"#$NEW\"' '$T_TMP/draft.xml' && ! grep -q 'Signature' '$T_TMP/draft.xml'"
[ "$T_FAIL" -gt 0 ] && echo "$mail"

# ---- the volume ------------------------------------------------------------------------
check_out "describe-volumes lists the new volume with tag = title" "$UUID.*$TITLE|$TITLE.*$UUID" \
  bash -c "stratus-describe-volumes -c '$A' | tr '\n' ' '"
disk=$(curl -s --cacert "$SL_CA" -u alice:alicepw1 "$URL/disks/$UUID")
expect "volume type MACHINE_IMAGE_ORIGIN" grep -q '"type": *"MACHINE_IMAGE_ORIGIN"' <<<"$disk"
expect "volume identifier = new id" grep -q "\"identifier\": *\"$NEW\"" <<<"$disk"
vol_id=$("$PY" -c 'import base64,hashlib,sys; h=hashlib.sha1(open(sys.argv[1],"rb").read()).digest(); print(base64.urlsafe_b64encode(b"\0"+h).decode()[1:])' "$SL_DIR/volumes/$UUID.img")
expect "the volume's bytes hash to the identifier" test "$vol_id" = "$NEW"
expect "the image cache holds the new image" grep -q "^$NEW " <<<"$(stratus-admin --data-dir "$SL_DIR" image list)"

# ---- the Marketplace -------------------------------------------------------------------
md=$(curl -s --cacert "$SL_CA" -H 'Accept: application/xml' "$URL/metadata/$NEW")
n=$(grep -o "rdf:about=\"#$NEW\"" <<<"$md" | wc -l)
expect "the Marketplace lists the new entry once" test "$n" = 1
expect "the entry is signed by the cloud" grep -q "noreply@cloud.test" <<<"$md"
expect "the entry has the pdisk location" grep -q "pdisk:127.0.0.1:$SL_PORT:$UUID" <<<"$md"

# ---- VM 2: the new image boots with the file ------------------------------------------
read -r vm2 ip2 < <(boot "$NEW")
if [ -z "${vm2:-}" ]; then fail "VM 2 boots the new identifier" "$(tail -5 "$SL_LOG")"
else
  pass "VM 2 boots the new identifier"
  check_out "the file written before the save is there" "^$token\$" gssh "$ip2" "cat /root/saved.txt"
  check "kill VM 2" stratus-kill-instance -c "$A" "$vm2"
fi
finish
