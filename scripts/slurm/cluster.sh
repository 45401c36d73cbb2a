#!/usr/bin/env bash
# A one-node Slurm cluster on this machine from Debian's packages (slurm-wlm, munge), for the audit's
# Slurm test and `npm run bench:cluster`. Everything lives in one folder (keys, state, logs, sockets,
# slurm.conf) on random free ports, so it touches no system configuration and several can coexist.
#
#   scripts/slurm/cluster.sh start DIR [CPUS]   # prints "export SLURM_CONF=DIR/slurm.conf"
#   scripts/slurm/cluster.sh stop DIR           # stops the daemons it started (by their pid files)
#
# Needs root (slurmd runs jobs as their submitting user and must be able to switch to it) or a
# user that may run munged and slurmd; every wait is bounded, so it never hangs.
set -euo pipefail
action=${1:?usage: cluster.sh start|stop DIR [CPUS]}
dir=$(mkdir -p "${2:?usage: cluster.sh start|stop DIR [CPUS]}" && cd "$2" && pwd)
cpus=${3:-$(nproc)}

stop() {
  # Jobs first: slurmstepd and the job's processes outlive slurmd, so cancel (SIGKILL) every job of
  # this cluster, and wait (bounded) for the controller to see them gone.
  if [ -f "$dir/slurmctld.pid" ] && kill -0 "$(cat "$dir/slurmctld.pid")" 2>/dev/null; then
    SLURM_CONF="$dir/slurm.conf" scancel --full --signal=KILL --user="$(id -un)" 2>/dev/null || true
    SLURM_CONF="$dir/slurm.conf" scancel --user="$(id -un)" 2>/dev/null || true
    for _ in $(seq 40); do
      [ -z "$(SLURM_CONF="$dir/slurm.conf" squeue -h -t running,completing 2>/dev/null)" ] && break
      sleep 0.5
    done
  fi
  for name in slurmd slurmctld munged; do
    local pidfile="$dir/$name.pid"
    [ -f "$pidfile" ] || continue
    local pid; pid=$(cat "$pidfile")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}

if [ "$action" = stop ]; then stop; exit 0; fi
[ "$action" = start ] || { echo "cluster.sh: unknown action $action (start or stop)" >&2; exit 2; }
for tool in munged slurmctld slurmd sinfo; do
  command -v "$tool" >/dev/null || { echo "cluster.sh: $tool not found: apt-get install slurm-wlm munge" >&2; exit 3; }
done

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
host=$(hostname -s)
mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
chmod 700 "$dir/munge"

# munge: a fresh key, its own socket.
[ -f "$dir/munge/munge.key" ] || { dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none; chmod 400 "$dir/munge/munge.key"; }
munged --force --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
  --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/munged.seed"

user=$(id -un)
cat > "$dir/slurm.conf" <<CONF
ClusterName=cxr-local
SlurmctldHost=$host
SlurmUser=$user
SlurmdUser=$user
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
JobRequeue=1
MaxArraySize=10001
SlurmdTimeout=60
InactiveLimit=0
MinJobAge=3600
KillWait=5
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"

trap 'echo "cluster.sh: start failed; logs in $dir" >&2; stop' ERR
slurmctld -f "$SLURM_CONF" -i
slurmd -f "$SLURM_CONF"
# Ready when the node is idle (bounded: 60 s).
for _ in $(seq 120); do
  state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
  [ "$state" = idle ] && { echo "export SLURM_CONF=$SLURM_CONF"; exit 0; }
  sleep 0.5
done
echo "cluster.sh: the node did not become idle in 60 s (state: ${state:-none}); see $dir/slurmctld.log and $dir/slurmd.log" >&2
stop
exit 4
