#!/usr/bin/env bash
# End to end on a real Slurm: a single-node cluster on this machine runs
# bench/slurm-array.sh as an array of 4 shards, a dependent job merges them, and the
# merged summary must be byte-identical to the single run's.
#   sudo bench/slurm-e2e.sh [SCENARIO] [REPLICATIONS]
# Needs root (it installs Debian's slurm-wlm and munge if missing, writes
# /etc/slurm/slurm.conf and starts munged, slurmctld and slurmd). Idempotent: daemons
# already running are restarted with the configuration written here. Leaves them running;
# `bench/slurm-e2e.sh --stop` stops them (munged too). About 45 s on 2 cores, the
# packages' installation included.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$repo/target/slurm-e2e

# Stops the daemon whose pid file is $1 and waits (up to 10 s) until it has exited.
stop_daemon() {
  [[ -s $1 ]] || return 0
  local pid
  pid=$(cat "$1")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$1"
}
stop() {
  stop_daemon /run/slurmd.pid
  stop_daemon /run/slurmctld.pid
}
if [[ ${1:-} == --stop ]]; then
  stop
  stop_daemon /run/munge/munged.pid
  exit 0
fi
scenario=${1:-scenarios/quickstart.json}
replications=${2:-2000}
shards=4
[[ $(id -u) == 0 ]] || { echo "slurm-e2e: run as root (it installs and starts daemons)" >&2; exit 2; }
started=$(date +%s)
say() { echo "[slurm-e2e +$(($(date +%s) - started))s] $*"; }

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  say "installing slurm-wlm and munge from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null
fi
say "$(slurmctld -V)"

# failsim itself, on the jobs' PATH (sbatch exports the environment by default).
if [[ ! -x target/release/failsim ]]; then
  cargo build --release --locked
fi
export PATH=$repo/target/release:$PATH

# munge: a key, and its daemon running as the munge user.
if [[ ! -s /etc/munge/munge.key ]]; then
  mungekey --create --keyfile /etc/munge/munge.key
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
install -d -o munge -g munge -m 0755 /run/munge
install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge
if ! { munge -n </dev/null | unmunge; } >/dev/null 2>&1; then
  say "starting munged"
  runuser -u munge -- munged
  for _ in $(seq 50); do { munge -n </dev/null | unmunge; } >/dev/null 2>&1 && break; sleep 0.1; done
fi
munge -n </dev/null | unmunge >/dev/null

# A one-node cluster of this machine as slurmd sees it (its real CPUs and memory).
stop
rm -rf "$work"
mkdir -p "$work" /var/spool/slurmctld /var/spool/slurmd
host=$(hostname -s)
node=$(slurmd -C | head -n 1)
cat >/etc/slurm/slurm.conf <<EOF
# Written by bench/slurm-e2e.sh: a single-node cluster on localhost.
ClusterName=failsim-e2e
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
$node State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
say "node: $node"
slurmctld -i
slurmd
for _ in $(seq 100); do
  state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
  [[ $state == idle ]] && break
  sleep 0.2
done
[[ $state == idle ]] || { echo "slurm-e2e: node $host is '$state', not idle" >&2; tail "$work"/*.log >&2; exit 1; }
say "node $host idle"

# The single run, on the same file the shards read (the summary names it).
failsim run "$scenario" --replications "$replications" --json "$work/single.json" >/dev/null 2>"$work/single.err"
say "single run: $(tail -n 1 "$work/single.err")"

# The array: one shard per task (the script's own #SBATCH asks 4 CPUs; this machine may
# have fewer, so one per task), then the merge as a job that waits for them.
array=$(sbatch --parsable --wait --array=1-$shards --cpus-per-task=1 \
  --output="$work/shard-%a.out" \
  bench/slurm-array.sh "$scenario" "$work/parts" --replications "$replications")
say "array job $array: $(ls "$work"/parts | tr '\n' ' ')"
merge=$(sbatch --parsable --wait --dependency=afterok:"$array" --output="$work/merge.out" \
  --wrap "failsim merge $(printf '%s ' "$work"/parts/part-*.json) --json $work/merged.json")
say "merge job $merge done"
sacct_state=$(scontrol show job "$array" 2>/dev/null | grep -o 'JobState=[A-Z]*' | sort -u | tr '\n' ' ' || true)
[[ -n $sacct_state ]] && say "array tasks: $sacct_state"

if cmp "$work/single.json" "$work/merged.json"; then
  say "OK: $shards Slurm shards merged are byte-identical to the single run ($(wc -c <"$work/merged.json") bytes, sha256 $(sha256sum "$work/merged.json" | cut -c1-16))"
else
  say "FAIL: the merged summary differs from the single run"
  diff <(head -c 2000 "$work/single.json") <(head -c 2000 "$work/merged.json") || true
  exit 1
fi
