#!/usr/bin/env bash
# Produce real BGP captures between FRR, BIRD and GoBGP in network
# namespaces, for the decoder tests in tests/data/captures/.
#
# Usage: scripts/lab/capture-bgp.sh [OUTDIR] [SCENARIO...]
#   OUTDIR defaults to tests/data/captures; scenarios default to all of:
#   frr-bird-ipv4 frr-gobgp-ipv6 gobgp-frr-addpath frr-bird-unnumbered-extnh
# Needs root, iproute2, ethtool, tcpdump, tshark, jq, frr, bird2, gobgpd.
# Re-runnable: stale namespaces from an earlier run are removed first and
# everything is removed on exit, whatever the outcome.

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lab/lib.sh
. "$here/lib.sh"

OUT=${1:-$here/../../tests/data/captures}
shift || true
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] ||
    SCENARIOS=(frr-bird-ipv4 frr-gobgp-ipv6 gobgp-frr-addpath frr-bird-unnumbered-extnh)

# --- configuration generators --------------------------------------------

# FRR route-maps RM-0 .. RM-24 giving varied attributes to locally
# originated routes: five kinds of attribute set, each with its own MED and
# community, so UPDATEs carry many distinct attribute sets.
frr_route_maps() {
    local k
    for ((k = 0; k < 25; k++)); do
        echo "route-map RM-$k permit 10"
        case $((k % 5)) in
        0) echo " set community 65001:100 65001:$k" ;;
        1) echo " set large-community 65001:1:$k 65001:2:2"
           echo " set as-path prepend 65001 65001" ;;
        2) echo " set extcommunity rt 65001:$k"
           echo " set origin incomplete"
           echo " set community 65001:300 blackhole" ;;
        3) echo " set as-path prepend 64600"
           echo " set community 65001:400 65001:$k"
           echo " set large-community 65001:3:$k" ;;
        4) [ "$k" -ne 24 ] || echo " set origin egp" ;;
        esac
        [ "$((k % 5))" -eq 4 ] || echo " set metric $((k * 10))"
        echo "exit"
    done
}

# frr_networks4 FIRST COUNT: IPv4 /24 network statements from 172.16.0.0/24
# onwards, the I-th with route-map RM-(I mod 25).
frr_networks4() {
    local first=$1 count=$2 i
    for ((i = first; i < first + count; i++)); do
        echo "  network 172.$((16 + i / 256)).$((i % 256)).0/24 route-map RM-$((i % 25))"
    done
}

frr_networks6() {
    local first=$1 count=$2 i
    for ((i = first; i < first + count; i++)); do
        printf '  network 2001:db8:1:%x::/64 route-map RM-%d\n' "$i" "$((i % 25))"
    done
}

# BIRD static routes 10.20.0.0/24 onwards (COUNT of them).
bird_static4() {
    local count=$1 i
    echo "protocol static s4 {"
    echo "  ipv4;"
    for ((i = 0; i < count; i++)); do
        echo "  route 10.$((20 + i / 256)).$((i % 256)).0/24 blackhole;"
    done
    echo "}"
}

bird_static6() {
    local count=$1 i
    echo "protocol static s6 {"
    echo "  ipv6;"
    for ((i = 0; i < count; i++)); do
        printf '  route 2001:db8:2:%x::/64 blackhole;\n' "$i"
    done
    echo "}"
}

# BIRD export filter: 32 buckets of /18 over 10.20.0.0/13, each with its
# own MED and community and one of five kinds of attribute set.
bird_filters() {
    local k net
    echo "filter to_frr {"
    echo "  if net.type = NET_IP4 then {"
    for ((k = 0; k < 32; k++)); do
        net="10.$((20 + k / 4)).$((k % 4 * 64)).0/18"
        printf '    if net ~ [%s+] then { bgp_med = %d; bgp_community.add((65002,%d)); ' "$net" "$k" "$k"
        case $((k % 5)) in
        0) printf 'bgp_community.add((65002,100));' ;;
        1) printf 'bgp_large_community.add((65002,1,%d)); bgp_path.prepend(65002); bgp_path.prepend(65002);' "$k" ;;
        2) printf 'bgp_path.prepend(64512); bgp_ext_community.add((rt,65002,%d));' "$k" ;;
        3) printf 'bgp_path.prepend(64513); bgp_path.prepend(64514); bgp_community.add((65535,0));' ;;
        4) printf 'bgp_origin = ORIGIN_INCOMPLETE; bgp_large_community.add((65002,9,%d));' "$k" ;;
        esac
        echo " }"
    done
    echo "  }"
    echo "  if net.type = NET_IP6 then {"
    echo "    if net ~ [2001:db8:2::/48{64,64}] then { bgp_community.add((65002,600)); }"
    echo "  }"
    echo "  accept;"
    echo "}"
}

