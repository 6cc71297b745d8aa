# shellcheck shell=bash
# Helpers for building network-namespace labs with FRR, BIRD and GoBGP.
# Source this file; call lab_init PREFIX first. Everything created is
# recorded and removed by lab_cleanup (installed as an EXIT trap).

set -euo pipefail

LAB_PREFIX=""
LAB_DIR=""
LAB_NS=()
LAB_PIDFILES=()
LAB_PIDS=()

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() {
    log "error: $*"
    # LAB_HOLD=SECONDS keeps the lab up for inspection before cleanup.
    [ -z "${LAB_HOLD:-}" ] || sleep "$LAB_HOLD"
    exit 1
}

# lab_init PREFIX: remove stale namespaces left by an earlier run with the
# same prefix, make a state folder and install the cleanup trap.
lab_init() {
    LAB_PREFIX=$1
    local ns
    for ns in $(ip netns list | awk '{print $1}' | grep "^${LAB_PREFIX}-" || true); do
        log "removing stale namespace $ns"
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
        ip netns del "$ns" || true
    done
    LAB_DIR=$(mktemp -d "/tmp/${LAB_PREFIX}.XXXXXX")
    chmod 755 "$LAB_DIR"
    trap lab_cleanup EXIT
    trap 'exit 130' INT TERM
}

lab_cleanup() {
    local rc=$? f pid ns
    for pid in "${LAB_PIDS[@]}"; do
        kill -INT "$pid" 2>/dev/null || true
    done
    for f in "${LAB_PIDFILES[@]}"; do
        [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
    done
    sleep 0.5
    for ns in "${LAB_NS[@]}"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
        ip netns del "$ns" 2>/dev/null || true
    done
    if [ "$rc" -ne 0 ] && [ -n "$LAB_DIR" ]; then
        log "failed (exit $rc); logs:"
        tail -n 30 "$LAB_DIR"/*/*.log >&2 2>/dev/null || true
    fi
    [ -n "$LAB_DIR" ] && rm -rf "$LAB_DIR"
    LAB_NS=()
    LAB_PIDFILES=()
    LAB_PIDS=()
}

# ns_add VAR NAME: namespace PREFIX-NAME (its name stored in VAR) with lo
# up, forwarding on, no DAD, no rp_filter.
ns_add() {
    local ns="${LAB_PREFIX}-$2"
    printf -v "$1" '%s' "$ns"
    ip netns add "$ns"
    LAB_NS+=("$ns")
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
        net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0 \
        net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 >/dev/null
}

# veth NS_A IF_A NS_B IF_B [MAC_A MAC_B]: a veth pair with offloads off,
# both ends up. Fixed MACs give predictable EUI-64 link-local addresses.
veth() {
    local na=$1 ia=$2 nb=$3 ib=$4
    ip link add "tmp$$a" type veth peer name "tmp$$b"
    if [ $# -ge 6 ]; then
        ip link set "tmp$$a" address "$5"
        ip link set "tmp$$b" address "$6"
    fi
    ip link set "tmp$$a" netns "$na" name "$ia"
    ip link set "tmp$$b" netns "$nb" name "$ib"
    for end in "$na $ia" "$nb $ib"; do
        set -- $end
        ip netns exec "$1" ethtool -K "$2" tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
        ip -n "$1" link set "$2" up
    done
}

# capture NS IF FILE: tcpdump of BGP on IF, packets flushed as they arrive.
capture() {
    local ns=$1 ifc=$2 file=$3
    ip netns exec "$ns" tcpdump -i "$ifc" -s 0 -U --immediate-mode -n -w "$file" 'tcp port 179' \
        2>"$LAB_DIR/tcpdump-$ns.log" &
    LAB_PIDS+=("$!")
    CAPTURE_PID=$!
    # tcpdump prints "listening on" once the socket is open.
    wait_for 5 "tcpdump on $ns" grep -q 'listening on' "$LAB_DIR/tcpdump-$ns.log"
}

capture_stop() {
    # LAB_PAUSE=SECONDS keeps a finished scenario up for inspection.
    [ -z "${LAB_PAUSE:-}" ] || { log "pausing ${LAB_PAUSE}s in $LAB_DIR"; sleep "$LAB_PAUSE"; }
    sleep 1
    kill -INT "$CAPTURE_PID"
    wait "$CAPTURE_PID" 2>/dev/null || true
    cat "$LAB_DIR"/tcpdump-*.log >&2
}

# wait_for SECONDS WHAT CMD...: poll CMD every 0.2 s until it succeeds.
wait_for() {
    local secs=$1 what=$2 i
    shift 2
    for ((i = 0; i < secs * 5; i++)); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.2
    done
    # Run the check once more, traced, so the failure shows what it saw.
    (set -x; "$@") || true
    die "timed out after ${secs}s waiting for $what"
}

# frr_start NS NAME DAEMONS...: run FRR daemons with explicit paths in
# $LAB_DIR/NAME, whose DAEMON.conf files the caller wrote beforehand.
frr_start() {
    local ns=$1 name=$2 d
    shift 2
    local dir="$LAB_DIR/$name"
    chown -R frr:frr "$dir"
    for d in zebra "$@"; do
        [ -f "$dir/$d.conf" ] || : >"$dir/$d.conf"
        chown frr:frr "$dir/$d.conf"
        ip netns exec "$ns" "/usr/lib/frr/$d" -d -P 0 -z "$dir/zserv.api" --vty_socket "$dir" \
            -f "$dir/$d.conf" -i "$dir/$d.pid" --log "file:$dir/$d.log"
        LAB_PIDFILES+=("$dir/$d.pid")
    done
}

vtysh_in() {
    local name=$1
    shift
    local args=() c
    for c in "$@"; do args+=(-c "$c"); done
    vtysh --vty_socket "$LAB_DIR/$name" "${args[@]}"
}

# bird_start NS NAME: $LAB_DIR/NAME/bird.conf must exist.
bird_start() {
    local ns=$1 name=$2 dir="$LAB_DIR/$2"
    ip netns exec "$ns" bird -c "$dir/bird.conf" -s "$dir/bird.ctl" -P "$dir/bird.pid"
    LAB_PIDFILES+=("$dir/bird.pid")
}

birdc_in() {
    local name=$1
    shift
    birdc -s "$LAB_DIR/$name/bird.ctl" "$@"
}

# gobgp_start NS NAME: $LAB_DIR/NAME/gobgpd.toml must exist.
gobgp_start() {
    local ns=$1 name=$2 dir="$LAB_DIR/$2"
    ip netns exec "$ns" gobgpd -f "$dir/gobgpd.toml" -p --pprof-disable \
        --api-hosts 127.0.0.1:50051 >"$dir/gobgpd.log" 2>&1 &
    echo $! >"$dir/gobgpd.pid"
    LAB_PIDFILES+=("$dir/gobgpd.pid")
    wait_for 10 "gobgpd API in $ns" ip netns exec "$ns" gobgp global
}

gobgp_in() {
    local ns=$1
    shift
    ip netns exec "$ns" gobgp "$@"
}
