#!/usr/bin/env bash
# time-limit: 1200
# A real distribution end to end (issue 13, docs/debian-image.md): the Debian 12 base
# image of images/debian/build, published, its metadata (slterms:os debian,
# version 12) signed by a local endorser laid out as scripts/quickstart makes it
# and uploaded to the test's Marketplace by scripts/quickstart-debian (the
# documented second command of the quick start; run twice: nothing again), then
# ONE VM of it, reused for every check: stock cloud-init finds the context CD
# (labelled CONTEXT for such images) and its OpenNebula datasource gives the
# image's login user (debian) our ssh key, the host name, the network from
# ETH0_*, and runs the user data of --cloud-init: a multipart with a `#!`
# script (the guide's §8.4.4 web server: curl http://<ip>/test.txt answers
# SUCCESSFUL TEST) and a #cloud-config with write_files and runcmd.
#
# The image is built once and cached outside the clone, keyed by a hash of
# images/debian/* ($SL_IMAGE_CACHE, default /var/cache/stratuslab/images; the
# .debs in its ../debian): the first run builds it from Debian's archive (2 to 4
# minutes here with an empty .deb cache; needs root and mmdebstrap, both
# there in CI), later runs reuse it. Without root and without a cached image
# the checks are skipped by name. One VM run takes about 3 minutes here (TCG).
# Every process started here is stopped by PID.
. "$(dirname "$0")/lib.sh"
private_home
HERE=$(cd "$(dirname "$0")/../.." && pwd)
W=$T_TMP/w
mkdir -p "$W"
trap 'kill_vms; cleanup' EXIT
CHECKS=("quickstart-debian without the quick start's endorser: one line, exit 1"
  "Debian image" "quickstart-debian publishes, signs and uploads it"
  "its entry: slterms:os debian, version 12, signed by the local endorser"
  "quickstart-debian again uploads nothing" "run-instance <debian id>" "VM Running"
  "cloud-init finished" "ssh as debian with the user's key" "host name from the context"
  "datasource OpenNebula from the CONTEXT CD" "network from ETH0_*" "#! user-data script ran"
  "SUCCESSFUL TEST over http" "#cloud-config write_files" "#cloud-config runcmd"
  "cloud-init reports no error" "kill the VM")
skip_all() {
  local n
  for n in "${CHECKS[@]}"; do skip "$n" "$1"; done
  finish
  exit
}

# ---- the image: cached by the hash of its inputs (scripts/quickstart-debian builds it) -------
CACHE=${SL_IMAGE_CACHE:-/var/cache/stratuslab/images}
KEY=$(cd "$HERE/images/debian" && find . -path ./.cache -prune -o -type f -print | LC_ALL=C sort |
  xargs sha256sum | sha256sum | cut -c1-16)
IMG=$CACHE/debian-12-$KEY.img.gz
if [ ! -f "$IMG" ] && { [ "$(id -u)" -ne 0 ] || ! command -v mmdebstrap >/dev/null; }; then
  skip_all "no cached image $IMG and building one needs root and mmdebstrap"
fi

start_daemon || { fail "start stratusd"; finish; exit; }
add_user alice alicepw1
A=$(user_config alice alicepw1)
URL=https://127.0.0.1:$SL_PORT
vm_client debian@test

# The local endorser as scripts/quickstart makes it (DATA/endorser), trusted by the policy.
install -d -m 0700 "$SL_DIR/endorser"
E=$SL_DIR/endorser
openssl rand -hex 16 >"$E/password"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=deb local endorser/O=StratusLab/C=EU" \
  -addext "subjectAltName=email:deb@example.org" -keyout "$E/key.pem" -out "$E/cert.pem" 2>/dev/null &&
  openssl pkcs12 -export -inkey "$E/key.pem" -in "$E/cert.pem" -passout "file:$E/password" \
    -out "$E/endorser.p12" || { fail "endorser certificate"; finish; exit; }
printf '[endorsers]\nwhitelistendorsers =\n deb@example.org\n' >"$SL_DIR/policy.cfg"

qs() { # the documented second command of the quick start, against this test's daemon
  PREFIX=$(dirname "$(dirname "$(command -v stratus-build-metadata)")") SL_DATA_DIR=$SL_DIR \
    SL_LISTEN=127.0.0.1:$SL_PORT SL_USER=tester SL_IMAGE_CACHE=$CACHE \
    nice "$HERE/scripts/quickstart-debian"
}
mkdir -p "$T_TMP/empty"
check_err "quickstart-debian without the quick start's endorser: one line, exit 1" 1 \
  "^  \[ERROR\] no local endorser in $T_TMP/empty/endorser \(run scripts/quickstart first\)$" \
  env SL_DATA_DIR="$T_TMP/empty" "$HERE/scripts/quickstart-debian"
T0=$SECONDS
run qs
if [ "$RC" -eq 0 ] && [ -f "$IMG" ]; then
  if grep -q "^:: built and cached" <<<"$OUT"; then
    pass "Debian image (built in $((SECONDS - T0)) s, cached as $IMG)"
  else pass "Debian image (cached $IMG)"; fi
