#!/usr/bin/env bash
# Capture OSPFv2 Hellos signed by BIRD with each cryptographic algorithm
# (keyed MD5, HMAC-SHA-1/256/384/512), one veth per algorithm, in two
# network namespaces that are removed on exit. Run as root in an empty
# directory; writes caps.pcap. Key of algorithm A with Key ID N: "key-A".
set -u
NS_A=owauth-a; NS_B=owauth-b
cleanup() {
  [ -f bird.pid ] && kill "$(cat bird.pid)" 2>/dev/null
  [ -f tcpdump.pid ] && kill "$(cat tcpdump.pid)" 2>/dev/null
  sleep 0.5
  ip netns del $NS_A 2>/dev/null; ip netns del $NS_B 2>/dev/null
}
trap cleanup EXIT
ip netns add $NS_A; ip netns add $NS_B
algos="keyed-md5 hmac-sha1 hmac-sha256 hmac-sha384 hmac-sha512"
i=0
for a in $algos; do
  i=$((i+1))
  ip link add a$i netns $NS_A type veth peer name b$i netns $NS_B
  ip -n $NS_A addr add 10.9.$i.1/24 dev a$i; ip -n $NS_A link set a$i up
  ip -n $NS_B link set b$i up
done
ip -n $NS_A link set lo up
{
  echo 'router id 10.9.0.1;'
  echo 'protocol device {}'
  echo 'protocol ospf v2 o { area 0.0.0.2 {'
  i=0
  for a in $algos; do
    i=$((i+1))
    alg=$(echo $a | sed 's/-/ /')
    echo "  interface \"a$i\" { hello 1; authentication cryptographic; password \"key-$a\" { id $i; algorithm $alg; }; };"
  done
  echo '}; }'
} > bird.conf
cat bird.conf
ip netns exec $NS_B sh -c 'tcpdump -i any -w caps.pcap -U ip proto 89 >/dev/null 2>&1 & echo $! > tcpdump.pid'
sleep 1
ip netns exec $NS_A bird -c bird.conf -s bird.ctl -P bird.pid
sleep 4
