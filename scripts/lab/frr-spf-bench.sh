#!/usr/bin/env bash
# FRR's own SPF duration on the synthetic area of our SPF benchmark
# (benches/ospf_spf.rs: a ring plus one random chord per router, costs 1-20,
# three stubs each, seed 0x5eed), in OSPFv2 (FRR ospfd) and OSPFv3 (FRR
# ospf6d), and the ratio to our figure for the same area.
#
# Usage: scripts/lab/frr-spf-bench.sh [N...]        (default: 1000 10000)
#        VERSIONS="2 3" (default) picks the OSPF versions, each N run for each.
# Needs root, iproute2, ethtool, frr, cargo.
#
# How: `ospf-router --inject-topology N [--ospf-version 3]` runs our engine
# on one point-to-point interface with the N routers' LSAs injected into its
# database (its router-LSA links to synthetic router 0, and router 0's back
# to it); the adjacency with FRR hands them over by database exchange. Every
# REFRESH seconds it injects a newer instance of router 0's LSAs (one stub
# cost toggled; in OSPFv3 also the cost of router 0's link back to the
# injector, so that its router-LSA changes), which the engine floods, so FRR
# runs SPF over the complete database (N + 2 routers). Once FRR routes to
# every synthetic stub (earlier runs may precede the link from our
# router-LSA to FRR, and stop at FRR's root), the script reads FRR's own
# figure after each run and reports the median of RUNS runs.
#
# OSPFv2: `spfLastDurationMsecs` of `show ip ospf json`, ospfd's whole route
# calculation (SPF of every area, inter-area and external routes), in whole
# milliseconds. Runs are counted by the area's `spfExecutedCounter`.
# FRR's microsecond log lines ("SPF Processing Time(usecs)", "SPF Time")
# need `debug ospf event`, which also logs every vertex created inside the
# SPF and so inflates the very time it reports (at 10,000 routers: about
# 850 ms logged with it against the undebugged figure); they are not used.
# DEBUG_LOG=1 turns them on anyway and prints them.
#
# OSPFv3: `show ipv6 ospf6 json` gives ospf6d's last SPF duration as
# `spfLastDurationSecs` plus `spfLastDurationMsecs`, which despite its name
# holds the microseconds of the duration (the text form prints the same pair
# as "Last SPF duration S sec U usec"): microsecond resolution, no debug
# logging needed. The span is ospf6d's SPF job: per area the Dijkstra, the
# intra-area routes to the prefixes of intra-area-prefix-LSAs and the border
# routers. ospf6d keeps no run counter; a run shows as the area's
# `spfLastExecutedSecs`/`spfLastExecutedMicroSecs` (time since the last run)
# dropping between two polls. DEBUG_LOG=1 adds `debug ospf6 spf time`, whose
# log line "SPF runtime: S sec U usec" is the same measurement (that debug
# logs two lines per run, nothing per vertex), and prints its median too.
#
# Our figures come from criterion's estimates in $CARGO_TARGET_DIR/criterion
# (run `cargo bench -p benches --bench ospf_spf` first): `ospf_spf/full/N`
# (the whole OSPFv2 routing table) beside ospfd, `ospf_spf/full_v3/N` (the
# whole OSPFv3 routing table) beside ospf6d; without them only FRR's figures
# are printed.

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=scripts/lab/lib.sh
. "$here/lib.sh"

SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000 10000)
read -r -a VERS <<<"${VERSIONS:-2 3}"
REFRESH=${REFRESH:-3}
RUNS=${RUNS:-5}
TARGET=${CARGO_TARGET_DIR:-$root/target}

log "building ospf-router"
(cd "$root" && cargo build --release -q -p ospf-router)
BIN="$TARGET/release/ospf-router"
[ -x "$BIN" ] || die "no $BIN"

median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print ""}'; }

# ours BENCH N: criterion's point estimate of the mean of ospf_spf/BENCH/N
# in microseconds, or empty.
ours() {
    local f="$TARGET/criterion/ospf_spf/$1/$2/new/estimates.json"
    [ -f "$f" ] || return 0
    python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["mean"]["point_estimate"]/1000))' "$f"
}

