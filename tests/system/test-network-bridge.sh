#!/usr/bin/env bash
# time-limit: 900
# The bridge network driver for real (docs/network.md), inside a network namespace this
# test creates: a bridge with the gateway address, stratusd, its taps and dnsmasq and two
# appliance VMs, all in the namespace; nothing reaches the host's own network.
#   - two VMs on the bridge: ssh from the host side by address; VM -> VM ping and the
#     other's sshd by address and by its vm-<id> name (dnsmasq's DNS); a DHCP answer
#     from dnsmasq with the VM's fixed address; a file fetched from a package
#     repository served on the cloud's network (the gateway address);
#   - kill -9 of stratusd with both running, a stray tap left behind, restart: both
#     adopted, the stray tap and the old dnsmasq gone, one dnsmasq, VM -> VM still;
#   - kill removes the tap and the host entry;
#   - bad input (bridge missing, pool exhausted, unknown network): one-line error, nothing
#     allocated;
#   - --private-ip: two VMs of alice and one of bob on the private network (a bridge per
#     user, made by stratusd): alice's reach each other, bob's is unreachable from them and
#     they from it; the run banner says "Private ip:".
if [ "${SL_NETNS_INSIDE:-}" != 1 ]; then
  name=$(basename "$0" .sh)
  NS=slnet-$$
  if [ "$(id -u)" -ne 0 ] || ! ip netns add "$NS" 2>/dev/null; then
    echo "SKIP $name: bridge driver (needs root and ip netns)"
    echo "RESULT 0 0 1"
    exit 0
  fi
  # Everything in the namespace was started by this test: stopped by PID, then the
  # namespace (its bridge and taps with it) is removed.
  cleanup_ns() {
    local p
    for p in $(ip netns pids "$NS" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    sleep 0.3
    ip netns del "$NS" 2>/dev/null
  }
  trap cleanup_ns EXIT
  SL_NETNS_INSIDE=1 SL_NETNS=$NS ip netns exec "$NS" bash "$0"
  exit $?
fi

. "$(dirname "$0")/lib.sh"
private_home
BR=slbr0
ip link set lo up
ip link add "$BR" type bridge && ip addr add 10.77.0.1/24 dev "$BR" && ip link set "$BR" up ||
  { fail "bridge in the namespace"; finish; exit; }
SL_CONFIG=$T_TMP/stratusd.conf
PBR=slbrp
ip link add "$PBR" type bridge && ip link set "$PBR" up || { fail "private bridge"; finish; exit; }
cat >"$SL_CONFIG" <<CFG
[cloud]
network = 127.0.0.0/24

[network private]
driver = bridge
bridge = $PBR
pool = 10.78.0.0/29

[network public]
driver = bridge
bridge = $BR
pool = 10.77.0.0/29
gateway = 10.77.0.1
CFG
start_daemon
trap 'kill_vms; cleanup' EXIT
add_user alice alicepw1
A=$(user_config alice alicepw1)
vm_client net-bridge
RUN+=(--no-check-image-url)
appliance_image
check_out "register the appliance image" '^[A-Za-z0-9_-]{27}$' \
  stratus-admin --data-dir "$SL_DIR" image add "$image"
IMG=$OUT
count_vms() { curl -s --cacert "$SL_CA" -u alice:alicepw1 "https://127.0.0.1:$SL_PORT/vms/" | json "len(d)"; }
taps() { ip -o link show type tun 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | sort | tr '\n' ' '; }
# the live dnsmasq processes serving this daemon's network (their command line names its pid file)
dnsmasq_pids() {
  local p
  for p in $(pgrep -x dnsmasq); do
    gone "$p" || ! grep -qaF -- "$SL_DIR/networks/public/dnsmasq.pid" "/proc/$p/cmdline" 2>/dev/null ||
      echo "$p"
  done
}
dnsmasqs() { dnsmasq_pids | wc -l; }
one_dnsmasq() { [ "$(dnsmasqs)" -eq 1 ]; }
no_dnsmasq() { [ "$(dnsmasqs)" -eq 0 ]; }
on() { local ip=$1; shift; "${SSH[@]}" "root@$ip" "$@"; }

# ---- a package repository on the cloud's network ---------------------------------
REPO=$T_TMP/repo
mkdir -p "$REPO/debian/pool" && echo "package-index-ok" >"$REPO/debian/pool/Packages"
python3 -m http.server 8000 --bind 10.77.0.1 --directory "$REPO" >/dev/null 2>&1 &
T_PIDS+=($!)

# ---- two VMs on the bridge ----------------------------------------------------------
run "${RUN[@]}" -n 2 "$IMG"
V1=$(sed -n '1s/,.*//p' <<<"$OUT"); IP1=$(sed -n '1s/.*, //p' <<<"$OUT")
V2=$(sed -n '2s/,.*//p' <<<"$OUT"); IP2=$(sed -n '2s/.*, //p' <<<"$OUT")
in_pool() { [ "$RC" -eq 0 ] && [[ "$IP1" == 10.77.0.* ]] && [[ "$IP2" == 10.77.0.* ]]; }
expect "two VMs with addresses of the pool" in_pool
expect "VM 1 Running" wait_state "$V1" Running 120
expect "VM 2 Running" wait_state "$V2" Running 120
on_bridge() { [ "$(cat "/sys/class/net/$1/master/ifindex" 2>/dev/null)" = "$(cat /sys/class/net/$BR/ifindex)" ]; }
both_on_bridge() { on_bridge "vnet-$V1-0" && on_bridge "vnet-$V2-0"; }
expect "taps vnet-$V1-0 and vnet-$V2-0 on $BR" both_on_bridge
expect "one dnsmasq for the network" [ "$(dnsmasqs)" -eq 1 ]
expect "VM 1 READY" wait_ready "$V1" 180
expect "VM 2 READY" wait_ready "$V2" 180
check_out "ssh VM 1 by its bridge address" "^(vm|one)-$V1$" on "$IP1" hostname
check_out "VM 1 has its address from the context" "inet addr:$IP1 " on "$IP1" ifconfig eth0
check_out "VM 1 pings VM 2 by address" " 0% packet loss" on "$IP1" busybox ping -c 2 -W 3 "$IP2"
check_out "VM 1 reaches VM 2's sshd by address" "^SSH-2.0-" on "$IP1" \
  "echo | busybox timeout 5 busybox nc $IP2 22 | head -1"
check_out "VM 1 resolves vm-$V2 through dnsmasq" "$IP2" on "$IP1" busybox nslookup "vm-$V2" 10.77.0.1
check_out "VM 1 reaches VM 2's sshd by name" "^SSH-2.0-" on "$IP1" \
  "echo | busybox timeout 5 busybox nc vm-$V2 22 | head -1"
check_out "VM 2 gets its fixed address from dnsmasq's DHCP" "$IP2" on "$IP2" \
  "busybox udhcpc -i eth0 -n -q -f -t 3 -s /bin/true 2>&1"
check_out "VM 1 fetches from the package repository on the cloud's network" "^package-index-ok$" \
  on "$IP1" busybox wget -q -O - http://10.77.0.1:8000/debian/pool/Packages

# ---- kill -9 of stratusd with both running ------------------------------------------
OLD_DNSMASQ=$(dnsmasq_pids)
stop_daemon KILL
ip tuntap add dev vnet-99-0 mode tap && ip link set vnet-99-0 master "$BR" # as if left by a crash
start_daemon "$SL_DIR"
expect "VM 1 adopted" wait_state "$V1" Running 30
expect "VM 2 adopted" wait_state "$V2" Running 30
expect "the stray tap is removed at start-up" [ ! -e /sys/class/net/vnet-99-0 ]
expect "the VMs' taps are kept" both_on_bridge
old_replaced() { gone "$OLD_DNSMASQ" && one_dnsmasq; }
expect "the old dnsmasq is stopped, one runs" wait_for 10 old_replaced
check_out "VM 1 still pings VM 2" " 0% packet loss" on "$IP1" busybox ping -c 2 -W 3 "$IP2"
check_out "VM 1 still resolves vm-$V2" "$IP2" on "$IP1" busybox nslookup "vm-$V2" 10.77.0.1

# ---- kill removes the tap -------------------------------------------------------------
check "kill VM 2" stratus-kill-instance -c "$A" "$V2"
expect "its tap is gone" [ ! -e "/sys/class/net/vnet-$V2-0" ]
no_entry() { [ ! -e "$SL_DIR/networks/public/hosts/$1-0" ] && [ ! -e "$SL_DIR/networks/public/dhcp/$1-0" ]; }
expect "VM 1's host entry is there" [ -s "$SL_DIR/networks/public/hosts/$V1-0" ]
expect "its host entry is gone" no_entry "$V2"
expect "VM 1's tap stays" [ -e "/sys/class/net/vnet-$V1-0" ]

# ---- bad input: one line, nothing allocated ------------------------------------------
before=$(count_vms); taps_before=$(taps)
unchanged() { [ "$(count_vms)" = "$before" ] && [ "$(taps)" = "$taps_before" ]; }
check_err "pool exhausted" 1 "^  \[ERROR\] .*no free address in the pool$" "${RUN[@]}" -n 5 "$IMG"
expect "pool exhausted: nothing allocated" unchanged
ip link set "$BR" name slbr9
check_err "bridge missing" 1 "^  \[ERROR\] .*network public: bridge $BR does not exist$" "${RUN[@]}" "$IMG"
expect "bridge missing: one line (besides the --no-check-image-url warning)" \
  [ "$(grep -vc 'Image availability check is disabled' <<<"$ERR")" -eq 1 ]
expect "bridge missing: nothing allocated" unchanged
ip link set slbr9 name "$BR"
check_err "unknown network" 1 "^  \[ERROR\] .*unknown network 'local' \(this cloud has: public, private\)$" \
  "${RUN[@]}" --local-ip "$IMG"
expect "unknown network: nothing allocated" unchanged

# ---- the private network: a user's VMs among themselves ---------------------------------
# Each user's VMs are on a bridge of their own, ${PBR}u<n> (alice 2, bob 3: in order of first
# use); the test reaches them through an address of its own on each.
add_user bob bobpw123
B=$(user_config bob bobpw123)
run "${RUN[@]}" --private-ip -n 2 "$IMG"
P1=$(sed -n '1s/,.*//p' <<<"$OUT"); PIP1=$(sed -n '1s/.*, //p' <<<"$OUT")
P2=$(sed -n '2s/,.*//p' <<<"$OUT"); PIP2=$(sed -n '2s/.*, //p' <<<"$OUT")
check_out "bob's VM on the private network: banner" "Private ip: 10\.78\.0\.[0-9]+$" \
  stratus-run-instance -c "$B" -k "$T_TMP/key.pub" --ram 256 --no-check-image-url --private-ip "$IMG"
P3=$(sed -n 's/.*vm ID: \([0-9]*\)).*/\1/p' <<<"$OUT"); PIP3=$(sed -n 's/.*Private ip: //p' <<<"$OUT")
check_out "private VMs: network private in GET /vms/<id>" "^private$" vm_field "$P1" network
check_out "describe-instance: the Private ip: line under the VM's row" $'^\tPrivate ip: '"$PIP1"'$' \
  stratus-describe-instance -c "$A" -n "$P1"
no_ip_line() { run stratus-describe-instance -c "$A" -n "$V1" && [ "$RC" -eq 0 ] && [ -n "$OUT" ] &&
  ! grep -q ' ip: ' <<<"$OUT"; }
expect "describe-instance: no address line for a VM on the public network" no_ip_line
expect "alice's private VMs Running" wait_state "$P2" Running 120
own_bridges() { is_br() { [ -d "/sys/class/net/$1/bridge" ]; }; is_br "${PBR}u2" && is_br "${PBR}u3"; }
expect "a bridge per user (${PBR}u2, ${PBR}u3)" wait_for 30 own_bridges
expect "alice's taps on her bridge, bob's on his" [ "$(basename "$(readlink /sys/class/net/vnet-$P1-0/master)")" = "${PBR}u2" ] 
expect "bob's tap on his bridge" [ "$(basename "$(readlink /sys/class/net/vnet-$P3-0/master)")" = "${PBR}u3" ]
ip addr add 10.78.0.1/32 dev "${PBR}u2" && ip addr add 10.78.0.1/32 dev "${PBR}u3" &&
  ip route add "$PIP1/32" dev "${PBR}u2" && ip route add "$PIP2/32" dev "${PBR}u2" &&
  ip route add "$PIP3/32" dev "${PBR}u3" || fail "the test's own addresses on the users' bridges"
expect "alice's private VM 1 READY" wait_ready "$P1" 180
expect "alice's private VM 2 READY" wait_ready "$P2" 180
expect "bob's private VM READY" wait_ready "$P3" 180
check_out "alice's VM 1 pings her VM 2 on the private network" " 0% packet loss" \
  on "$PIP1" busybox ping -c 2 -W 3 "$PIP2"
check_out "alice's VM 1 reaches her VM 2's sshd" "^SSH-2.0-" on "$PIP1" \
  "echo | busybox timeout 5 busybox nc $PIP2 22 | head -1"
check_out "alice's VM 1 cannot reach bob's VM" " 100% packet loss" \
  on "$PIP1" "busybox ping -c 2 -W 2 $PIP3; true"
check_out "alice's VM 1 cannot reach bob's sshd" "^unreachable$" on "$PIP1" \
  "echo | busybox timeout 5 busybox nc $PIP3 22 | grep -q SSH && echo reached || echo unreachable"
check_out "bob's VM cannot reach alice's" " 100% packet loss" \
  on "$PIP3" "busybox ping -c 2 -W 2 $PIP1; true"
for v in "$P1" "$P2"; do check "kill alice's private VM $v" stratus-kill-instance -c "$A" "$v"; done
check "kill bob's private VM" stratus-kill-instance -c "$B" "$P3"

# ---- the end: no tap, no dnsmasq left ----------------------------------------------------
check "kill VM 1" stratus-kill-instance -c "$A" "$V1"
stop_daemon TERM
expect "no vnet tap left" [ -z "$(ip -o link show | grep -o 'vnet-[0-9]*-[0-9]*')" ]
expect "dnsmasq stopped with the daemon" wait_for 5 no_dnsmasq
finish
