#!/bin/sh
# Kernel bandwidth shaping for `edgstr bench` (DESIGN.md §5: no tc netem here, but tc htb works
# inside network namespaces). Creates two namespaces joined by a veth pair, with a private /30
# that exists ONLY inside them (nothing is added to the host's interfaces or routes), and shapes
# each direction of the veth to RATE bytes/s with an htb class. Delay and loss stay in the
# user-space proxy (src/bench/wan-proxy.ts); processes cross the link through relays that
# `edgstr bench` starts with `ip netns exec` (see src/bench/netns-link.ts).
#
#   wan-netns.sh up RATE [NAME]   create NAME-c / NAME-s (default NAME: edgstr-wan), RATE in bytes/s
#   wan-netns.sh down [NAME]      delete both namespaces (and with them the veth pair)
#   wan-netns.sh status [NAME]    show addresses and qdisc counters
#   wan-netns.sh check            exit 0 when this machine can do it (root, ip, tc, netns)
#
# Addresses: NAME-c has 10.213.47.1/30 on veth "wanc", NAME-s has 10.213.47.2/30 on "wans".
# Every pair uses the same /30: namespaces do not share routing tables, so pairs cannot clash.
set -eu

NAME=${EDGSTR_WAN_NAME:-edgstr-wan}
C_ADDR=10.213.47.1
S_ADDR=10.213.47.2

die() { echo "wan-netns.sh: $*" >&2; exit 1; }

check() {
  [ "$(id -u)" = 0 ] || die "needs root (bench falls back to the user-space proxy)"
  command -v ip >/dev/null 2>&1 || die "'ip' (iproute2) not found"
  command -v tc >/dev/null 2>&1 || die "'tc' (iproute2) not found"
  ip netns list >/dev/null 2>&1 || die "'ip netns' is not available"
}

# shape NS DEV RATE: htb root with one class at RATE bytes/s. htb (not tbf) because veth hands
# over GSO super-packets of up to 64 KB, which tbf drops when they exceed its bucket; GSO/TSO are
# also switched off so the link sees wire-sized packets and the pacing is smooth.
shape() {
  bits=$(( $3 * 8 ))
  # The bucket must hold what the link sends between two timer ticks, or htb cannot reach the
  # rate (measured: 3000 bytes capped a 5 MB/s link at 1 MB/s). 20 ms of data, at least 3000 bytes.
  burst=$(( $3 / 50 ))
  [ "$burst" -ge 3000 ] || burst=3000
  ip -n "$1" link set dev "$2" gso_max_size 1500 2>/dev/null || true
  tc -n "$1" qdisc add dev "$2" root handle 1: htb default 10
  tc -n "$1" class add dev "$2" parent 1: classid 1:10 htb rate "${bits}bit" ceil "${bits}bit" burst "$burst" cburst "$burst"
}

up() {
  rate=$1
  case "$rate" in ''|*[!0-9]*) die "RATE must be a whole number of bytes per second, got '$rate'";; esac
  [ "$rate" -ge 1000 ] || die "RATE must be at least 1000 bytes/s"
  check
  down 2>/dev/null || true
  ip netns add "$NAME-c"
  ip netns add "$NAME-s"
  ip link add name wanc netns "$NAME-c" type veth peer name wans netns "$NAME-s"
  ip -n "$NAME-c" addr add "$C_ADDR/30" dev wanc
  ip -n "$NAME-s" addr add "$S_ADDR/30" dev wans
  for ns in "$NAME-c" "$NAME-s"; do ip -n "$ns" link set lo up; done
  ip -n "$NAME-c" link set wanc up
  ip -n "$NAME-s" link set wans up
  shape "$NAME-c" wanc "$rate"
  shape "$NAME-s" wans "$rate"
  echo "$NAME-c $C_ADDR $NAME-s $S_ADDR"
}

down() {
  found=0
  for ns in "$NAME-c" "$NAME-s"; do
    if ip netns list | grep -qw "^$ns"; then ip netns del "$ns"; found=1; fi
  done
  [ $found = 1 ] || return 1
}

status() {
  for ns in "$NAME-c" "$NAME-s"; do
    echo "== $ns"; ip -n "$ns" -br addr; tc -n "$ns" -s qdisc show
  done
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  up) [ $# -ge 1 ] || die "usage: wan-netns.sh up RATE [NAME]"; [ $# -ge 2 ] && NAME=$2; up "$1" ;;
  down) [ $# -ge 1 ] && NAME=$1; down || true ;;
  status) [ $# -ge 1 ] && NAME=$1; status ;;
  check) check ;;
  *) die "usage: wan-netns.sh up RATE [NAME] | down [NAME] | status [NAME] | check" ;;
esac
