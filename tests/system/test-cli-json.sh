#!/usr/bin/env bash
# --json / --format=json of every command that prints (docs/json.md), against a daemon with
# the fake hypervisor (no VM really boots): each document parsed by python3, its keys and
# types checked against the schema below and against the row of docs/json.md naming them;
# errors with --json (nothing on stdout for a whole-command failure, an `error` member per
# failed item); colours only on a terminal without NO_COLOR, never with --json.
# time-limit: 300
. "$(dirname "$0")/lib.sh"
DOC=$(cd "$(dirname "$0")/../.." && pwd)/docs/json.md
private_home
SL_CONFIG=$T_TMP/stratusd.conf
printf '[cloud]\nhypervisor = fake\n' >"$SL_CONFIG"
start_daemon || { fail "start stratusd (fake hypervisor)"; finish; exit; }
add_user alice alicepw1
add_user bob bobpw123
A=$(user_config alice alicepw1)
B=$(user_config bob bobpw123)
ssh-keygen -q -t ed25519 -N '' -f "$T_TMP/key" >/dev/null

# jcheck NAME SCHEMA: validates $OUT (and RC 0) with the python schema SCHEMA, e.g.
#   'list:uuid=str,size=int' (an array of objects with at least these keys and types) or
#   'obj:vms=list,network=str'. Types: str int bool list dict null|str (either). Every key
#   must also appear as `key` or "key" in docs/json.md.
jcheck() {
  local name=$1 schema=$2 msg
  if [ "$RC" -ne 0 ]; then fail "$name" "exit $RC" "stdout: $OUT" "stderr: $ERR"; return; fi
  if msg=$(python3 - "$schema" "$DOC" 3<<<"$OUT" <<'PY'
import json, re, sys
schema, doc = sys.argv[1], open(sys.argv[2]).read()
try:
    d = json.load(open(3))
except ValueError as e:
    sys.exit("not JSON: %s" % e)
kind, _, fields = schema.partition(":")
types = {"str": str, "int": int, "bool": bool, "list": list, "dict": dict, "null": type(None)}
items = d if kind == "list" else [d]
if kind == "list" and not isinstance(d, list):
    sys.exit("not an array: %r" % d)
for it in items:
    if not isinstance(it, dict):
        sys.exit("not an object: %r" % it)
    for f in filter(None, fields.split(",")):
        k, _, t = f.partition("=")
        if k not in it:
            sys.exit("missing key %s in %r" % (k, it))
        want = tuple(types[x] for x in t.split("|"))
        v = it[k]
        if not isinstance(v, want) or (isinstance(v, bool) and bool not in want):
            sys.exit("key %s: %r is not %s" % (k, v, t))
        if not re.search(r'[`"]%s[`"?]' % re.escape(k), doc):
            sys.exit("key %s is not in docs/json.md" % k)
PY
  ); then pass "$name"; else fail "$name" "$msg" "stdout: ${OUT:0:400}"; fi
}
# jq_is NAME PYEXPR WANT: python expression on d = $OUT equals WANT
jq_is() {
  local got
  got=$(json "$2" <<<"$OUT" 2>&1)
  if [ "$got" = "$3" ]; then pass "$1"; else fail "$1" "$2 = $got (want $3)"; fi
}
# nothing_out NAME WANT_RC REGEX CMD...: exit WANT_RC, stderr ~ REGEX, stdout empty
nothing_out() {
  local name=$1 want=$2 re=$3; shift 3
  run "$@"
  if [ "$RC" -eq "$want" ] && [ -z "$OUT" ] && grep -Eq -- "$re" <<<"$ERR"; then pass "$name"
  else fail "$name" "exit $RC (want $want), stdout must be empty" "stdout: $OUT" "stderr: $ERR"; fi
}

# ---- run-instance --list-types (no service needed) --------------------------------------
run stratus-run-instance -c "$A" --list-types --json
jcheck "--list-types --json" 'list:name=str,cpu=int,ram=int,swap=int,selected=bool'
jq_is "--list-types: 7 types, sorted" "[t['name'] for t in d] == sorted(t['name'] for t in d) and len(d)" 7
jq_is "--list-types: m1.small selected" "[t['name'] for t in d if t['selected']]" "['m1.small']"
jq_is "--list-types: key order" "list(d[0])" "['name', 'cpu', 'ram', 'swap', 'selected']"
run stratus-run-instance -c "$A" -l -t t1.micro --format=json
jq_is "--format=json -t marks the type" "[(t['name'], t['ram']) for t in d if t['selected']]" \
  "[('t1.micro', 512)]"
