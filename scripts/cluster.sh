#!/usr/bin/env bash
# scripts/cluster.sh — an emulated cluster of hosts on one Linux machine, for running ronde the way
# it runs across real hosts: each host is a network namespace with its own hostname, IPC namespace,
# /dev/shm and TMPDIR, joined to the others only by TCP over a veth into one bridge, optionally
# rate-limited to a full-duplex NIC speed. Open MPI launches its daemons into the hosts through this
# script (an rsh agent), so `mpirun` runs ranks on them as it would over ssh. docs/CLUSTER.md is the
# guide; `cluster.sh help` prints the commands.
#
# State lives in /run/ronde-cluster/NAME/ (NAME: $RONDE_CLUSTER, default "ronde"). Everything a
# cluster creates is named after NAME and removed by `down`: the bridge NAME-br, the veths NAME-hI,
# the namespaces NAME-hI, /etc/netns/NAME-hI/, the per-host TMPDIRs under /tmp/ronde-cluster/NAME/,
# and every process that runs inside its namespaces (nothing outside them is ever signalled).
# Addresses come from one free 10.213.X.0/24 that lives on the bridge only; the bridge has .1, host
# hI has .(I+1). No route leads anywhere else.
set -euo pipefail

SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
STATE_ROOT=/run/ronde-cluster
TMP_ROOT=/tmp/ronde-cluster
NAME="${RONDE_CLUSTER:-ronde}"
SKIP_CODE=77   # CTest's SKIP_RETURN_CODE: the cluster cannot exist on this machine

usage() {
  cat <<'USAGE'
usage: scripts/cluster.sh COMMAND [ARGS]

An emulated cluster on this machine: N hosts (network namespaces with their own hostname, IPC,
/dev/shm and TMPDIR) on one bridge, TCP only between hosts, optional per-host rate limit.

commands:
  up N [--slots K] [--rate R] [--private DIR]...
                                create hosts h1..hN with K MPI slots each (default 1), each
                                link limited to R in both directions (tc rate: 10gbit, 2gbit,
                                500mbit; default: unlimited); each DIR (absolute) becomes a
                                directory of each host's own, like a local disk (/opt/ml)
  down                          remove the cluster: its processes, namespaces, links, files
  mpirun [MPIRUN ARGS...]       run mpirun across the hosts with the settings a multi-host TCP
                                job needs (printed on stderr); -np defaults to hosts x slots;
                                --host h3,h4 limits it to some hosts;
                                RONDE_*, AWS_*, GRPC_*, GTEST_* and sanitizer variables are
                                forwarded to the ranks
  exec HOST -- CMD...           run CMD on HOST (h1, h2, ...) and return its status
  spawn HOST LOG -- CMD...      start CMD on HOST in the background (output to LOG); prints its pid
  kill HOST [SIGNAL] [PATTERN]  send SIGNAL (default KILL) to every process running on HOST, or
                                only to those whose command line contains PATTERN
  link HOST up|down             bring HOST's network link up or down (a lost host)
  rate R|none                   change every host's rate limit now
  addr [HOST|bridge]            print an address (default: every host's "name address")
  private HOST DIR              print where HOST's own DIR (an `up --private` directory) lies
                                on the machine, for copying files in or out
  status                        hosts, addresses, qdiscs and bytes through each host's link
  with N [--slots K] [--rate R] [--timeout S] -- CMD...
                                up, run CMD (timeout S seconds, default 900), down; also when
                                CMD fails or this script gets SIGINT/SIGTERM. CMD sees
                                RONDE_CLUSTER and RONDE_CLUSTER_SH, so nested calls of this
                                script reach the same cluster. Exit status: CMD's (124 on timeout)
  help                          this text

environment:
  RONDE_CLUSTER   the cluster's name (default "ronde"; at most 8 of [a-z0-9]); `with` picks a
                  fresh name of its own, so clusters of concurrent tests never meet

Needs root (network namespaces). Where namespaces cannot be created this script prints one line
saying why and exits 77, which the project's tests report as "skipped".
USAGE
}

die() { echo "cluster.sh: $*" >&2; exit 1; }
say() { echo "cluster.sh: $*" >&2; }

state_dir() { echo "$STATE_ROOT/$NAME"; }
require_up() { [[ -f "$(state_dir)/hosts" ]] || die "cluster '$NAME' is not up (run: cluster.sh up N)"; }
host_count() { wc -l < "$(state_dir)/hosts"; }
netns_of() { echo "$NAME-$1"; }          # h3 -> ronde-h3
veth_of() { echo "$NAME-$1"; }           # root-side end of h3's link

# Prints "hI" for a host given as hI or by its address; fails otherwise.
resolve_host() {
  local given="$1" name address
  while read -r name address _; do
    if [[ "$given" == "$name" || "$given" == "$address" ]]; then echo "$name"; return 0; fi
  done < "$(state_dir)/hosts"
  die "no host '$given' in cluster '$NAME' (hosts: $(cut -d' ' -f1 "$(state_dir)/hosts" | tr '\n' ' '))"
}

holder_pid() { cat "$(state_dir)/$1.holder"; }

# Namespaces are the one thing this script cannot do without: test for them once, say why not.
check_capable() {
  local probe="ronde-probe-$$"
  if ! command -v ip >/dev/null || ! command -v nsenter >/dev/null || ! command -v unshare >/dev/null; then
    echo "cluster.sh: skipped: needs ip (iproute2), nsenter and unshare (util-linux)" >&2
    exit "$SKIP_CODE"
  fi
  if ! ip netns add "$probe" 2>/dev/null; then
    echo "cluster.sh: skipped: cannot create network namespaces here (needs root and CAP_SYS_ADMIN)" >&2
    exit "$SKIP_CODE"
  fi
  ip netns del "$probe"
}

check_name() {
  [[ "$NAME" =~ ^[a-z0-9]{1,8}$ ]] || die "RONDE_CLUSTER='${NAME:0:40}' must be 1-8 characters of [a-z0-9]"
}

# tbf burst: at least 128 KiB (one GSO packet is up to 64 KiB; less throttles below the rate) and
# 0.2 ms of the rate (more lets a small message cross an idle link at full speed).
burst_for_rate() {
  local bits
  bits=$(rate_bits "$1")
  local burst=$((bits / 8 / 5000))
  (( burst < 131072 )) && burst=131072
  echo "$burst"
}

# "10gbit" -> 10000000000; accepts bit, kbit, mbit, gbit (tc's decimal units).
rate_bits() {
  local rate="${1,,}" number unit
  [[ "$rate" =~ ^([0-9]+)(bit|kbit|mbit|gbit)$ ]] || die "rate '${1:0:40}' is not a number followed by bit, kbit, mbit or gbit"
  number="${BASH_REMATCH[1]}"; unit="${BASH_REMATCH[2]}"
  case "$unit" in
    bit) echo "$number" ;; kbit) echo $((number * 1000)) ;;
    mbit) echo $((number * 1000000)) ;; gbit) echo $((number * 1000000000)) ;;
  esac
}

