#!/usr/bin/env bash
# The cloud's own check of the entries it fetches (src/market/client.c,
# check_entry): a small Marketplace stand-in on loopback (python3 http.server +
# ssl, its own CA) answers GET /metadata/<id> with whatever the test wants, so
# that the real Marketplace's filter (404 for expired or deprecated entries) is
# not what refuses. Served straight to the cloud: a tampered entry (one byte
# changed after signing), an expired one, a deprecated one, an entry of
# another image, an answer with no entry; each refused at POST /vms/ with its
# reason. A good entry is accepted (the VM then fails in Prolog: its location
# serves nothing). No VM boots.
. "$(dirname "$0")/lib.sh"
private_home
W=$T_TMP/w
mkdir -p "$W/served"
A=$T_TMP/sign.cfg
printf '[default]\n' >"$A"

# ---- the stand-in: its own CA and certificate for 127.0.0.1 ---------------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Stand-in CA" \
  -addext "basicConstraints=critical,CA:TRUE" -keyout "$W/ca.key" -out "$W/ca.crt" 2>/dev/null &&
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$W/mp.key" -out "$W/mp.csr" \
    2>/dev/null &&
  printf 'subjectAltName=IP:127.0.0.1\n' >"$W/ext.cnf" &&
  openssl x509 -req -in "$W/mp.csr" -CA "$W/ca.crt" -CAkey "$W/ca.key" -CAcreateserial -days 2 \
    -extfile "$W/ext.cnf" -out "$W/mp.crt" 2>/dev/null
expect "stand-in certificate made" test -s "$W/mp.crt"
cat >"$W/standin.py" <<'PY'
import http.server, os, re, ssl, sys
root, port_file, cert, key, log = sys.argv[1:6]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(log, "a") as f:
            f.write(self.path + "\n")
        m = re.match(r"^/metadata/([A-Za-z0-9_-]{27})/?(\?.*)?$", self.path)
        path = os.path.join(root, m.group(1) + ".xml") if m else None
        if not path or not os.path.exists(path):
            body, code = b"<error>no metadata matching query found</error>", 404
        else:
            body, code = open(path, "rb").read(), 200
        self.send_response(code)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
open(port_file + ".tmp", "w").write(str(srv.server_address[1]))
os.rename(port_file + ".tmp", port_file)
srv.serve_forever()
PY
python3 "$W/standin.py" "$W/served" "$W/port" "$W/mp.crt" "$W/mp.key" "$W/requests.log" \
  2>"$W/standin.err" &
T_PIDS+=($!)
wait_for 10 test -s "$W/port"
MP_PORT=$(cat "$W/port" 2>/dev/null)
expect "stand-in Marketplace listening" test -n "$MP_PORT"

# serve NAME...: the stand-in answers GET /metadata/<id of the first> with the
# entries $W/NAME.xml, wrapped as the Marketplace wraps them.
serve() {
  local id=$1 n; shift
  {
    printf '<?xml version="1.0" encoding="UTF-8" standalone="no"?><metadata>'
    for n in "$@"; do sed '1{/^<?xml/d}' "$W/$n.xml"; done
    printf '</metadata>'
  } >"$W/served/$id.xml"
}

# ---- the cloud, pointed at the stand-in -----------------------------------------------
SL_CONFIG=$T_TMP/cloud.conf
printf '[cloud]\nmarketplace_endpoint = https://127.0.0.1:%s\nmarketplace_ca = %s\n' \
  "$MP_PORT" "$W/ca.crt" >"$SL_CONFIG"
start_daemon || { fail "start stratusd"; finish; exit; }
add_user alice alicepw1
A_USER=$(user_config alice alicepw1)
A=$A_USER
vm_client check
A=$T_TMP/sign.cfg
endorser good good@example.org || { fail "endorser certificate"; finish; exit; }
for n in 1 2 3 4 5 6; do head -c $((64 * 1024 + n)) /dev/urandom >"$W/x$n.img"; done
LOC=https://127.0.0.1:$MP_PORT/images
refused() { # refused NAME ID REGEX: POST /vms/ of image ID refused, stderr ~ REGEX,
  local before after # and the cloud did ask the stand-in for that entry
  before=$(grep -c "^/metadata/$2" "$W/requests.log" 2>/dev/null)
  check_err "$1" 1 "$3" "${RUN[@]}" --no-check-image-url "$2"
  after=$(grep -c "^/metadata/$2" "$W/requests.log" 2>/dev/null)
  expect "$1: the cloud fetched the entry from the stand-in" test "${after:-0}" -gt "${before:-0}"
}