nothing_out "--format=xml is a usage error" 2 "--format must be text or json" \
  stratus-run-instance -c "$A" -l --format=xml

# ---- machines ----------------------------------------------------------------------------
truncate -s 16M "$T_TMP/img.raw"
img=$(stratus-admin --data-dir "$SL_DIR" image add "$T_TMP/img.raw" 2>/dev/null | tail -1)
RUNI=(stratus-run-instance --no-check-image-url -c "$A" -k "$T_TMP/key.pub")
run "${RUNI[@]}" --json "$img"
jcheck "run-instance --json" 'obj:vms=list,network=str'
jq_is "run-instance --json: one vm {id, ip}" "[sorted(v) for v in d['vms']]" "[['id', 'ip']]"
jq_is "run-instance --json: no banner on stdout" "d['network']" public
vm1=$(json "d['vms'][0]['id']" <<<"$OUT")
ip1=$(json "d['vms'][0]['ip']" <<<"$OUT")
run "${RUNI[@]}" --format=json -n 2 "$img"
jq_is "run-instance -n 2 --format=json: two vms" "len(d['vms'])" 2
nothing_out "run-instance --json, unknown type: nothing on stdout" 1 "ERROR" \
  "${RUNI[@]}" --json -t no.such "$img"

expect "vm $vm1 Running (fake)" wait_state "$vm1" Running 30
run stratus-describe-instance -c "$A" --json
jcheck "describe-instance --json" \
  'list:id=int,name=str,owner=str,state=str,vcpu=int,memory=int,cpu=int,ip=str|null,network=str,image=str,type=str,ram=int,swap=int,created=str,disks=list'
jq_is "describe-instance --json: three vms of alice" "sorted(v['owner'] for v in d)" \
  "['alice', 'alice', 'alice']"
jq_is "describe-instance --json: same ip as run-instance" \
  "[v['ip'] for v in d if v['id'] == $vm1]" "['$ip1']"
jq_is "describe-instance --json: disks {target, kind}" \
  "[sorted(k) for v in d if v['id'] == $vm1 for k in v['disks']][0]" "['kind', 'target']"
run stratus-describe-instance -c "$A" --json "$vm1"
jq_is "describe-instance --json <id>" "[v['id'] for v in d]" "[$vm1]"
run stratus-describe-instance -c "$B" --json
jq_is "bob's --json list is []" "d" "[]"
expect "bob's --json list is exactly []" test "$OUT" = "[]"
run stratus-describe-instance -c "$B" --json "$vm1"
if [ "$RC" -eq 1 ] && [ "$OUT" = "[]" ] && grep -q "ERROR" <<<"$ERR"; then
  pass "describe-instance --json of another's vm: [] + error, exit 1"
else fail "describe-instance --json of another's vm: [] + error, exit 1" "exit $RC" "$OUT" "$ERR"; fi

# colours (docs/json.md): pipe plain, terminal coloured, NO_COLOR plain, --json never
plain='id  state     vcpu memory    cpu% host/ip                 name'
run stratus-describe-instance -c "$A"
expect "header in a pipe is plain" test "$(head -1 <<<"$OUT")" = "$plain"
tty=$(script -qec "stratus-describe-instance -c '$A'" /dev/null </dev/null | tr -d '\r')
expect "header on a terminal is bold red" test "$(head -1 <<<"$tty")" = $'\e[1;31m'"$plain"$'\e[0m'
tty=$(NO_COLOR=1 script -qec "stratus-describe-instance -c '$A'" /dev/null </dev/null | tr -d '\r')
expect "NO_COLOR=1 on a terminal: plain header" test "$(head -1 <<<"$tty")" = "$plain"
tty=$(NO_COLOR= script -qec "stratus-describe-instance -c '$A'" /dev/null </dev/null | tr -d '\r')
expect "empty NO_COLOR on a terminal: coloured" test "$(head -1 <<<"$tty")" = $'\e[1;31m'"$plain"$'\e[0m'
tty=$(script -qec "stratus-describe-instance --json -c '$A'" /dev/null </dev/null | tr -d '\r')
expect "--json on a terminal: JSON, no escape byte" bash -c \
  "[[ \"\$0\" != *\$'\\e'* ]] && python3 -c 'import json,sys; json.loads(sys.argv[1])' \"\$0\"" "$tty"