# Applies (or with "none" removes) the limit on both ends of one host's link: the root-side veth's
# egress is the host's ingress, eth0's egress inside the namespace is its egress.
apply_rate() {
  local host="$1" rate="$2" ns veth
  ns=$(netns_of "$host"); veth=$(veth_of "$host")
  if [[ "$rate" == none ]]; then
    tc qdisc del dev "$veth" root 2>/dev/null || true
    ip netns exec "$ns" tc qdisc del dev eth0 root 2>/dev/null || true
    return
  fi
  local burst; burst=$(burst_for_rate "$rate")
  tc qdisc replace dev "$veth" root tbf rate "$rate" burst "$burst" latency 50ms
  ip netns exec "$ns" tc qdisc replace dev eth0 root tbf rate "$rate" burst "$burst" latency 50ms
}

# The first 10.213.X.0/24 that no interface on this machine and no other cluster uses.
free_subnet_index() {
  local index used
  used=$(ip -4 -o addr show 2>/dev/null | awk '{print $4}'; cat "$STATE_ROOT"/*/subnet 2>/dev/null || true)
  for index in $(seq 1 254); do
    grep -q "^10\.213\.$index\." <<<"$used" || { echo "$index"; return 0; }
  done
  die "no free 10.213.X.0/24 subnet left for a new cluster"
}

cmd_up() {
  local count="" slots=1 rate=none
  local -a private=()
  while (($#)); do
    case "$1" in
      --slots) slots="${2:-}"; shift 2 ;;
      --rate) rate="${2:-}"; shift 2 ;;
      --private) [[ "${2:-}" =~ ^/[A-Za-z0-9._/-]+$ && "${2:-}" != / ]] ||
                   die "up: --private '${2:0:40}' must be an absolute path of [A-Za-z0-9._/-]"
                 private+=("${2%/}"); shift 2 ;;
      -*) die "up: unknown option '${1:0:40}'" ;;
      *) [[ -z "$count" ]] || die "up: one host count only"; count="$1"; shift ;;
    esac
  done
  [[ "$count" =~ ^[1-9][0-9]?$ ]] || die "up: host count '${count:0:40}' must be 1..99"
  [[ "$slots" =~ ^[1-9][0-9]?$ ]] || die "up: --slots '${slots:0:40}' must be 1..99"
  [[ "$rate" == none ]] || rate_bits "$rate" >/dev/null
  check_name
  check_capable
  mkdir -p "$STATE_ROOT"
  local state; state=$(state_dir)
  exec 9>"$STATE_ROOT/.lock"
  flock 9
  [[ ! -e "$state" ]] || die "cluster '$NAME' is already up (or left over: run 'cluster.sh down')"
  local index; index=$(free_subnet_index)
  mkdir -p "$state"
  echo "10.213.$index.0/24" > "$state/subnet"
  flock -u 9
  echo "$slots" > "$state/slots"
  echo "$rate" > "$state/rate"
  : > "$state/hosts"
  # Private directories: record the ones this cluster creates on the machine (as mount points),
  # so that `down` removes exactly those.
  : > "$state/private"
  local dir
  for dir in "${private[@]}"; do
    if [[ -e "$dir" ]]; then echo "$dir keep" >> "$state/private"; else echo "$dir created" >> "$state/private"; fi
    mkdir -p "$dir"
  done
  # From here on a failure must not leave half a cluster behind.
  trap 'say "up failed; removing what was created"; cmd_down >/dev/null 2>&1 || true' ERR

  local bridge="$NAME-br" prefix="10.213.$index"
  ip link add "$bridge" type bridge
  ip addr add "$prefix.1/24" dev "$bridge"
  ip link set "$bridge" up
  local i host ns veth address
  for ((i = 1; i <= count; i++)); do
    host="h$i"; ns=$(netns_of "$host"); veth=$(veth_of "$host"); address="$prefix.$((i + 1))"
    echo "$host $address $ns" >> "$state/hosts"
  done
  # /etc/hosts inside every host: the hosts by name, the bridge as "gateway".
  local hosts_file="$state/etc-hosts"
  { echo "127.0.0.1 localhost"; echo "$prefix.1 gateway";
    while read -r host address _; do echo "$address $host"; done < "$state/hosts"; } > "$hosts_file"
  while read -r host address ns; do
    veth=$(veth_of "$host")
    ip netns add "$ns"
    mkdir -p "/etc/netns/$ns" "$TMP_ROOT/$NAME/$host"
    cp "$hosts_file" "/etc/netns/$ns/hosts"
    echo "$host" > "/etc/netns/$ns/hostname"
    ip link add "$veth" type veth peer name eth0 netns "$ns"
    ip link set "$veth" master "$bridge" up
    ip netns exec "$ns" ip link set lo up
    ip netns exec "$ns" ip addr add "$address/24" dev eth0
    ip netns exec "$ns" ip link set eth0 up
    [[ "$rate" == none ]] || apply_rate "$host" "$rate"
    start_holder "$host" "$ns"
  done < "$state/hosts"
  write_launch_files
  trap - ERR
  say "up: $count host(s) x $slots slot(s) on $bridge ($prefix.0/24), rate ${rate}"
  cmd_addr
}

# A host's hostname, IPC namespace and /dev/shm must be one for every process on it (the ranks of
# one host share memory through /dev/shm). A holder process keeps those namespaces alive; every
# command on the host enters them with nsenter.
start_holder() {
  local host="$1" ns="$2" state; state=$(state_dir)
  # Each private directory: the host's own folder under its TMP_ROOT, bound over the path.
  local binds="" dir index=0
  while read -r dir _; do
    local own="$TMP_ROOT/$NAME/$host/private/$index"
    mkdir -p "$own"
    binds+=" && mount --bind '$own' '$dir'"
    index=$((index + 1))
  done < "$state/private"
  ip netns exec "$ns" unshare --uts --ipc --mount --propagation private \
    sh -c 'hostname "$1" && mount -t tmpfs -o mode=1777,size=50% tmpfs /dev/shm'"$binds"' && exec sleep infinity' \
    holder "$host" </dev/null >/dev/null 2>&1 &
  local pid=$!
  # The holder is ready once its hostname differs from ours (it set it) and /dev/shm is its own.
  local tries
  for ((tries = 0; tries < 100; tries++)); do
    if [[ "$(nsenter -t "$pid" -u hostname 2>/dev/null)" == "$host" ]] &&
       nsenter -t "$pid" -m sh -c 'grep -q " /dev/shm tmpfs" /proc/mounts' 2>/dev/null &&
       [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == */sleep ]]; then
      echo "$pid" > "$state/$host.holder"
      return 0
    fi
    sleep 0.05
  done
  die "host $host did not come up (its namespace holder is not running)"
}