# --- scenarios ---------------------------------------------------------------

# FRR (AS 65001, 10.0.0.1) <-> BIRD (AS 65002, 10.0.0.2), numbered IPv4.
frr_bird_ipv4() {
    local file=$OUT/frr-bird-ipv4.pcap n4=2000 b4=1800
    local a b
    ns_add a f1
    ns_add b b1
    veth "$a" eth0 "$b" eth0
    ip -n "$a" addr add 10.0.0.1/30 dev eth0
    ip -n "$b" addr add 10.0.0.2/30 dev eth0
    mkdir -p "$LAB_DIR/frr1" "$LAB_DIR/bird1"
    {
        echo "frr defaults traditional"
        echo "hostname frr1"
        frr_route_maps
        echo "router bgp 65001"
        echo " bgp router-id 10.0.0.1"
        echo " no bgp ebgp-requires-policy"
        echo " no bgp network import-check"
        echo " neighbor 10.0.0.2 remote-as 65002"
        echo " address-family ipv4 unicast"
        frr_networks4 0 "$n4"
        # AS_SET: the aggregate of BIRD's 10.22/16 and 10.23/16 routes, whose
        # paths are 65002 64512 and 65002 64514 64513.
        echo "  aggregate-address 10.22.0.0/15 as-set"
        echo " exit-address-family"
        echo "exit"
    } >"$LAB_DIR/frr1/bgpd.conf"
    write_bird1 "$b4" >"$LAB_DIR/bird1/bird.conf"

    capture "$a" eth0 "$file"
    frr_start "$a" frr1 bgpd
    bird_start "$b" bird1
    wait_for 60 "FRR to receive $b4 routes from BIRD" frr_pfx_rcvd frr1 ipv4Unicast 10.0.0.2 "$b4"
    wait_for 60 "BIRD to receive FRR routes" bird_routes_from bird1 frr "$n4"

    log "withdrawing 300 routes on each side"
    local cmds=("configure terminal" "router bgp 65001" "address-family ipv4 unicast") i
    for ((i = 1500; i < 1800; i++)); do
        cmds+=("no network 172.$((16 + i / 256)).$((i % 256)).0/24")
    done
    vtysh_in frr1 "${cmds[@]}"
    write_bird1 "$((b4 - 300))" >"$LAB_DIR/bird1/bird.conf"
    birdc_in bird1 configure >/dev/null
    wait_for 60 "FRR to see BIRD's withdrawals" frr_pfx_rcvd frr1 ipv4Unicast 10.0.0.2 "$((b4 - 300))"
    wait_for 60 "BIRD to see FRR's withdrawals" bird_routes_from bird1 frr "$((n4 - 300))"

    [ -z "${LAB_PAUSE:-}" ] || sleep "$LAB_PAUSE"
    log "shutting the session down with a message"
    vtysh_in frr1 "configure terminal" "router bgp 65001" \
        'neighbor 10.0.0.2 shutdown message "maintenance"'
    wait_for 20 "BIRD to see the Cease" bash -c \
        "birdc -s '$LAB_DIR/bird1/bird.ctl' show protocols frr | grep -q 'Idle\\|Active\\|Connect'"
    capture_stop
    lab_cleanup
}

write_bird1() {
    cat <<EOF
router id 10.0.0.2;
log "$LAB_DIR/bird1/bird.log" all;
protocol device {}
$(bird_static4 "$1")
$(bird_filters)
protocol bgp frr {
  local 10.0.0.2 as 65002;
  neighbor 10.0.0.1 as 65001;
  connect retry time 2;
  ipv4 { import all; export filter to_frr; };
}
EOF
}

