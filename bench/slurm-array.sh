#!/usr/bin/env bash
# Slurm array job: one shard of the replications per array task, then one merge job.
#   sbatch --array=1-16 bench/slurm-array.sh scenarios/quickstart.json results/ [RUN FLAGS...]
#   sbatch --dependency=afterok:<array job id> --wrap 'failsim merge results/part-*.json --json results/summary.json'
#SBATCH --job-name=failsim
#SBATCH --cpus-per-task=4
#SBATCH --time=01:00:00
set -euo pipefail
# Array task ids count from 1 (--array=1-N), as --shard I/N does. Flags after the output
# directory (e.g. --replications 2000) go to every shard's `failsim run`.
scenario=${1:?scenario file}
out=${2:?output directory}
shift 2
mkdir -p "$out"
failsim run "$scenario" --threads "${SLURM_CPUS_PER_TASK:-1}" \
  --shard "${SLURM_ARRAY_TASK_ID}/${SLURM_ARRAY_TASK_COUNT}" \
  --json "$out/part-${SLURM_ARRAY_TASK_ID}.json" "$@"
