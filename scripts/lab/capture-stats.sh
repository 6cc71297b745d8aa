#!/usr/bin/env bash
# Summarise BGP captures with tshark: messages per type and prefixes
# announced/withdrawn per direction, and fail if tshark finds anything
# malformed or an error-level expert item.
# Usage: scripts/lab/capture-stats.sh FILE.pcap...
set -euo pipefail

count() { tr ',' '\n' | grep -c . || true; }

for f in "$@"; do
    echo "== $(basename "$f") ($(stat -c %s "$f") bytes)"
    bad=$(tshark -r "$f" -Y '_ws.malformed || _ws.expert.severity==error' 2>/dev/null | wc -l)
    echo "malformed or error frames: $bad"
    tshark -r "$f" -T fields -e bgp.type 2>/dev/null | tr ',' '\n' | grep . | sort -n | uniq -c |
        awk 'BEGIN { n[1]="OPEN"; n[2]="UPDATE"; n[3]="NOTIFICATION"; n[4]="KEEPALIVE"; n[5]="ROUTE-REFRESH" }
             { printf "  %-13s %d\n", n[$2], $1 }'
    for src in $(tshark -r "$f" -Y bgp -T fields -e ip.src -e ipv6.src 2>/dev/null | tr -d '\t' | sort -u); do
        case $src in
        *:*) flt="bgp && ipv6.src==$src" ;;
        *) flt="bgp && ip.src==$src" ;;
        esac
        ann=$(tshark -r "$f" -Y "$flt" -T fields -e bgp.nlri_prefix -e bgp.mp_reach_nlri_ipv4_prefix \
            -e bgp.mp_reach_nlri_ipv6_prefix 2>/dev/null | tr '\t' ',' | count)
        wd=$(tshark -r "$f" -Y "$flt" -T fields -e bgp.withdrawn_prefix -e bgp.mp_unreach_nlri_ipv4_prefix \
            -e bgp.mp_unreach_nlri_ipv6_prefix 2>/dev/null | tr '\t' ',' | count)
        echo "  from $src: $ann prefixes announced, $wd withdrawn"
    done
    [ "$bad" -eq 0 ] || exit 1
done