# spf_field DIR KEY: one field of FRR's `show ip ospf json`, at the top
# (spfLastDurationMsecs) or in the area (spfExecutedCounter).
spf_field() {
    vtysh --vty_socket "$1" -c "show ip ospf json" | python3 -c '
import json, sys
v = json.load(sys.stdin)
k = sys.argv[1]
areas = list(v.get("areas", {}).values())
print(v.get(k, areas[0].get(k, "") if areas else ""))' "$2"
}

# spf6 DIR: "AGO_US DURATION_US REASON" from ospf6d's `show ipv6 ospf6
# json`: the time since area 0.0.0.0 last ran SPF, the last run's duration
# and what scheduled it (R+ router-LSA added, R- removed, L+ link-LSA ...).
spf6() {
    vtysh --vty_socket "$1" -c "show ipv6 ospf6 json" | python3 -c '
import json, sys
v = json.load(sys.stdin)
a = v.get("areas", {}).get("0.0.0.0", {})
ago = a.get("spfLastExecutedSecs", 0) * 1000000 + a.get("spfLastExecutedMicroSecs", 0)
print(ago, v.get("spfLastDurationSecs", 0) * 1000000 + v.get("spfLastDurationMsecs", 0),
      v.get("spfLastExecutedReason", "-") or "-")'
}

# routers6 DIR: how many distinct router-LSAs ospf6d holds.
routers6() {
    vtysh --vty_socket "$1" -c "show ipv6 ospf6 database json" | python3 -c '
import json, sys
v = json.load(sys.stdin)
print(len({l["advRouter"] for a in v.get("areaScopedLinkStateDb", []) for l in a.get("lsa", [])
           if l.get("type") == "Rtr"}))'
}

# stub_routes VER DIR: how many routes FRR has into the synthetic stubs
# (172.16.0.0/12 in OSPFv2, fd00::/16 in OSPFv3).
stub_routes() {
    local cmd="show ip ospf route json" pfx="172."
    [ "$1" = 2 ] || cmd="show ipv6 ospf6 route json" pfx="fd00:"
    vtysh --vty_socket "$2" -c "$cmd" | python3 -c '
import json, sys
v = json.load(sys.stdin)
v = v.get("routes", v)
print(sum(1 for p in v if p.startswith(sys.argv[1])))' "$pfx"
}

# stubs_reached VER DIR COUNT: whether FRR routes to COUNT synthetic stubs.
stubs_reached() { [ "$(stub_routes "$1" "$2")" -ge "$3" ]; }