# ---- volumes -----------------------------------------------------------------------------
run stratus-describe-volumes -c "$A" --json
expect "describe-volumes --json, none: []" test "$OUT" = "[]"
check_out "describe-volumes text, none: unchanged" "^No disk to show$" stratus-describe-volumes -c "$A"
run stratus-create-volume -c "$A" --json -s 2 -t data1
jcheck "create-volume --json" 'obj:uuid=str,size=int,tag=str,visibility=str'
jq_is "create-volume --json values" "(d['size'], d['tag'], d['visibility'], list(d))" \
  "(2, 'data1', 'private', ['uuid', 'size', 'tag', 'visibility'])"
u1=$(json "d['uuid']" <<<"$OUT")
run stratus-create-volume -c "$A" --format=json --public -s 1 -t data2
jq_is "create-volume --public --format=json" "d['visibility']" public
u2=$(json "d['uuid']" <<<"$OUT")
nothing_out "create-volume --json, bad size: nothing on stdout" 1 "Volume size must be" \
  stratus-create-volume -c "$A" --json -s 0
run stratus-describe-volumes -c "$A" --json
jcheck "describe-volumes --json" \
  'list:uuid=str,created=str,visibility=str,tag=str,owner=str,size=int,users=int,count=int,type=str'
jq_is "describe-volumes --json: both" "sorted(v['uuid'] for v in d) == sorted(['$u1', '$u2'])" True
run stratus-describe-volumes -c "$A" --json "$u1"
jq_is "describe-volumes --json <uuid>" "[v['uuid'] for v in d]" "['$u1']"
run stratus-update-volume -c "$A" --json --tag renamed "$u1"
jcheck "update-volume --json" 'obj:uuid=str,tag=str,visibility=str,size=int'
jq_is "update-volume --json: new tag" "d['tag']" renamed

run stratus-attach-volume -c "$A" --json -i "$vm1" "$u1" not-a-uuid
arc=$RC RC=0
jcheck "attach-volume --json" 'list:uuid=str,vm=int'
expect "attach-volume --json: exit 1 when one failed" test "$arc" -eq 1
jq_is "attach-volume --json: target / error per item" \
  "[(r['uuid'], 'target' in r, 'error' in r) for r in d]" \
  "[('$u1', True, False), ('not-a-uuid', False, True)]"
run stratus-describe-volumes -c "$A" --json "$u1"
jq_is "attached volume has a user" "d[0]['users']" 1
run stratus-detach-volume -c "$A" --json -i "$vm1" "$u1"
jcheck "detach-volume --json" 'list:uuid=str,vm=int,target=str'
nothing_out "attach-volume --json, vm not running: nothing on stdout" 1 "is not in running state" \
  stratus-attach-volume -c "$A" --json -i 99999 "$u1"

run stratus-delete-volume -c "$A" --json "$u2" 00000000-0000-0000-0000-000000000000
arc=$RC RC=0
jcheck "delete-volume --json" 'list:uuid=str,deleted=bool'
jq_is "delete-volume --json: deleted / error, exit 1" \
  "($arc, [(r['deleted'], 'error' in r) for r in d])" "(1, [(True, False), (False, True)])"

# ---- images (an entry this test builds and signs, uploaded to the daemon's Marketplace) --
W=$T_TMP/w
mkdir -p "$W"
cat >"$W/mp.cfg" <<EOF
[default]
marketplace_endpoint = https://127.0.0.1:$SL_PORT
ca_certificate = $SL_CA
p12_certificate = $W/ada.p12
p12_password = secret
EOF
A_SAVED=$A
A=$W/mp.cfg
head -c 100000 /dev/urandom >"$W/img.raw"
if endorser ada ada@example.org && entry e "$W/img.raw" https://127.0.0.1/img.raw ada &&
   stratus-upload-metadata -c "$W/mp.cfg" "$W/e.xml" >/dev/null 2>&1; then
  id=$(ident e)
  run stratus-describe-images -c "$W/mp.cfg" --json
  jcheck "describe-images --json" \
    'list:identifier=str,os=str,version=str,arch=str,endorser=str,title=str,kind=str,created=str,location=str,description=str'
  jq_is "describe-images --json: the entry" "[(i['identifier'], i['os'], i['endorser']) for i in d]" \
    "[('$id', 'stratuslab-appliance', 'ada@example.org')]"
  run stratus-describe-images -c "$W/mp.cfg" --json os=none
  expect "describe-images --json, no match: []" test "$OUT" = "[]"
else
  fail "build, sign and upload an entry for describe-images"
fi
A=$A_SAVED

finish