# tampered: one byte of the signed description changed
entry tamp "$W/x1.img" "$LOC/x1.img" good
TAMP=$(ident tamp)
sed -i 's|<dcterms:description>test image tamp</dcterms:description>|<dcterms:description>test image tAmp</dcterms:description>|' \
  "$W/tamp.xml"
expect "tampered entry differs from the signed one by one byte" \
  test "$(cmp -l "$W/tamp.xml" <(sed 's/tAmp/tamp/' "$W/tamp.xml") | wc -l)" = 1
serve "$TAMP" tamp
refused "tampered entry refused by the cloud" "$TAMP" \
  "no valid Marketplace entry for image $TAMP: invalid entry: signature validation"

# expired (valid until 2020)
entry expired "$W/x2.img" "$LOC/x2.img" good --valid 2020-01-01T00:00:00Z
EXPIRED=$(ident expired)
serve "$EXPIRED" expired
refused "expired entry refused by the cloud" "$EXPIRED" \
  "no valid Marketplace entry for image $EXPIRED: entry good@example.org/[^ ]+: expired on 2020-01-01T00:00:00Z"

# deprecated: slterms:deprecated in the signed entry
entry depr "$W/x3.img" "$LOC/x3.img" none
DEPR=$(ident depr)
sed 's|</rdf:Description>|<slterms:deprecated>superseded by a newer image</slterms:deprecated></rdf:Description>|' \
  "$W/depr.unsigned.xml" >"$W/depr.marked.xml"
stratus-sign-metadata -c "$A" --p12-cert "$W/good.p12" --p12-password secret -o "$W/depr.xml" \
  "$W/depr.marked.xml" >/dev/null
check "the deprecated entry verifies" stratus-validate-metadata "$W/depr.xml"
serve "$DEPR" depr
refused "deprecated entry refused by the cloud" "$DEPR" \
  "no valid Marketplace entry for image $DEPR: entry good@example.org/[^ ]+: image deprecated: superseded by a newer image"

# an entry of another image served under this identifier
entry other "$W/x4.img" "$LOC/x4.img" good
entry asked "$W/x5.img" "$LOC/x5.img" good
ASKED=$(ident asked)
serve "$ASKED" other
refused "entry of another image refused by the cloud" "$ASKED" "identifier $(ident other) is not $ASKED"

# an answer without any entry
EMPTY=MMZu9WvwKIro-rtBQfDk4PsKO7_
printf '<?xml version="1.0" encoding="UTF-8" standalone="no"?><metadata></metadata>' \
  >"$W/served/$EMPTY.xml"
refused "answer without an entry refused by the cloud" "$EMPTY" "the Marketplace answer holds no entry"

# several entries, the bad ones and a good one: the good one wins
entry good "$W/x6.img" "$LOC/x6.img" good
GOOD=$(ident good)
cp "$W/good.xml" "$W/good-tamp.xml"
sed -i 's|test image good|test image gooD|' "$W/good-tamp.xml"
serve "$GOOD" good-tamp good
before=$(grep -c "^/metadata/$GOOD" "$W/requests.log" 2>/dev/null)
run "${RUN[@]}" --no-check-image-url "$GOOD"
VM=$(sed -n '1s/,.*//p' <<<"$OUT")
if [ "$RC" -eq 0 ] && [ -n "$VM" ]; then pass "good entry beside a tampered one accepted (VM $VM)"
else fail "good entry beside a tampered one accepted" "exit $RC" "$OUT" "$ERR"; fi
expect "the cloud kept the good entry, not the tampered one" \
  bash -c 'grep -q "test image good<" "$1" && ! grep -q "gooD" "$1"' _ "$SL_DIR/images/$GOOD.xml"
expect "the VM fails in Prolog: the stand-in serves no image bytes" wait_state "$VM" Failed 60
check_out "its reason is the download" "image download failed" stratus-describe-instance -c "$A_USER" -v "$VM"
expect "the stand-in was asked for the good entry" \
  test "$(grep -c "^/metadata/$GOOD" "$W/requests.log")" -gt "${before:-0}"
finish
