#!/usr/bin/env bash
# scripts/cluster.sh, checked: hosts are isolated as real hosts are (hostname, IPC, /dev/shm,
# TMPDIR, addresses, no route out), TCP works between them, a rate limit caps what a link carries,
# kill and link act on one host only, mpirun places ranks on every host, and `down` / `with`
# leave nothing behind (also after a failure, a timeout or SIGTERM).
# Usage: cluster_script_test.sh PATH/TO/cluster.sh   (exit 77: namespaces unavailable, skipped)
set -euo pipefail
cluster="${1:?usage: cluster_script_test.sh PATH/TO/cluster.sh}"
export RONDE_CLUSTER="t$$"
RONDE_CLUSTER="${RONDE_CLUSTER:0:8}"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
check() { local what="$1"; shift; if "$@"; then echo "ok: $what"; else fail "$what"; fi; }
on() { "$cluster" exec "$1" -- "${@:2}"; }

# Nothing of this cluster may remain, whatever happens below.
trap '"$cluster" down >/dev/null 2>&1 || true' EXIT

# Throughput (bytes per second) of 24 MB sent from host $1 to host $2 over TCP.
throughput() {
  local from="$1" to="$2" address port=7311
  address=$("$cluster" addr "$to")
  "$cluster" spawn "$to" /dev/null -- python3 -c "
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('$address', $port)); s.listen(1); c, _ = s.accept()
while c.recv(1 << 20): pass
c.close()" >/dev/null
  on "$from" python3 -c "
import socket, time
for attempt in range(100):
    try:
        c = socket.create_connection(('$address', $port), timeout=5); break
    except OSError: time.sleep(0.05)
data = bytes(1 << 20); start = time.monotonic()
for _ in range(24): c.sendall(data)
c.shutdown(socket.SHUT_WR); c.recv(1); print(int(24 * (1 << 20) / (time.monotonic() - start)))"
}

"$cluster" up 2 --slots 2 --rate 200mbit >/dev/null || exit $?   # 77 passes through: skipped

# ---- isolation ----------------------------------------------------------------------------------
check "each host has its own hostname" test "$(on h1 hostname)-$(on h2 hostname)" = "h1-h2"
check "hosts resolve each other's names" test "$(on h1 getent hosts h2 | awk '{print $1}')" = "$("$cluster" addr h2)"
check "each host has its own IPC namespace" \
  test "$(on h1 readlink /proc/self/ns/ipc)" != "$(on h2 readlink /proc/self/ns/ipc)"
on h1 sh -c 'echo one > /dev/shm/ronde-cluster-test'
check "processes of one host share its /dev/shm" test "$(on h1 cat /dev/shm/ronde-cluster-test)" = one
check "another host does not see it" test -z "$(on h2 ls /dev/shm)"
check "the machine itself does not see it" test ! -e /dev/shm/ronde-cluster-test
check "each host has its own TMPDIR" test "$(on h1 sh -c 'echo $TMPDIR')" != "$(on h2 sh -c 'echo $TMPDIR')"
check "no route leaves the cluster's subnet" test -z "$(on h1 ip route show default)"
check "only lo and eth0 in a host" test "$(on h1 ls /sys/class/net | sort | tr '\n' ' ')" = "eth0 lo "

# ---- rate limit and live changes ------------------------------------------------------------------
limited=$(throughput h1 h2)
check "200mbit caps a transfer at the rate (measured $limited B/s)" test "$limited" -lt 27500000
"$cluster" rate none >/dev/null
unlimited=$(throughput h1 h2)
check "rate none lifts the cap (measured $unlimited B/s)" test "$unlimited" -gt 50000000
check "status lists every host" test "$("$cluster" status | grep -cE '^h[12] ')" -eq 2

# ---- mpirun across hosts ----------------------------------------------------------------------------
placement=$(RONDE_CLUSTER_QUIET=1 "$cluster" mpirun sh -c 'echo "$OMPI_COMM_WORLD_RANK $(hostname)"' | sort | tr '\n' ' ')
check "mpirun places ranks 0,1 on h1 and 2,3 on h2 ($placement)" test "$placement" = "0 h1 1 h1 2 h2 3 h2 "

# ---- kill and link act on one host ------------------------------------------------------------------
sleeper="sleep 30$$"   # a command line no other process on this machine has
"$cluster" spawn h1 /dev/null -- $sleeper >/dev/null
"$cluster" spawn h2 /dev/null -- $sleeper >/dev/null
sleep 0.3
"$cluster" kill h2 2>/dev/null
sleep 0.3
check "kill stops what runs on that host" test "$("$cluster" status | awk '$1 == "h2" {print $4}')" = 0
check "and nothing on another host" test "$("$cluster" status | awk '$1 == "h1" {print $4}')" -ge 1
"$cluster" link h2 down 2>/dev/null
check "a host whose link is down cannot be reached" \
  on h1 python3 -c "import socket,sys; s=socket.socket(); s.settimeout(1)
try: s.connect(('$("$cluster" addr h2)', 9)); sys.exit(1)
except (socket.timeout, OSError) as e: sys.exit(0 if 'refused' not in str(e) else 1)"
"$cluster" link h2 up 2>/dev/null

# ---- down removes everything ------------------------------------------------------------------------
"$cluster" down 2>/dev/null
check "down removes the namespaces" test -z "$(ip netns list | grep "^$RONDE_CLUSTER-")"
check "down removes the links and the bridge" test -z "$(ip -o link show | grep -E ": $RONDE_CLUSTER-")"
check "down removes /etc/netns entries and state" test ! -e "/etc/netns/$RONDE_CLUSTER-h1" -a ! -e "/run/ronde-cluster/$RONDE_CLUSTER"
check "down stops every process it started" test -z "$(pgrep -f -x "$sleeper" || true)"

# ---- with: the command's status, and clean-up on failure, timeout and SIGTERM ----------------------
# Each command below writes the name `with` gave its cluster, so that only that cluster is looked
# for (other clusters may exist on the machine).
names=$(mktemp)
trap '"$cluster" down >/dev/null 2>&1 || true; rm -f "$names"' EXIT
leftovers() { local name; name=$(tail -1 "$names"); [ -n "$name" ] && ip netns list | grep -E "^$name-h" || true; }
status=0; "$cluster" with 2 -- sh -c "echo \$RONDE_CLUSTER >> $names; exit 3" 2>/dev/null || status=$?
check "with returns the command's status (3, got $status)" test "$status" = 3
check "and removes its cluster after a failure" test -z "$(leftovers)"
status=0; "$cluster" with 1 --timeout 2 -- sh -c "echo \$RONDE_CLUSTER >> $names; exec sleep 60" 2>/dev/null || status=$?
check "with stops a command at its timeout (124, got $status)" test "$status" = 124
check "and removes its cluster" test -z "$(leftovers)"
"$cluster" with 2 -- sh -c "echo \$RONDE_CLUSTER >> $names; exec sleep 60" 2>/dev/null & with_pid=$!
for _ in $(seq 50); do [[ -n "$(leftovers)" ]] && break; sleep 0.1; done
kill -TERM "$with_pid"; status=0; wait "$with_pid" || status=$?
check "with ends on SIGTERM (143, got $status)" test "$status" = 143
check "and removes its cluster" test -z "$(leftovers)"

if ((failures)); then echo "$failures check(s) failed" >&2; exit 1; fi
echo "all checks passed"
