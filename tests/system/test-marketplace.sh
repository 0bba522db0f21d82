#!/usr/bin/env bash
# The Marketplace in stratusd (docs/marketplace.md): upload rules, REST formats,
# deprecated and expired entries, limits, on entries the test builds and signs
# with its own endorsers and CA; the CLI round trip build -> sign -> validate ->
# upload -> describe -> deprecate, with tamper cases; then, as interoperability
# checks (skipped, each by name, without ../shared/fixtures), the expectations
# of the 13.05 server tests on the real fixture files (read in place).
. "$(dirname "$0")/lib.sh"
export HOME=$T_TMP/home
mkdir -p "$HOME"
MP=$SL_SHARED/fixtures/stratuslab/marketplace-test-resources
MD=$SL_SHARED/fixtures/stratuslab/metadata-test-resources
BEE=BEE8-MMAw-Lk_IgsEExAy3d9R8h
JANE=jane.tester@example.org

# http NAME METHOD PATH [curl args...]: sets CODE, BODY, HDRS.
http() {
  local method=$1 path=$2; shift 2
  BODY=$(curl -s -D "$T_TMP/hdrs" -o - -w '\n%{http_code}' --cacert "$SL_CA" -X "$method" \
    "$@" "https://127.0.0.1:$SL_PORT$path")
  CODE=${BODY##*$'\n'}; BODY=${BODY%$'\n'*}; HDRS=$(cat "$T_TMP/hdrs")
}
# post FILE [Accept]
post() { http POST /metadata -H "Content-Type: application/xml" -H "Accept: ${2:-*/*}" --data-binary "@$1"; }
want() { # want NAME CODE [BODY-REGEX]
  if [ "$CODE" = "$2" ] && { [ $# -lt 3 ] || grep -Eq -- "$3" <<<"$BODY"; }; then pass "$1"
  else fail "$1" "got $CODE (want $2${3:+ ~ /$3/})" "body: ${BODY:0:300}"; fi
}
fresh() { # fresh NAME: a new daemon on an empty data dir
  [ -n "${SL_PID:-}" ] && stop_daemon
  start_daemon "$T_TMP/$1" || { fail "start daemon $1"; finish; exit 1; }
}

# ---- core: entries made here (own endorsers, own CA), real clock -------------
W=$T_TMP/w
mkdir -p "$W"
A=$T_TMP/empty.cfg
printf '[default]\n' >"$A"
ADA=ada.endorser@example.org
endorser ada "$ADA" || { fail "make the endorser ada"; finish; exit 1; }
# A CA and an endorser it issued (no e-mail in the certificate).
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=Test CA/O=StratusLab Test/C=EU" \
  -addext "basicConstraints=critical,CA:TRUE" -keyout "$W/ca.key" -out "$W/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=Carl/O=StratusLab Test/C=EU" \
  -keyout "$W/carl.key" -out "$W/carl.csr" 2>/dev/null
openssl x509 -req -in "$W/carl.csr" -CA "$W/ca.crt" -CAkey "$W/ca.key" -CAcreateserial -days 30 \
  -out "$W/carl.crt" 2>/dev/null
openssl pkcs12 -export -inkey "$W/carl.key" -in "$W/carl.crt" -passout pass:secret -out "$W/carl.p12"
expect "test endorsers made (self-signed ada, CA-issued carl)" test -s "$W/ada.p12" -a -s "$W/carl.p12"
for i in 1 2 3 4 5 6; do head -c $((4096 * i)) /dev/urandom >"$W/img$i.raw"; done
sign() { # sign UNSIGNED OUT P12 [EMAIL]
  stratus-sign-metadata -c "$A" --p12-cert "$3" --p12-password secret ${4:+--email "$4"} -o "$2" "$1" \
    >/dev/null
}
created_of() { grep -o '<created xmlns="http://purl.org/dc/terms/">[^<]*' "$1" | cut -d'>' -f2; }

fresh c1
entry one "$W/img1.raw" https://images.example.org/img1.raw none
ID1=$(ident one)
post "$W/one.xml"
want "unsigned entry refused" 400 '"message":"invalid metadata: no signature"'
post "$W/one.xml" application/xml
want "error as XML when Accept is xml" 400 \
  '^<\?xml version="1.0" encoding="UTF-8" standalone="no"\?><error>invalid metadata: no signature</error>$'
sign "$W/one.xml" "$W/one-old.xml" "$W/ada.p12"
sleep 1.1
sign "$W/one.xml" "$W/one-new.xml" "$W/ada.p12"
C1=$(created_of "$W/one-new.xml")
post "$W/one-new.xml"
want "signed entry accepted" 201 '^metadata entry created$'
loc=$(grep -i '^Location:' <<<"$HDRS" | tr -d '\r' | cut -d' ' -f2)
expect "Location of the new entry" test "$loc" = "https://127.0.0.1:$SL_PORT/metadata/$ID1/$ADA/$C1"
post "$W/one-old.xml"
want "entry signed earlier refused" 400 'invalid metadata: older than latest entry'
post "$W/one-new.xml"
want "identical re-upload is idempotent" 201 'already exists'
http GET "/metadata/$ID1" -H 'Accept: application/xml'
want "GET /metadata/<id> (xml)" 200 '^<\?xml version="1.0" encoding="UTF-8" standalone="no"\?><metadata><rdf:RDF'
expect "listing is well-formed XML with one entry" test "$(xmllint --xpath \
  'count(/metadata/*[local-name()="RDF"])' - <<<"$BODY" 2>/dev/null)" = 1
http GET "/metadata/$ID1/$ADA/$C1" -H 'Accept: application/xml'
want "GET exact entry" 200
grep -qi '^Content-Type: application/rdf+xml' <<<"$HDRS" && grep -qi \
  "^Content-Disposition: attachment; filename=$ID1.xml" <<<"$HDRS" &&
  pass "exact entry headers" || fail "exact entry headers" "$HDRS"
curl -s --cacert "$SL_CA" -H 'Accept: application/xml' -o "$T_TMP/exact.xml" \
  "https://127.0.0.1:$SL_PORT/metadata/$ID1/$ADA/$C1"
expect "exact entry byte for byte (file)" cmp -s "$T_TMP/exact.xml" "$W/one-new.xml"
http GET "/metadata/$ID1/$ADA/2011-01-01T00:00:00Z" -H 'Accept: application/xml'
want "unknown entry" 404 '<error>metadata entry not found.</error>'
http GET "/metadata/$ADA" -H 'Accept: application/json'
want "GET /metadata/<email> (json)" 200 "\"aaData\":\[\[\"\",\"stratuslab-appliance\",\"1\",\"x86_64\",\"$ADA\",\"machine\",\"$C1\",\"$ID1\""
http GET "/metadata//$ID1" -H 'Accept: application/json'
want "// collapsed" 200 "$ID1"
http GET "/metadata" -H 'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
want "HTML listing with links" 200 "<a href=\"/metadata/$ID1/ada.endorser%40example.org/$C1\">"
http GET "/metadata/NoSuchIdentifierAAAAAAAAAAA" -H 'Accept: application/xml'
want "no result -> 404" 404 '<error>no metadata matching query found</error>'
http GET "/metadata" -H 'Accept: image/png, text/plain;q=0.5'
want "no acceptable type -> 406" 406 '^\{"message":"not acceptable: /metadata answers application/xml, .*","code":406\}$'
http GET "/metadata/$ID1" -H 'Accept: application/json, application/xml'
want "equal q: the server's order (XML first)" 200 '^<\?xml .*<metadata>'
http GET "/metadata/$ID1" -H 'Accept: application/xml;q=0.1, application/json;q=0.9'
want "higher q wins" 200 '"aaData":'
entry two "$W/img2.raw" https://images.example.org/img2.raw ada
ID2=$(ident two)
http POST /metadata -F "Metadata File=@$W/two.xml"
want "multipart upload (web form)" 201 'metadata entry created'
printf -- '--B\r\nContent-Disposition: form-data; name="Metadata File"; filename="t.xml"\r\n\r\n<cut' >"$W/cut.form"
http POST /metadata -H 'Content-Type: multipart/form-data; boundary=B' --data-binary "@$W/cut.form"
want "a form cut short -> 400" 400 '"message":"invalid multipart body: no closing boundary'
http POST /metadata -H 'Content-Type: multipart/form-data' --data-binary "@$W/cut.form"
want "a form without boundary -> 400" 400 '"message":"multipart/form-data needs a boundary'
http POST /metadata --data "sEcho=7&sSearch=${ID2:0:6}&iDisplayStart=0&iDisplayLength=10"
want "DataTables search (form POST)" 200 '^\{"sEcho":7,"iTotalRecords":2,"iTotalDisplayRecords":1,'
http GET "/metadata?location=pdisk" -H 'Accept: application/json'
want "location=pdisk filter" 200 '"aaData":\[\]'
http GET "/metadata?identifier=$ID1&email=$ADA" -H 'Accept: application/json'
want "identifier= and email= query filters" 200 '"iTotalRecords":1,'
http GET /metadata -H 'Accept: application/json' -u nobody:wrong
want "no auth needed (credentials ignored)" 200

# deprecated and expired entries
fresh c2
printf '[default]\nmarketplace_endpoint = https://127.0.0.1:%s\nca_certificate = %s\np12_certificate = %s\np12_password = secret\n' \
  "$SL_PORT" "$SL_CA" "$W/ada.p12" >"$W/mp.cfg"
entry three "$W/img3.raw" https://images.example.org/img3.raw ada
ID3=$(ident three)
post "$W/three.xml"; want "entry to deprecate accepted" 201
sleep 1.1 # the endorsement time has a one-second resolution
check "deprecate-metadata" stratus-deprecate-metadata -c "$W/mp.cfg" "$ID3"
http GET "/metadata/$ID3" -H 'Accept: application/xml'
want "deprecated not listed by default" 404 'no metadata matching query found'
http GET "/metadata/$ID3?status=deprecated" -H 'Accept: application/xml'
want "deprecated listed with ?status=deprecated" 200 'deprecated'
entry four "$W/img4.raw" https://images.example.org/img4.raw ada --valid 2020-01-01T00:00:00Z
ID4=$(ident four)
post "$W/four.xml"; want "expired entry accepted" 201
http GET "/metadata/$ID4" -H 'Accept: application/xml'
want "expired not listed by default" 404
http GET "/metadata/$ID4?status=expired" -H 'Accept: application/xml'
want "expired listed with ?status=expired" 200 "$ID4"
http GET "/metadata?status=other" -H 'Accept: application/json'
want "other status value = no status filter" 200 '"iTotalRecords":2,'

# special characters -> valid JSON; signature rules
fresh c3
stratus-build-metadata --os stratuslab-appliance --os-version 1 --os-arch x86_64 --image-version 1.0 \
  --title 'a "quoted" <title> & more' --comment 'it'"'"'s "quoted" too\ and \n not a newline' \
  --author tester --location https://images.example.org/img5.raw -o "$W/five.unsigned.xml" \
  "$W/img5.raw" >/dev/null
sign "$W/five.unsigned.xml" "$W/five.xml" "$W/ada.p12"
post "$W/five.xml"; want "special characters entry accepted" 201
http GET "/metadata?status=all" -H 'Accept: application/json'
if [ "$CODE" = 200 ] && jq -e '[.aaData[0][] | strings | test("\"quoted\"")] | any' <<<"$BODY" >/dev/null; then
  pass "special characters: valid DataTables JSON"
else fail "special characters: valid DataTables JSON" "$BODY"; fi
sed 's|</rdf:RDF>|<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"/></rdf:RDF>|' \
  "$W/one.unsigned.xml" >"$W/empty-signature.xml"
post "$W/empty-signature.xml"
want "empty <Signature/> refused" 400 'invalid metadata: '
entry six "$W/img6.raw" https://images.example.org/img6.raw none
sign "$W/six.xml" "$W/six-carl.xml" "$W/carl.p12" carl@example.org
post "$W/six-carl.xml"; want "CA-issued endorser's entry accepted" 201

# size limit and switching the service off
printf '[marketplace]\nmax_bytes = 2000\n' >"$T_TMP/small.conf"
SL_CONFIG=$T_TMP/small.conf fresh c4
post "$W/one-new.xml"
want "entry over max_bytes" 413
printf '[services]\nmarketplace = false\n' >"$T_TMP/off.conf"
SL_CONFIG=$T_TMP/off.conf fresh c5
http GET /metadata -H 'Accept: application/json'
want "[services] marketplace = false (no public route)" 401
unset SL_CONFIG

# ---- CLI round trip with the real clock ------------------------------------
fresh d6
cat >"$HOME/mp.cfg" <<EOF
[default]
marketplace_endpoint = https://127.0.0.1:$SL_PORT
ca_certificate = $SL_CA
p12_certificate = $W/ada.p12
p12_password = secret
EOF
C=(-c "$HOME/mp.cfg")
cd "$T_TMP" || exit 1
head -c 300000 /dev/urandom >img.raw
check "build-metadata" stratus-build-metadata --os rtlinux --os-version 2.1 --os-arch x86_64 \
  --image-version 1 --title 'RT "Linux"' --comment 'a <test> & image' \
  --location https://127.0.0.1/img.raw -o e.xml img.raw
check "sign-metadata" stratus-sign-metadata "${C[@]}" e.xml
check "validate-metadata" stratus-validate-metadata e.xml
id=$(grep -o '<dcterms:identifier>[^<]*' e.xml | cut -d'>' -f2)
created=$(grep -o '<created xmlns="http://purl.org/dc/terms/">[^<]*' e.xml | cut -d'>' -f2)
check_out "upload-metadata prints the entry URL" \
  "^https://127.0.0.1:$SL_PORT/metadata/$id/$ADA/$created\$" stratus-upload-metadata "${C[@]}" e.xml
check_out "describe-images os=rtlinux" "^$id +rtlinux +2\.1 +x86_64 +$ADA +RT \"Linux\"" \
  stratus-describe-images "${C[@]}" os=rtlinux
check_out "describe-images free text + endorser" "$id" \
  stratus-describe-images "${C[@]}" "endorser=$ADA" 'RT "lin'
check_out "describe-images -v" "description: a <test> & image" stratus-describe-images "${C[@]}" -v rtlinux
check_out "describe-images no match" "No image to show" stratus-describe-images "${C[@]}" os=none
check_err "describe-images bad key" 2 "unknown filter key" stratus-describe-images "${C[@]}" foo=bar
check_err "upload unsigned" 1 '^  \[ERROR\] Failed to upload: invalid metadata: no signature$' \
  stratus-upload-metadata "${C[@]}" "$W/one.xml"
python3 -c 'import sys; d = open("e.xml", "rb").read()
open("tampered.xml", "wb").write(d.replace(b"a &lt;test&gt;", b"a &lt;tEst&gt;", 1))'
expect "tampered copy differs by one byte" test "$(cmp -l e.xml tampered.xml | wc -l)" = 1
check_err "upload with one byte changed" 1 'Failed to upload: invalid metadata: signature validation' \
  stratus-upload-metadata "${C[@]}" tampered.xml
python3 -c 'import re, sys
pat = re.compile(r"<X509Certificate>.*?</X509Certificate>", re.S)
other = pat.search(open(sys.argv[1]).read()).group(0)
sys.stdout.write(pat.sub(lambda m: other, open("e.xml").read()))' "$W/six-carl.xml" >wrongcert.xml
check_err "upload with another certificate" 1 'Failed to upload: invalid metadata: ' \
  stratus-upload-metadata "${C[@]}" wrongcert.xml
check_err "upload of a missing file" 1 'Failed to upload: ' stratus-upload-metadata "${C[@]}" nothere.xml
check_out "deprecate-metadata" "^https://127.0.0.1:$SL_PORT/metadata/$id/$ADA/" \
  stratus-deprecate-metadata "${C[@]}" "$id"
http GET "/metadata/$id" -H 'Accept: application/xml'
want "deprecated image no longer served" 404
check_out "describe-images after deprecation" "No image to show" stratus-describe-images "${C[@]}" os=rtlinux
check_out "describe-images --status deprecated" "$id" \
  stratus-describe-images "${C[@]}" --status deprecated os=rtlinux
http GET "/metadata/$id?status=deprecated" -H 'Accept: application/xml'
want "deprecation reason in the entry" 200 'This image has been deprecated'
check_err "deprecate an unknown image" 1 'Cannot find the entry to deprecate' \
  stratus-deprecate-metadata "${C[@]}" NoSuchIdentifierAAAAAAAAAAA
check_out "upload the original again: identical, idempotent" "$id/$ADA/$created" \
  stratus-upload-metadata "${C[@]}" e.xml
# ---- interoperability: the 13.05 server tests (MDataResourceTest) on the
# StratusLab fixture files, clock at 2013-05-01 ---------------------------------
interop_begin
export STRATUSD_TEST_MARKET_NOW=2013-05-01T00:00:00Z
fresh d1
post "$MP/valid.xml"
want "13.05 unsigned valid.xml refused" 400 '"message":"invalid metadata: no signature"'
post "$MP/valid.xml" application/xml
want "13.05 error as XML when Accept is xml" 400 \
  '^<\?xml version="1.0" encoding="UTF-8" standalone="no"\?><error>invalid metadata: no signature</error>$'
post "$MP/valid-indate-newer-signature.xml"
want "13.05 newer entry accepted" 201 '^metadata entry created$'
loc=$(grep -i '^Location:' <<<"$HDRS" | tr -d '\r' | cut -d' ' -f2)
expect "13.05 Location of the new entry" test "$loc" = \
  "https://127.0.0.1:$SL_PORT/metadata/$BEE/$JANE/2012-03-05T19:14:58Z"
post "$MP/valid-indate-signature.xml"
want "13.05 older entry refused" 400 'invalid metadata: older than latest entry'
post "$MP/valid-indate-newer-signature.xml"
want "13.05 identical re-upload is idempotent" 201 'already exists'
http GET "/metadata/$BEE" -H 'Accept: application/xml'
want "13.05 GET /metadata/<id> (xml)" 200 '^<\?xml version="1.0" encoding="UTF-8" standalone="no"\?><metadata><rdf:RDF'
expect "13.05 listing is well-formed XML with one entry" test "$(xmllint --xpath \
  'count(/metadata/*[local-name()="RDF"])' - <<<"$BODY" 2>/dev/null)" = 1
http GET "/metadata/$BEE/$JANE/2012-03-05T19:14:58Z" -H 'Accept: application/xml'
want "13.05 GET exact entry" 200
grep -qi '^Content-Type: application/rdf+xml' <<<"$HDRS" && grep -qi \
  "^Content-Disposition: attachment; filename=$BEE.xml" <<<"$HDRS" &&
  pass "13.05 exact entry headers" || fail "13.05 exact entry headers" "$HDRS"
curl -s --cacert "$SL_CA" -H 'Accept: application/xml' -o "$T_TMP/exact.xml" \
  "https://127.0.0.1:$SL_PORT/metadata/$BEE/$JANE/2012-03-05T19:14:58Z"
expect "13.05 exact entry byte for byte (file)" cmp -s "$T_TMP/exact.xml" "$MP/valid-indate-newer-signature.xml"
http GET "/metadata/$BEE/$JANE/2011-01-01T00:00:00Z" -H 'Accept: application/xml'
want "13.05 unknown entry" 404 '<error>metadata entry not found.</error>'
http GET "/metadata/$JANE" -H 'Accept: application/json'
want "13.05 GET /metadata/<email> (json)" 200 "\"aaData\":\[\[\"\",\"ttylinux\",\"9.3\",\"i686\",\"$JANE\",\"machine\",\"2012-03-05T19:14:58Z\",\"$BEE\""
http GET "/metadata//$BEE" -H 'Accept: application/json'
want "13.05 // collapsed" 200 "$BEE"
http GET "/metadata" -H 'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
want "13.05 HTML listing with links" 200 "<a href=\"/metadata/$BEE/jane.tester%40example.org/2012-03-05T19:14:58Z\">"
http GET "/metadata/NoSuchIdentifierAAAAAAAAAAA" -H 'Accept: application/xml'
want "13.05 no result -> 404" 404 '<error>no metadata matching query found</error>'
http POST /metadata -F "Metadata File=@$MP/valid-alternative-newid.xml"
want "13.05 multipart upload (web form)" 201 'metadata entry created'
http POST /metadata --data 'sEcho=7&sSearch=F49uQ&iDisplayStart=0&iDisplayLength=10'
want "13.05 DataTables search (form POST)" 200 '^\{"sEcho":7,"iTotalRecords":2,"iTotalDisplayRecords":1,'
http GET "/metadata?location=pdisk" -H 'Accept: application/json'
want "13.05 location=pdisk filter" 200 '"aaData":\[\]'
http GET "/metadata?identifier=$BEE&email=$JANE" -H 'Accept: application/json'
want "13.05 identifier= and email= query filters" 200 '"iTotalRecords":1,'
http GET /metadata -H 'Accept: application/json' -u nobody:wrong
want "13.05 no auth needed (credentials ignored)" 200

# deprecated and expired entries
fresh d2
post "$MP/valid-indate-deprecated-signature.xml"; want "13.05 deprecated entry accepted" 201
http GET "/metadata/$BEE" -H 'Accept: application/xml'
want "13.05 deprecated not listed by default" 404 'no metadata matching query found'
http GET "/metadata/$BEE?status=deprecated" -H 'Accept: application/xml'
want "13.05 deprecated listed with ?status=deprecated" 200 'deprecated'
post "$MP/valid-expired-signature.xml"; want "13.05 expired entry accepted" 201
http GET "/metadata/Ce3uQbAaxJMbTBaCXWO2FZPRFTT" -H 'Accept: application/xml'
want "13.05 expired not listed by default" 404
http GET "/metadata/Ce3uQbAaxJMbTBaCXWO2FZPRFTT?status=expired" -H 'Accept: application/xml'
want "13.05 expired listed with ?status=expired" 200 'Ce3uQbAaxJMbTBaCXWO2FZPRFTT'
http GET "/metadata?status=other" -H 'Accept: application/json'
want "13.05 other status value = no status filter" 200 '"iTotalRecords":2,'

# special characters -> valid JSON
fresh d3
post "$MP/invalid-special-characters-signature.xml"; want "13.05 special characters entry accepted" 201
http GET "/metadata?status=all" -H 'Accept: application/json'
if [ "$CODE" = 200 ] && jq -e '.aaData[0][9] | test("\"")' <<<"$BODY" >/dev/null; then
  pass "13.05 special characters: valid DataTables JSON"
else fail "13.05 special characters: valid DataTables JSON" "$BODY"; fi
post "$MD/valid-minimal-signature.xml"
want "13.05 empty <Signature/> refused" 400 'invalid metadata: '
post "$MD/valid-full-signature.xml"; want "13.05 valid-full-signature accepted" 201
post "$MD/valid-ca-signed.xml"; want "13.05 valid-ca-signed accepted" 201

unset STRATUSD_TEST_MARKET_NOW
interop_end

finish
