#!/usr/bin/env bash
# FRR ospfd's SPF duration on the synthetic area of our SPF benchmark
# (benches/ospf_spf.rs: a ring plus one random chord per router, costs 1-20,
# three /24 stubs each, seed 0x5eed), and the ratio to our full SPF.
#
# Usage: scripts/lab/frr-spf-bench.sh [N...]        (default: 1000 10000)
# Needs root, iproute2, ethtool, frr, cargo.
#
# How: `ospf-router --inject-topology N` runs our engine on one
# point-to-point interface with the N router-LSAs injected into its database
# (its router-LSA links to synthetic router 0, and router 0's back to it);
# the adjacency with FRR hands them over by database exchange. Every REFRESH
# seconds it injects a newer instance of router 0's LSA (one stub cost
# toggled), which the engine floods, so FRR runs SPF over the complete
# database (N + 2 routers). After each run the script reads FRR's own
# figure, `spfLastDurationMsecs` of `show ip ospf json` (the whole route
# calculation, milliseconds), and reports the median of RUNS runs.
#
# FRR's microsecond log lines ("SPF Processing Time(usecs)", "SPF Time")
# need `debug ospf event`, which also logs every vertex created inside the
# SPF and so inflates the very time it reports (at 10,000 routers: about
# 850 ms logged with it against the undebugged figure below); they are not
# used. DEBUG_LOG=1 turns them on anyway and prints them.
#
# Our figure comes from criterion's estimates of `ospf_spf/full/N` in
# $CARGO_TARGET_DIR/criterion (run `cargo bench -p benches --bench ospf_spf`
# first); without them only FRR's figures are printed.

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=scripts/lab/lib.sh
. "$here/lib.sh"

SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000 10000)
REFRESH=${REFRESH:-3}
RUNS=${RUNS:-5}
TARGET=${CARGO_TARGET_DIR:-$root/target}

log "building ospf-router"
(cd "$root" && cargo build --release -q -p ospf-router)
BIN="$TARGET/release/ospf-router"
[ -x "$BIN" ] || die "no $BIN"

median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print ""}'; }

# ours N: our full SPF at N routers in microseconds (criterion point
# estimate of the mean), or empty.
ours() {
    local f="$TARGET/criterion/ospf_spf/full/$1/new/estimates.json"
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

run_one() {
    local n=$1 inj frr dir
    lab_init "spfb$n"
    ns_add inj inj
    ns_add frr frr
    veth "$inj" eth0 "$frr" eth0
    ip -n "$inj" addr add 10.255.0.1/30 dev eth0
    ip -n "$frr" addr add 10.255.0.2/30 dev eth0
    dir="$LAB_DIR/frr"
    mkdir -p "$dir"
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
    frr_start "$frr" frr ospfd
    wait_for 10 "ospfd vty" test -S "$dir/ospfd.vty"

    ip netns exec "$inj" "$BIN" --inject-topology "$n" --interface eth0 --refresh "$REFRESH" \
        >"$LAB_DIR/inject.out" 2>"$LAB_DIR/inject.log" &
    LAB_PIDS+=("$!")
    wait_for 600 "the injector Full with FRR" grep -q '"inject":"full"' "$LAB_DIR/inject.out"
    wait_for 600 "FRR Full with the injector" \
        sh -c "vtysh --vty_socket '$dir' -c 'show ip ospf neighbor' | grep -q Full"
    local lsas
    lsas=$(vtysh_in frr "show ip ospf database router" | grep -c 'Link State ID' || true)
    log "N=$n: FRR holds $lsas router-LSAs; waiting for $RUNS SPF runs on the full database"
    local runs=() count last c d i
    count=$(spf_field "$dir" spfExecutedCounter)
    for ((i = 0; i < (REFRESH * (RUNS + 2) + 60) * 5 && ${#runs[@]} < RUNS; i++)); do
        sleep 0.2
        c=$(spf_field "$dir" spfExecutedCounter)
        if [ "$c" != "$count" ]; then
            count=$c
            d=$(spf_field "$dir" spfLastDurationMsecs)
            runs+=("$d")
        fi
    done
    [ ${#runs[@]} -ge "$RUNS" ] || die "only ${#runs[@]} SPF runs seen"
    local frr_ms our ratio debug_us=""
    frr_ms=$(printf '%s\n' "${runs[@]}" | median)
    if [ -n "${DEBUG_LOG:-}" ]; then
        debug_us=$(grep 'SPF Time:' "$dir/ospfd.log" | tail -n "$RUNS" | awk '{print $NF}' | median)
    fi
    our=$(ours "$n")
    ratio=""
    # FRR reports whole milliseconds: no ratio from a 0.
    if [ -n "$our" ] && [ "$frr_ms" != 0 ]; then
        ratio=$(python3 -c "print('%.1f' % ($frr_ms * 1000 / $our))")
    fi
    printf '%s\n' "{\"routers\": $n, \"frr_router_lsas\": $lsas, \"frr_spf_runs_ms\": [$(IFS=,; echo "${runs[*]}")], \"frr_spf_median_ms\": $frr_ms, \"frr_debug_spf_time_us\": \"$debug_us\", \"ours_full_spf_us\": \"$our\", \"frr_over_ours\": \"$ratio\"}"
    lab_cleanup
    trap - EXIT
}

for n in "${SIZES[@]}"; do
    run_one "$n"
done