run_one() {
    local ver=$1 n=$2 inj frr dir daemon
    lab_init "spfb$ver-$n"
    ns_add inj inj
    ns_add frr frr
    veth "$inj" eth0 "$frr" eth0
    ip -n "$inj" addr add 10.255.0.1/30 dev eth0
    ip -n "$frr" addr add 10.255.0.2/30 dev eth0
    dir="$LAB_DIR/frr"
    mkdir -p "$dir"
    if [ "$ver" = 2 ]; then
        daemon=ospfd
        cat >"$dir/ospfd.conf" <<CONF
hostname frr-spf
$( [ -z "${DEBUG_LOG:-}" ] || echo "debug ospf event" )
interface eth0
 ip ospf network point-to-point
!
router ospf
 ospf router-id 10.255.0.2
 timers throttle spf 0 100 1000
 network 10.255.0.0/30 area 0.0.0.0
!
CONF
    else
        daemon=ospf6d
        cat >"$dir/ospf6d.conf" <<CONF
hostname frr-spf6
$( [ -z "${DEBUG_LOG:-}" ] || echo "debug ospf6 spf time" )
interface eth0
 ipv6 ospf6 area 0.0.0.0
 ipv6 ospf6 network point-to-point
!
router ospf6
 ospf6 router-id 10.255.0.2
 timers throttle spf 0 100 1000
!
CONF
    fi
    frr_start "$frr" frr "$daemon"
    wait_for 10 "$daemon vty" test -S "$dir/$daemon.vty"

    ip netns exec "$inj" "$BIN" --inject-topology "$n" --ospf-version "$ver" --interface eth0 \
        --refresh "$REFRESH" >"$LAB_DIR/inject.out" 2>"$LAB_DIR/inject.log" &
    LAB_PIDS+=("$!")
    wait_for 600 "the injector Full with FRR" grep -q '"inject":"full"' "$LAB_DIR/inject.out"
    local nbr_cmd="show ip ospf neighbor"
    [ "$ver" = 2 ] || nbr_cmd="show ipv6 ospf6 neighbor"
    wait_for 600 "FRR Full with the injector" \
        sh -c "vtysh --vty_socket '$dir' -c '$nbr_cmd' | grep -q Full"
    local lsas
    if [ "$ver" = 2 ]; then
        lsas=$(vtysh_in frr "show ip ospf database router" | grep -c 'Link State ID' || true)
    else
        lsas=$(routers6 "$dir")
    fi
    # The first runs after Full can precede our router-LSA's link to FRR
    # (MinLSInterval), when FRR's tree stops at the root: measure from the
    # first run that reached every stub.
    wait_for 600 "FRR's routes to every synthetic stub" stubs_reached "$ver" "$dir" $((n * 3))
    log "OSPFv$ver N=$n: FRR holds $lsas router-LSAs; waiting for $RUNS SPF runs on the full database"
    local runs=() count c d i ago last_ago reason
    if [ "$ver" = 2 ]; then
        count=$(spf_field "$dir" spfExecutedCounter)
    else
        read -r last_ago _ _ <<<"$(spf6 "$dir")"
    fi
    for ((i = 0; i < (REFRESH * (RUNS + 2) + 60) * 5 && ${#runs[@]} < RUNS; i++)); do
        sleep 0.2
        if [ "$ver" = 2 ]; then
            c=$(spf_field "$dir" spfExecutedCounter)
            if [ "$c" != "$count" ]; then
                count=$c
                runs+=("$(spf_field "$dir" spfLastDurationMsecs)")
            fi
        else
            read -r ago d reason <<<"$(spf6 "$dir")"
            if [ "$ago" -lt "$last_ago" ]; then
                runs+=("$d")
                log "ospf6d SPF run: $d us, reason $reason"
            fi
            last_ago=$ago
        fi
    done
    [ ${#runs[@]} -ge "$RUNS" ] || die "only ${#runs[@]} SPF runs seen"
    local frr_med our ratio debug_us="" unit bench
    frr_med=$(printf '%s\n' "${runs[@]}" | median)
    if [ "$ver" = 2 ]; then
        unit=ms bench=full
        [ -z "${DEBUG_LOG:-}" ] ||
            debug_us=$(grep 'SPF Time:' "$dir/ospfd.log" | tail -n "$RUNS" | awk '{print $NF}' | median)
    else
        unit=us bench=full_v3
        [ -z "${DEBUG_LOG:-}" ] || debug_us=$(grep -o 'SPF runtime: [0-9]* sec [0-9]* usec' \
            "$dir/ospf6d.log" | tail -n "$RUNS" | awk '{print $3 * 1000000 + $5}' | median)
    fi
    our=$(ours "$bench" "$n")
    ratio=""
    # ospfd reports whole milliseconds: no ratio from a 0.
    if [ -n "$our" ] && [ "$frr_med" != 0 ]; then
        local scale=1
        [ "$unit" = us ] || scale=1000
        ratio=$(python3 -c "print('%.1f' % ($frr_med * $scale / $our))")
    fi
    printf '%s\n' "{\"ospf_version\": $ver, \"routers\": $n, \"frr_daemon\": \"$daemon\", \"frr_router_lsas\": $lsas, \"frr_spf_runs_$unit\": [$(IFS=,; echo "${runs[*]}")], \"frr_spf_median_$unit\": $frr_med, \"frr_debug_spf_time_us\": \"$debug_us\", \"ours_bench\": \"ospf_spf/$bench/$n\", \"ours_us\": \"$our\", \"frr_over_ours\": \"$ratio\"}"
    lab_cleanup
    trap - EXIT
}

for n in "${SIZES[@]}"; do
    for ver in "${VERS[@]}"; do
        case $ver in 2 | 3) ;; *) die "VERSIONS: $ver is not 2 or 3" ;; esac
        run_one "$ver" "$n"
    done
done