# FRR (AS 65001, fd00:12::1) <-> GoBGP (AS 65003, fd00:12::2), numbered IPv6.
frr_gobgp_ipv6() {
    local file=$OUT/frr-gobgp-ipv6.pcap n6=1500 g6=200
    local a g
    ns_add a f2
    ns_add g g2
    veth "$a" eth0 "$g" eth0
    ip -n "$a" addr add fd00:12::1/64 dev eth0
    ip -n "$g" addr add fd00:12::2/64 dev eth0
    mkdir -p "$LAB_DIR/frr2" "$LAB_DIR/gobgp2"
    {
        echo "frr defaults traditional"
        echo "hostname frr2"
        frr_route_maps
        echo "router bgp 65001"
        echo " bgp router-id 10.0.0.1"
        echo " no bgp default ipv4-unicast"
        echo " no bgp ebgp-requires-policy"
        echo " no bgp network import-check"
        echo " neighbor fd00:12::2 remote-as 65003"
        echo " address-family ipv6 unicast"
        echo "  neighbor fd00:12::2 activate"
        frr_networks6 0 "$n6"
        echo " exit-address-family"
        echo "exit"
    } >"$LAB_DIR/frr2/bgpd.conf"
    cat >"$LAB_DIR/gobgp2/gobgpd.toml" <<'EOF'
[global.config]
  as = 65003
  router-id = "10.0.0.3"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "fd00:12::1"
    peer-as = 65001
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
EOF
    capture "$a" eth0 "$file"
    frr_start "$a" frr2 bgpd
    gobgp_start "$g" gobgp2
    wait_for 60 "GoBGP to receive $n6 routes" gobgp_accepted "$g" fd00:12::1 "$n6"
    log "adding $g6 GoBGP routes"
    local i
    for ((i = 0; i < g6; i++)); do
        gobgp_in "$g" global rib -a ipv6 add "$(printf '2001:db8:3:%x::/64' "$i")" \
            $(gobgp_attrs "$i") >/dev/null
    done
    wait_for 60 "FRR to receive $g6 routes" frr_pfx_rcvd frr2 ipv6Unicast fd00:12::2 "$g6"

    log "withdrawing routes on each side"
    for ((i = 0; i < 50; i++)); do
        gobgp_in "$g" global rib -a ipv6 del "$(printf '2001:db8:3:%x::/64' "$i")" >/dev/null
    done
    local cmds=("configure terminal" "router bgp 65001" "address-family ipv6 unicast")
    for ((i = 1000; i < 1300; i++)); do
        cmds+=("$(printf 'no network 2001:db8:1:%x::/64' "$i")")
    done
    vtysh_in frr2 "${cmds[@]}"
    wait_for 60 "FRR to see GoBGP's withdrawals" frr_pfx_rcvd frr2 ipv6Unicast fd00:12::2 "$((g6 - 50))"
    wait_for 60 "GoBGP to see FRR's withdrawals" gobgp_accepted "$g" fd00:12::1 "$((n6 - 300))"
    log "shutting the session down"
    vtysh_in frr2 "configure terminal" "router bgp 65001" \
        'neighbor fd00:12::2 shutdown message "end of capture"'
    sleep 1
    capture_stop
    lab_cleanup
}

# Attributes for the I-th GoBGP route, varied in a cycle of four.
gobgp_attrs() {
    case $(($1 % 4)) in
    0) echo "origin igp med 20 community 65003:1" ;;
    1) echo "origin egp aspath 64701,64702 large-community 65003:2:3" ;;
    2) echo "origin incomplete community 65003:5,65535:65282 med 3" ;;
    3) echo "origin igp aspath 64703" ;;
    esac
}

