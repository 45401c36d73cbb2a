#!/usr/bin/env bash
# The batch audit as a Slurm job array: each array task audits its own shard (--shard auto reads
# SLURM_ARRAY_TASK_ID, _MIN and _COUNT), so the array needs no coordinator. Submit it from the
# project folder (or set CXR_WORKBENCH), with --out on a file system every node sees:
#
#   jobid=$(sbatch --parsable --array=1-4 scripts/slurm/audit-array.sh --images DIR --labels CSV --out /shared/audit-out)
#   sbatch --dependency=afterok:$jobid --wrap "npx tsx scripts/audit.ts --metrics-only --out /shared/audit-out"
#
# A failed or killed task is rerun with `scontrol requeue <jobid>_<task>`: it resumes its shard
# exactly (committed chunks are kept, the chunk in progress is redone).
#SBATCH --job-name=cxr-audit
#SBATCH --cpus-per-task=1
#SBATCH --requeue
#SBATCH --output=cxr-audit-%A_%a.out
set -euo pipefail
cd "${CXR_WORKBENCH:-${SLURM_SUBMIT_DIR:-.}}"
# Peak memory of the task on stderr (the cluster benchmark reads it), where GNU time is installed.
timer=()
[ -x /usr/bin/time ] && timer=(/usr/bin/time -f "cxr-audit-task: peak_rss_kb=%M elapsed_s=%e user_s=%U system_s=%S")
exec "${timer[@]}" node --import tsx scripts/audit.ts --shard auto --progress lines "$@"
