#!/bin/sh
# Records the OPEN that BIRD 2 and FRR 8 send, for captured.txt.
#
# Each daemon runs in a network namespace of its own and connects to a listener in a second
# namespace that records the first message it receives (the daemon's OPEN) and closes.
# Usage (as root): sh capture_opens.sh > opens.txt   Prints "<source> <hex>" lines.
set -eu
W=$(mktemp -d)
chmod 755 "$W"
NA=bgpwire-open-a
NB=bgpwire-open-b
cleanup() {
    for p in "$W"/*.pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null || true; done
    ip netns del $NA 2>/dev/null || true
    ip netns del $NB 2>/dev/null || true
    rm -rf "$W"
}
trap cleanup EXIT INT TERM

ip netns add $NA
ip netns add $NB
ip link add owa netns $NA type veth peer name owb netns $NB
for ns in $NA $NB; do
    ip -n $ns link set lo up
    ip netns exec $ns sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip -n $NA addr add 10.99.0.1/24 dev owa
ip -n $NB addr add 10.99.0.2/24 dev owb
ip -n $NA link set owa up
ip -n $NB link set owb up

# listen: records the first BGP message of one connection as hex, then closes.
listen() {
    ip netns exec $NB python3 - "$1" <<'PY' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.99.0.2", 179)); s.listen(1); s.settimeout(30)
c, _ = s.accept(); c.settimeout(10); b = b""
while len(b) < 19 or len(b) < int.from_bytes(b[16:18], "big"):
    d = c.recv(4096)
    if not d: break
    b += d
open(sys.argv[1], "w").write(b[: int.from_bytes(b[16:18], "big")].hex())
PY
    echo $! > "$W/listen.pid"
    sleep 0.5
}

# BIRD 2: 4-octet AS, IPv4 and IPv6 unicast with ADD-PATH and extended next hop, graceful and
# long-lived graceful restart, role, hostname, extended messages.
cat > "$W/bird.conf" <<CONF
router id 10.99.0.1;
hostname "bird-lab";
protocol device {}
protocol bgp peer {
    local 10.99.0.1 as 4200000001;
    neighbor 10.99.0.2 as 65002;
    local role customer;
    enable extended messages on;
    advertise hostname on;
    graceful restart on;
    long lived graceful restart on;
    connect retry time 1;
    ipv4 { import all; export none; add paths on; extended next hop on; };
    ipv6 { import all; export none; add paths rx; };
}
CONF
listen "$W/bird.hex"
ip netns exec $NA bird -c "$W/bird.conf" -s "$W/bird.ctl" -P "$W/bird.pid"
wait "$(cat "$W/listen.pid")" || true
kill "$(cat "$W/bird.pid")" 2>/dev/null || true
echo "bird-2.0.12-lab $(cat "$W/bird.hex")"

# FRR 8: defaults plus hostname, graceful restart, ADD-PATH, extended next hop, role.
mkdir -p "$W/frr"
chown frr:frr "$W/frr"
cat > "$W/frr/bgpd.conf" <<CONF
hostname frr-lab
router bgp 65001
 bgp router-id 10.99.0.1
 bgp graceful-restart
 no bgp ebgp-requires-policy
 neighbor 10.99.0.2 remote-as 65002
 neighbor 10.99.0.2 local-role provider
 neighbor 10.99.0.2 capability extended-nexthop
 neighbor 10.99.0.2 timers connect 1
 address-family ipv4 unicast
  neighbor 10.99.0.2 addpath-tx-all-paths
 exit-address-family
 address-family ipv6 unicast
  neighbor 10.99.0.2 activate
 exit-address-family
CONF
chown frr:frr "$W/frr/bgpd.conf"
listen "$W/frr.hex"
ip netns exec $NA /usr/lib/frr/bgpd -d -P 0 -Z --vty_socket "$W/frr" -f "$W/frr/bgpd.conf" \
    -i "$W/frr/bgpd.pid" --log "file:$W/frr/bgpd.log"
wait "$(cat "$W/listen.pid")" || true
kill "$(cat "$W/frr/bgpd.pid")" 2>/dev/null || true
echo "frr-8.4-lab $(cat "$W/frr.hex")"