# GoBGP (AS 65003, 10.0.1.2) sends several paths for each of a few prefixes
# to FRR (AS 65001, 10.0.1.1) with ADD-PATH in both directions.
gobgp_frr_addpath() {
    local file=$OUT/gobgp-frr-addpath.pcap
    local a g
    ns_add a f3
    ns_add g g3
    veth "$a" eth0 "$g" eth0
    ip -n "$a" addr add 10.0.1.1/30 dev eth0
    ip -n "$g" addr add 10.0.1.2/30 dev eth0
    mkdir -p "$LAB_DIR/frr3" "$LAB_DIR/gobgp3"
    {
        echo "frr defaults traditional"
        echo "hostname frr3"
        frr_route_maps
        echo "router bgp 65001"
        echo " bgp router-id 10.0.1.1"
        echo " no bgp ebgp-requires-policy"
        echo " no bgp network import-check"
        echo " neighbor 10.0.1.2 remote-as 65003"
        echo " address-family ipv4 unicast"
        echo "  neighbor 10.0.1.2 addpath-tx-all-paths"
        frr_networks4 0 200
        echo " exit-address-family"
        echo "exit"
    } >"$LAB_DIR/frr3/bgpd.conf"
    cat >"$LAB_DIR/gobgp3/gobgpd.toml" <<'EOF'
[global.config]
  as = 65003
  router-id = "10.0.1.2"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "10.0.1.1"
    peer-as = 65001
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
    [neighbors.afi-safis.add-paths.config]
      receive = true
      send-max = 8
EOF
    capture "$a" eth0 "$file"
    frr_start "$a" frr3 bgpd
    gobgp_start "$g" gobgp3
    wait_for 60 "GoBGP to receive FRR's routes" gobgp_accepted "$g" 10.0.1.1 200
    log "adding 4 paths for each of 25 prefixes in GoBGP"
    local p id
    for ((p = 0; p < 25; p++)); do
        for id in 1 2 3 4; do
            gobgp_in "$g" global rib -a ipv4 add "10.30.$p.0/24" identifier "$id" \
                nexthop 10.0.1.2 aspath "$(seq -s, 64700 $((64700 + id - 1)))" \
                community "65003:$id" med "$((id * 10))" >/dev/null
        done
    done
    wait_for 60 "FRR to receive 100 paths" frr_pfx_rcvd frr3 ipv4Unicast 10.0.1.2 100
    log "withdrawing one path of each of 10 prefixes"
    for ((p = 0; p < 10; p++)); do
        gobgp_in "$g" global rib -a ipv4 del "10.30.$p.0/24" identifier 2 >/dev/null
    done
    wait_for 60 "FRR to see GoBGP's withdrawals" frr_pfx_rcvd frr3 ipv4Unicast 10.0.1.2 90
    vtysh_in frr3 "configure terminal" "router bgp 65001" \
        'neighbor 10.0.1.2 shutdown message "end of capture"'
    sleep 1
    capture_stop
    lab_cleanup
}

# FRR (AS 65001) <-> BIRD (AS 65002) over IPv6 link-local addresses only,
# with extended next hop (RFC 8950) carrying IPv4 routes.
frr_bird_unnumbered() {
    local file=$OUT/frr-bird-unnumbered-extnh.pcap n4=1000 n6=300 b4=1000 b6=300
    local a b
    ns_add a f4
    ns_add b b4
    # EUI-64 link-locals: fe80::ff:fe00:1 (FRR) and fe80::ff:fe00:2 (BIRD).
    veth "$a" eth0 "$b" eth0 02:00:00:00:00:01 02:00:00:00:00:02
    mkdir -p "$LAB_DIR/frr4" "$LAB_DIR/bird4"
    cat >"$LAB_DIR/frr4/zebra.conf" <<'EOF'
interface eth0
 no ipv6 nd suppress-ra
 ipv6 nd ra-interval 3
exit
EOF
    {
        echo "frr defaults traditional"
        echo "hostname frr4"
        frr_route_maps
        echo "router bgp 65001"
        echo " bgp router-id 192.0.2.1"
        echo " no bgp ebgp-requires-policy"
        echo " no bgp network import-check"
        echo " neighbor eth0 interface remote-as external"
        echo " neighbor eth0 capability extended-nexthop"
        echo " address-family ipv4 unicast"
        frr_networks4 0 "$n4"
        echo " exit-address-family"
        echo " address-family ipv6 unicast"
        echo "  neighbor eth0 activate"
        frr_networks6 0 "$n6"
        echo " exit-address-family"
        echo "exit"
    } >"$LAB_DIR/frr4/bgpd.conf"
    write_bird4 "$b4" "$b6" >"$LAB_DIR/bird4/bird.conf"

    capture "$a" eth0 "$file"
    frr_start "$a" frr4 bgpd
    bird_start "$b" bird4
    wait_for 60 "FRR to receive BIRD's IPv4 routes" frr_pfx_rcvd_if frr4 ipv4Unicast "$b4"
    wait_for 60 "FRR to receive BIRD's IPv6 routes" frr_pfx_rcvd_if frr4 ipv6Unicast "$b6"
    wait_for 60 "BIRD to receive FRR's routes" bird_routes_from bird4 frr "$((n4 + n6))"
    log "withdrawing routes on each side"
    write_bird4 "$((b4 - 200))" "$((b6 - 50))" >"$LAB_DIR/bird4/bird.conf"
    birdc_in bird4 configure >/dev/null
    local cmds=("configure terminal" "router bgp 65001" "address-family ipv4 unicast") i
    for ((i = 800; i < 1000; i++)); do
        cmds+=("no network 172.$((16 + i / 256)).$((i % 256)).0/24")
    done
    vtysh_in frr4 "${cmds[@]}"
    wait_for 60 "FRR to see BIRD's withdrawals" frr_pfx_rcvd_if frr4 ipv4Unicast "$((b4 - 200))"
    wait_for 60 "BIRD to see FRR's withdrawals" bird_routes_from bird4 frr "$((n4 + n6 - 200))"
    vtysh_in frr4 "configure terminal" "router bgp 65001" \
        'neighbor eth0 shutdown message "end of capture"'
    sleep 1
    capture_stop
    lab_cleanup
}