else
  fail "Debian image" "exit $RC" "$OUT" "$ERR"
  finish
  exit
fi
DEB=$(sed -n '$s/^:: Debian 12 image: //p' <<<"$OUT")
expect "quickstart-debian publishes, signs and uploads it" bash -c \
  "[[ '$DEB' =~ ^[A-Za-z0-9_-]{27}\$ ]] && grep -q '^:: signed and uploaded' <<<\"\$0\" &&
   test -f '$SL_DIR/published/debian-12-$KEY.img.gz'" "$OUT"
curl -s --cacert "$SL_CA" -H 'Accept: application/xml' "$URL/metadata/$DEB" >"$W/debian.xml"
expect "its entry: slterms:os debian, version 12, signed by the local endorser" bash -c \
  "grep -q '<slterms:os>debian</slterms:os>' '$W/debian.xml' &&
   grep -q '<slterms:os-version>12</slterms:os-version>' '$W/debian.xml' &&
   grep -q 'deb@example.org' '$W/debian.xml' && grep -q '<ds:Signature\|<Signature' '$W/debian.xml'"
run qs
expect "quickstart-debian again uploads nothing" bash -c \
  "[ $RC -eq 0 ] && grep -q '^:: the Marketplace already lists $DEB\$' <<<\"\$0\"" "$OUT"

# ---- user data: the guide's web server script + a #cloud-config ----------------------------
cat >"$W/run-http.sh" <<'EOF'
#!/bin/sh
mkdir -p /www
echo "SUCCESSFUL TEST" > /www/test.txt
echo "script ran as $(id -un)" > /var/tmp/userdata-script
cd /www && setsid python3 -m http.server 80 </dev/null >/var/tmp/http.log 2>&1 &
EOF
cat >"$W/config.yaml" <<'EOF'
#cloud-config
write_files:
  - path: /etc/stratuslab-test.conf
    content: |
      written by write_files
    permissions: '0644'
runcmd:
  - [sh, -c, 'echo "runcmd ran on $(hostname)" > /var/tmp/runcmd']
EOF

T1=$SECONDS
run stratus-run-instance -c "$A" -k "$T_TMP/key.pub" --ram 1024 -q \
  --cloud-init "x-shellscript,$W/run-http.sh#cloud-config,$W/config.yaml" "$DEB"
V=$(sed -n '1s/,.*//p' <<<"$OUT"); IP=$(sed -n '1s/.*, //p' <<<"$OUT")
if [ "$RC" -ne 0 ] || [ -z "$V" ]; then
  fail "run-instance <debian id>" "$OUT" "$ERR"; finish; exit
fi
pass "run-instance <debian id>"
expect "VM Running" wait_state "$V" Running 300
finished() { grep -qa "Cloud-init v. .* finished at" "$SL_DIR/vms/$V/serial.log" 2>/dev/null; }
if wait_for 600 finished; then
  pass "cloud-init finished ($((SECONDS - T1)) s from run-instance, TCG)"
else
  fail "cloud-init finished" "$(tail -20 "$SL_DIR/vms/$V/serial.log" 2>/dev/null)"
fi
D=(debian@"$IP")
wait_for 60 "${SSH[@]}" "${D[@]}" true >/dev/null 2>&1
check_out "ssh as debian with the user's key" '^debian$' "${SSH[@]}" "${D[@]}" id -un
check_out "host name from the context" "^vm-$V$|^one-$V$" "${SSH[@]}" "${D[@]}" hostname
check_out "datasource OpenNebula from the CONTEXT CD" 'DataSourceOpenNebula.*seed=/dev/sr0' \
  "${SSH[@]}" "${D[@]}" cat /run/cloud-init/result.json
check_out "network from ETH0_*" 'address 10\.0\.2\.15' \
  "${SSH[@]}" "${D[@]}" 'ip -4 -o addr show eth0 | grep -q "inet 10.0.2.15/24" &&
    cat /etc/network/interfaces.d/50-cloud-init'
check_out "#! user-data script ran" '^script ran as root$' \
  "${SSH[@]}" "${D[@]}" cat /var/tmp/userdata-script
check_out "SUCCESSFUL TEST over http" '^SUCCESSFUL TEST$' \
  wait_for 30 curl -sf --max-time 10 "http://$IP/test.txt"
check_out "#cloud-config write_files" '^written by write_files$' \
  "${SSH[@]}" "${D[@]}" cat /etc/stratuslab-test.conf
check_out "#cloud-config runcmd" "^runcmd ran on (vm|one)-$V$" \
  "${SSH[@]}" "${D[@]}" cat /var/tmp/runcmd
check_out "cloud-init reports no error" '"errors": \[\]' \
  "${SSH[@]}" "${D[@]}" cat /run/cloud-init/result.json
check "kill the VM" stratus-kill-instance -c "$A" "$V"
echo "    Debian VM: $((SECONDS - T1)) s from run-instance to the last check; test $SECONDS s"
finish