# The rsh agent Open MPI calls as `agent HOST COMMAND...` and the hostfile it reads.
write_launch_files() {
  local state; state=$(state_dir)
  cat > "$state/agent" <<AGENT
#!/bin/sh
# Open MPI's launch agent for cluster '$NAME': runs a daemon on a host as ssh would.
exec env RONDE_CLUSTER='$NAME' '$SELF' launch "\$@"
AGENT
  chmod +x "$state/agent"
  local slots; slots=$(cat "$state/slots")
  awk -v slots="$slots" '{print $2 " slots=" slots}' "$state/hosts" > "$state/hostfile"
}

# Runs COMMAND inside HOST's namespaces in a clean, ssh-like environment. Used by exec and spawn
# (with argv) and by Open MPI (a command line for a shell, as ssh passes it).
enter_host() {
  local host="$1"; shift
  local pid; pid=$(holder_pid "$host")
  kill -0 "$pid" 2>/dev/null || die "host $host is down (its namespace holder $pid is gone)"
  local tmp="$TMP_ROOT/$NAME/$host"
  mkdir -p "$tmp"
  exec nsenter -t "$pid" --net --uts --ipc --mount --wd="$PWD" \
    env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME="${HOME:-/root}" \
      USER="${USER:-root}" LOGNAME="${LOGNAME:-root}" SHELL=/bin/sh LANG=C.UTF-8 TMPDIR="$tmp" \
      HOSTNAME="$host" RONDE_CLUSTER="$NAME" RONDE_CLUSTER_SH="$SELF" "$@"
}

