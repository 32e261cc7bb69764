#!/usr/bin/env bash
# A multi-host testbed for deploy.sh (issue 13), made of network namespaces on one machine:
#
#   <p>-lan     a bridge: the site's LAN, joining every host
#   <p>-cloud   10.231.0.1    the cloud host; its link to the LAN is shaped with kernel htb
#   <p>-e1..eN  10.231.0.11.. edge hosts ("Pis"): a real sshd each, in its own mount and UTS
#               namespace: hostname pi-<i>-name, and private /etc, /opt, /var/lib (overlays on the
#               machine's, so node, rsync and useradd work and what deploy.sh writes stays there)
#   <p>-op      10.231.0.200  the operator's machine, from which deploy.sh runs over ssh
#   <p>-client  10.231.0.100  where the clients run
#
# No namespace has a route to the machine's networks. Where systemd cannot run, the edge hosts
# get two stand-ins in /usr/local/sbin: `sudo` (runs its command: the ssh user is root) and
# `systemctl` (systemctl-standin.mjs: runs a unit's ExecStart with its User, WorkingDirectory,
# Environment and EnvironmentFile).
#
#   testbed.sh up PREFIX DIR RATE NAME...   hosts named NAME (one per edge), link RATE bytes/s
#   testbed.sh down PREFIX DIR
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
die() { echo "testbed: $*" >&2; exit 1; }

ns_up() { # ns address
  ip netns add "$1"
  ip -n "$1" link set lo up
  ip link add "${1}-v" type veth peer name "${1}-b"
  ip link set "${1}-v" netns "$1"
  ip link set "${1}-b" netns "$lan"
  ip -n "$1" addr add "$2/24" dev "${1}-v"
  ip -n "$1" link set "${1}-v" up
  ip -n "$lan" link set "${1}-b" master br0 up
}

shape() { # ns dev bytes/s (as scripts/wan-netns.sh: htb, bucket for the timer tick)
  local bits=$(($3 * 8)) burst=$(($3 / 100 > 16000 ? $3 / 100 : 16000))
  tc -n "$1" qdisc add dev "$2" root handle 1: htb default 10
  tc -n "$1" class add dev "$2" parent 1: classid 1:10 htb rate "${bits}bit" ceil "${bits}bit" burst "$burst" cburst "$burst"
}

up() {
  local prefix="$1" dir="$2" rate="$3"
  shift 3
  lan="$prefix-lan"
  for tool in ip tc sshd rsync ssh-keygen unshare setpriv useradd; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || die "'$tool' not found (apt-get install openssh-server rsync iproute2)"
  done
  mkdir -p "$dir/keys" /run/sshd
  ip netns add "$lan"
  ip -n "$lan" link add br0 type bridge
  ip -n "$lan" link set br0 up
  ns_up "$prefix-cloud" 10.231.0.1
  shape "$prefix-cloud" "$prefix-cloud-v" "$rate"
  shape "$lan" "$prefix-cloud-b" "$rate"
  ns_up "$prefix-op" 10.231.0.200
  ns_up "$prefix-client" 10.231.0.100

  ssh-keygen -q -t ed25519 -N '' -f "$dir/keys/operator" <<< y >/dev/null
  ssh-keygen -q -t ed25519 -N '' -f "$dir/keys/host" <<< y >/dev/null
  cp "$dir/keys/operator.pub" "$dir/keys/authorized_keys"
  cat > "$dir/ssh_config" <<EOF
Host *
  User root
  IdentityFile $dir/keys/operator
  IdentitiesOnly yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  LogLevel ERROR
  BatchMode yes
EOF
  mkdir -p "$dir/sbin"
  printf '#!/bin/sh\n# testbed stand-in: the ssh user is root\nexec "$@"\n' > "$dir/sbin/sudo"
  printf '#!/bin/sh\nexec %s %s "$@"\n' "$(command -v node)" "$here/systemctl-standin.mjs" > "$dir/sbin/systemctl"
  chmod 755 "$dir/sbin/sudo" "$dir/sbin/systemctl"

  local i=0
  for name in "$@"; do
    i=$((i + 1))
    local ns="$prefix-e$i" host="$dir/hosts/$name"
    ns_up "$ns" "10.231.0.$((10 + i))"
    for d in etc opt var-lib; do mkdir -p "$host/upper-$d" "$host/work-$d"; done
    cat > "$host/sshd_config" <<EOF
ListenAddress 10.231.0.$((10 + i)):22
HostKey $dir/keys/host
AuthorizedKeysFile $dir/keys/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile none
EOF
    # The host's own view of the file system, then its sshd (its sessions inherit the view).
    ip netns exec "$ns" unshare --mount --uts --propagation private -- sh -c "
      hostname '$name'
      mount -t overlay overlay -o lowerdir=/etc,upperdir='$host/upper-etc',workdir='$host/work-etc' /etc
      mount -t overlay overlay -o lowerdir=/opt,upperdir='$host/upper-opt',workdir='$host/work-opt' /opt
      mount -t overlay overlay -o lowerdir=/var/lib,upperdir='$host/upper-var-lib',workdir='$host/work-var-lib' /var/lib
      mount --bind '$dir/sbin' /usr/local/sbin
      exec /usr/sbin/sshd -D -e -f '$host/sshd_config'
    " > "$host/sshd.log" 2>&1 &
    echo $! > "$host/sshd.pid"
  done
  # Wait for every sshd to accept connections.
  for n in $(seq 1 "$i"); do
    for _ in $(seq 1 50); do
      ip netns exec "$prefix-op" ssh -F "$dir/ssh_config" "10.231.0.$((10 + n))" true 2>/dev/null && continue 2
      sleep 0.2
    done
    die "sshd on 10.231.0.$((10 + n)) did not answer: $(cat "$dir"/hosts/*/sshd.log)"
  done
}

down() {
  local prefix="$1"
  for ns in $(ip netns list | awk '{print $1}' | grep "^$prefix-" || true); do
    # Only processes inside the testbed's own namespaces.
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null || true; done
  done
  sleep 0.5
  for ns in $(ip netns list | awk '{print $1}' | grep "^$prefix-" || true); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
}

case "${1:-}" in
  up) shift; [ "$#" -ge 4 ] || die "usage: testbed.sh up PREFIX DIR RATE NAME..."; up "$@" ;;
  down) shift; [ "$#" -ge 1 ] || die "usage: testbed.sh down PREFIX"; down "$1" ;;
  *) die "usage: testbed.sh up PREFIX DIR RATE NAME... | down PREFIX" ;;
esac
