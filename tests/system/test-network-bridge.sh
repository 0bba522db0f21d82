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
#   - bad input (bridge missing, pool exhausted): one-line error, nothing allocated.
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
cat >"$SL_CONFIG" <<CFG
[cloud]
network = 127.0.0.0/24

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

# ---- the end: no tap, no dnsmasq left ----------------------------------------------------
check "kill VM 1" stratus-kill-instance -c "$A" "$V1"
stop_daemon TERM
expect "no vnet tap left" [ -z "$(ip -o link show | grep -o 'vnet-[0-9]*-[0-9]*')" ]
expect "dnsmasq stopped with the daemon" wait_for 5 no_dnsmasq
finish