cmd_launch() {   # agent entry: launch HOST COMMAND-WORDS...
  require_up
  local host; host=$(resolve_host "${1:?launch: host missing}"); shift
  enter_host "$host" /bin/sh -c "$*"
}

cmd_exec() {
  require_up
  local host; host=$(resolve_host "${1:?exec: host missing}"); shift
  [[ "${1:-}" == "--" ]] && shift
  (($#)) || die "exec: no command (usage: exec HOST -- CMD...)"
  # The caller's variables that configure ronde and its tests travel along, as mpirun -x does.
  local -a forwarded=()
  mapfile -t forwarded < <(forwarded_variables)
  local -a assignments=()
  local variable
  for variable in "${forwarded[@]}"; do assignments+=("$variable=${!variable}"); done
  enter_host "$host" env "${assignments[@]}" "$@"
}

cmd_spawn() {
  require_up
  local host; host=$(resolve_host "${1:?spawn: host missing}")
  local log="${2:?spawn: log file missing}"; shift 2
  [[ "${1:-}" == "--" ]] && shift
  (($#)) || die "spawn: no command (usage: spawn HOST LOG -- CMD...)"
  "$SELF" exec "$host" -- "$@" </dev/null >"$log" 2>&1 &
  echo $!
}

# The names of the caller's variables that ranks and host commands receive.
forwarded_variables() {
  compgen -e | grep -E '^(RONDE_|AWS_|GRPC_|GTEST_|ASAN_OPTIONS$|LSAN_OPTIONS$|UBSAN_OPTIONS$|TSAN_OPTIONS$|LD_LIBRARY_PATH$|OMPI_ALLOW_RUN_AS_ROOT)' \
    | grep -vE '^RONDE_CLUSTER(_SH)?$' || true
}

# Every process inside HOST's network namespace except the holder, optionally leaving none.
host_pids() {
  local host="$1" ns holder
  ns=$(netns_of "$host"); holder=$(holder_pid "$host" 2>/dev/null || echo 0)
  ip netns pids "$ns" 2>/dev/null | grep -vx "$holder" || true
}

cmd_kill() {
  require_up
  local host; host=$(resolve_host "${1:?kill: host missing}")
  local signal="${2:-KILL}" pattern="${3:-}" pids pid
  pids=$(host_pids "$host")
  if [[ -n "$pattern" ]]; then
    local matching=""
    for pid in $pids; do
      tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$pattern" && matching+=" $pid"
    done
    pids="${matching# }"
  fi
  [[ -z "$pids" ]] && { say "kill: nothing runs on $host"; return 0; }
  # shellcheck disable=SC2086
  kill -s "$signal" $pids 2>/dev/null || true
  say "kill: sent SIG${signal#SIG} to $(wc -w <<<"$pids") process(es) on $host"
}

cmd_link() {
  require_up
  local host; host=$(resolve_host "${1:?link: host missing}")
  local state="${2:-}"
  [[ "$state" == up || "$state" == down ]] || die "link: say up or down"
  ip link set "$(veth_of "$host")" "$state"
  say "link: $host $state"
}

cmd_rate() {
  require_up
  local rate="${1:?rate: give a rate (e.g. 10gbit) or none}"
  [[ "$rate" == none ]] || rate_bits "$rate" >/dev/null
  local host
  while read -r host _; do apply_rate "$host" "$rate"; done < "$(state_dir)/hosts"
  echo "$rate" > "$(state_dir)/rate"
  say "rate: every host link now ${rate}"
}

cmd_addr() {
  require_up
  local state; state=$(state_dir)
  case "${1:-}" in
    "") awk '{print $1, $2}' "$state/hosts" ;;
    bridge|gateway) sed 's|0/24$|1|' "$state/subnet" ;;
    *) local host; host=$(resolve_host "$1"); awk -v h="$host" '$1 == h {print $2}' "$state/hosts" ;;
  esac
}

cmd_private() {
  require_up
  local host; host=$(resolve_host "${1:?private: host missing}")
  local wanted="${2:?private: directory missing}" dir index=0
  while read -r dir _; do
    if [[ "$dir" == "${wanted%/}" ]]; then echo "$TMP_ROOT/$NAME/$host/private/$index"; return 0; fi
    index=$((index + 1))
  done < "$(state_dir)/private"
  die "private: $wanted is not a private directory of cluster '$NAME'"
}

cmd_status() {
  require_up
  local state; state=$(state_dir)
  echo "cluster $NAME: $(host_count) host(s) x $(cat "$state/slots") slot(s), subnet $(cat "$state/subnet"), bridge $(cmd_addr bridge), rate $(cat "$state/rate")"
  printf '%-5s %-14s %-6s %-5s %14s %14s  %s\n' host address link procs "rx bytes" "tx bytes" qdisc
  local host address ns veth
  while read -r host address ns; do
    veth=$(veth_of "$host")
    # The root-side veth's tx is what the host received, its rx what the host sent.
    local rx tx link qdisc procs
    tx=$(cat "/sys/class/net/$veth/statistics/rx_bytes" 2>/dev/null || echo "?")
    rx=$(cat "/sys/class/net/$veth/statistics/tx_bytes" 2>/dev/null || echo "?")
    link=$(cat "/sys/class/net/$veth/operstate" 2>/dev/null || echo "?")
    qdisc=$(ip netns exec "$ns" tc qdisc show dev eth0 2>/dev/null | head -1 | cut -c1-60)
    procs=$(host_pids "$host" | wc -l)
    printf '%-5s %-14s %-6s %-5s %14s %14s  %s\n' "$host" "$address" "$link" "$procs" "$rx" "$tx" "$qdisc"
  done < "$state/hosts"
}

cmd_down() {
  local state; state=$(state_dir)
  [[ -d "$state" ]] || { say "down: cluster '$NAME' is not up"; return 0; }
  local host address ns
  if [[ -f "$state/hosts" ]]; then
    # Ranks and daemons first (TERM, then KILL), holders last.
    local round pids
    for round in TERM KILL; do
      pids=""
      while read -r host address ns; do pids+=" $(host_pids "$host" | tr '\n' ' ')"; done < "$state/hosts"
      if [[ -n "${pids// /}" ]]; then
        # shellcheck disable=SC2086
        kill -s "$round" $pids 2>/dev/null || true
        [[ "$round" == TERM ]] && sleep 0.5
      fi
    done
    while read -r host address ns; do
      [[ -f "$state/$host.holder" ]] && kill -KILL "$(cat "$state/$host.holder")" 2>/dev/null || true
      ip link del "$(veth_of "$host")" 2>/dev/null || true
      ip netns del "$ns" 2>/dev/null || true
      rm -rf "/etc/netns/$ns"
    done < "$state/hosts"
  fi
  ip link del "$NAME-br" 2>/dev/null || true
  local dir how
  while read -r dir how; do [[ "$how" == created ]] && rmdir "$dir" 2>/dev/null || true; done < "$state/private" 2>/dev/null || true
  rm -rf "$TMP_ROOT/$NAME" "$state"
  say "down: cluster '$NAME' removed"
}

# The Open MPI settings a TCP job across the hosts needs, each for a reason (docs/CLUSTER.md):
#   plm_rsh_agent           start daemons in the hosts through this script, as ssh would
#   plm_rsh_no_tree_spawn   mpirun (outside every host) starts each daemon itself
#   pml ob1, btl tcp,vader,self   TCP between hosts, shared memory between ranks of one host
#   btl_tcp_if_include / oob_tcp_if_include   only the cluster's subnet
#   osc ^ucx                no UCX one-sided component probing absent hardware
#   mpi_yield_when_idle     when ranks outnumber cores, busy-polling ranks would starve each other
#   --bind-to none          every host would otherwise bind its first rank to core 0
#   oob_tcp_keepalive_*     a daemon whose host went silent is found lost within ~25 s (default
#                           300 s + 9 x 20 s), and mpirun then ends the job naming that host
#   mpi_preconnect_mpi      every TCP connection between ranks is made in MPI_Init: a connection
#                           made later, when a signal (SIGTERM) interrupts its connect(), fails
#                           the job ("connect() ... failed: Operation now in progress")
mpirun_settings() {
  local state; state=$(state_dir)
  local subnet; subnet=$(cat "$state/subnet")
  local ranks="$1"
  printf '%s\n' --hostfile "$state/hostfile" --bind-to none \
    --mca plm_rsh_agent "$state/agent" --mca plm_rsh_no_tree_spawn 1 \
    --mca pml ob1 --mca btl tcp,vader,self \
    --mca btl_tcp_if_include "$subnet" --mca oob_tcp_if_include "$subnet" --mca osc ^ucx \
    --mca oob_tcp_keepalive_time 10 --mca oob_tcp_keepalive_intvl 5 --mca oob_tcp_keepalive_probes 3 \
    --mca mpi_preconnect_mpi 1
  if (( ranks > $(nproc) )); then printf '%s\n' --mca mpi_yield_when_idle 1; fi
}

cmd_mpirun() {
  require_up
  local state; state=$(state_dir)
  local -a user=("$@") settings=() result=()
  # Ranks: the user's -np/-n, else every slot.
  local ranks=$(( $(host_count) * $(cat "$state/slots") )) have_np=0 i
  for ((i = 0; i < ${#user[@]}; i++)); do
    case "${user[$i]}" in
      -np|-n|--np) if [[ "${user[$((i + 1))]:-}" =~ ^[0-9]+$ ]]; then ranks="${user[$((i + 1))]}"; have_np=1; fi ;;
    esac
  done
  # --host h3,h4: the hosts' names become their addresses (the hostfile lists addresses).
  for ((i = 0; i < ${#user[@]}; i++)); do
    case "${user[$i]}" in
      --host|-host|-H)
        local names="${user[$((i + 1))]:-}" translated="" name
        local -a hostnames=()
        IFS=, read -r -a hostnames <<< "$names"
        ((have_np)) || ranks=$(( ${#hostnames[@]} * $(cat "$state/slots") ))
        for name in "${hostnames[@]}"; do
          if [[ "$name" =~ ^h[0-9]+(:[0-9]+)?$ ]]; then
            translated+="${translated:+,}$(cmd_addr "${name%%:*}")${name#"${name%%:*}"}"
          else
            translated+="${translated:+,}$name"
          fi
        done
        user[$((i + 1))]="$translated" ;;
    esac
  done
  mapfile -t settings < <(mpirun_settings "$ranks")
  # A setting the user gives too is left to the user (Open MPI aborts on a repeated --mca NAME).
  local -A user_mca=()
  for ((i = 0; i < ${#user[@]}; i++)); do
    case "${user[$i]}" in --mca|-mca) user_mca["${user[$((i + 1))]:-}"]=1 ;; --bind-to) user_mca[--bind-to]=1 ;; --hostfile|-hostfile|--machinefile) user_mca[--hostfile]=1 ;; esac
  done
  for ((i = 0; i < ${#settings[@]}; i++)); do
    case "${settings[$i]}" in
      --mca) if [[ -z "${user_mca[${settings[$((i + 1))]}]:-}" ]]; then result+=(--mca "${settings[$((i + 1))]}" "${settings[$((i + 2))]}"); fi; i=$((i + 2)) ;;
      --bind-to|--hostfile) if [[ -z "${user_mca[${settings[$i]}]:-}" ]]; then result+=("${settings[$i]}" "${settings[$((i + 1))]}"); fi; i=$((i + 1)) ;;
    esac
  done
  ((have_np)) || result+=(-np "$ranks")
  local variable
  while read -r variable; do [[ -n "$variable" ]] && result+=(-x "$variable"); done < <(forwarded_variables)
  # Settings made for one host (env.sh: shared memory only) must not reach the cluster's job.
  unset OMPI_MCA_btl OMPI_MCA_pml OMPI_MCA_btl_tcp_if_include OMPI_MCA_oob_tcp_if_include
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  [[ -n "${RONDE_CLUSTER_QUIET:-}" ]] || say "mpirun ${result[*]} ${user[*]}"
  exec mpirun "${result[@]}" "${user[@]}"
}

cmd_with() {
  local -a up_args=()
  local timeout_s=900
  while (($#)); do
    case "$1" in
      --) shift; break ;;
      --timeout) timeout_s="${2:-}"; shift 2 ;;
      *) up_args+=("$1"); shift ;;
    esac
  done
  (($#)) || die "with: no command (usage: with N [--slots K] [--rate R] [--timeout S] -- CMD...)"
  [[ "$timeout_s" =~ ^[1-9][0-9]*$ ]] || die "with: --timeout '${timeout_s:0:40}' must be a positive number of seconds"
  check_capable
  # A name of its own: concurrent `with` runs get separate clusters.
  NAME="w$(printf '%d' $$ | tail -c 7)"
  export RONDE_CLUSTER="$NAME" RONDE_CLUSTER_SH="$SELF"
  local child=""
  cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [[ -n "$child" ]] && kill -0 "$child" 2>/dev/null; then kill -TERM "$child" 2>/dev/null || true; wait "$child" 2>/dev/null || true; fi
    cmd_down >/dev/null 2>&1 || true
    exit "$status"
  }
  on_signal() { say "with: $1 received; stopping the command and removing the cluster"; exit "$2"; }
  trap cleanup EXIT
  trap 'on_signal SIGTERM 143' TERM
  trap 'on_signal SIGINT 130' INT
  cmd_up "${up_args[@]}" >/dev/null
  # In the background, so that a signal to this script is handled at once (bash defers traps while
  # a foreground child runs).
  timeout --kill-after=10 "$timeout_s" "$@" &
  child=$!
  local status=0
  wait "$child" || status=$?
  child=""
  (( status == 124 )) && say "with: the command ran past its ${timeout_s} s timeout and was stopped"
  exit "$status"
}

main() {
  local command="${1:-help}"
  (($#)) && shift
  case "$command" in
    up) cmd_up "$@" ;;
    down) cmd_down ;;
    mpirun) cmd_mpirun "$@" ;;
    exec) cmd_exec "$@" ;;
    spawn) cmd_spawn "$@" ;;
    kill) cmd_kill "$@" ;;
    link) cmd_link "$@" ;;
    rate) cmd_rate "$@" ;;
    addr) cmd_addr "$@" ;;
    private) cmd_private "$@" ;;
    status) cmd_status ;;
    with) cmd_with "$@" ;;
    launch) cmd_launch "$@" ;;
    help|-h|--help) usage ;;
    *) echo "cluster.sh: unknown command '${command:0:40}' (try: cluster.sh help)" >&2; exit 2 ;;
  esac
}

main "$@"