write_bird4() {
    cat <<EOF
router id 192.0.2.2;
log "$LAB_DIR/bird4/bird.log" all;
protocol device {}
protocol radv {
  interface "eth0" { min ra interval 3; max ra interval 4; default lifetime 0; };
}
$(bird_static4 "$1")
$(bird_static6 "$2")
$(bird_filters)
protocol bgp frr {
  local as 65002;
  neighbor fe80::ff:fe00:1 as 65001;
  interface "eth0";
  connect retry time 2;
  ipv4 { import all; export filter to_frr; extended next hop on; };
  ipv6 { import all; export filter to_frr; };
}
EOF
}

# --- conditions polled by wait_for ---------------------------------------

frr_pfx_rcvd() { # NAME AFKEY PEER COUNT
    local got
    got=$(vtysh_in "$1" "show bgp vrf default summary json" | jq -r ".${2}.peers[\"$3\"].pfxRcd // 0")
    [ "$got" -eq "$4" ]
}

frr_pfx_rcvd_if() { # NAME AFKEY COUNT (interface peer eth0)
    frr_pfx_rcvd "$1" "$2" eth0 "$3"
}

# Routes BIRD accepted from protocol PROTOCOL, summed over its tables.
# (Routes that FRR reflects back, and FRR's aggregate, carry AS 65002 in
# their path and BIRD drops them as loops, so only FRR's own are counted.)
bird_routes_from() { # NAME PROTOCOL COUNT
    local got
    got=$(birdc_in "$1" show route protocol "$2" count |
        awk '/routes for/ {n += $1} END {print n + 0}')
    [ "${got:-0}" -eq "$3" ]
}

gobgp_accepted() { # NS PEER COUNT
    local got
    got=$(gobgp_in "$1" neighbor "$2" -j | jq '[.afi_safis[]?.state.accepted // 0] | add')
    [ "${got:-0}" -eq "$3" ]
}

# --- main ------------------------------------------------------------------

[ "$(id -u)" -eq 0 ] || die "must run as root"
lab_init cbgp
for s in "${SCENARIOS[@]}"; do
    log "scenario $s"
    case $s in
    frr-bird-ipv4) frr_bird_ipv4 ;;
    frr-gobgp-ipv6) frr_gobgp_ipv6 ;;
    gobgp-frr-addpath) gobgp_frr_addpath ;;
    frr-bird-unnumbered-extnh) frr_bird_unnumbered ;;
    *) die "unknown scenario $s" ;;
    esac
    # lab_cleanup removed the state folder: make a fresh one for the next.
    LAB_DIR=$(mktemp -d "/tmp/cbgp.XXXXXX")
    chmod 755 "$LAB_DIR"
    log "wrote $s"
done
rm -rf "$LAB_DIR"
