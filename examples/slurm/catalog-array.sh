#!/usr/bin/env bash
# Catalog one archive with a SLURM job array, then merge the parts in a job that waits for them.
#
#   examples/slurm/catalog-array.sh submit      on the login node: submits the array, then the merge
#                                               job with --dependency=afterok on it
#   sbatch examples/slurm/catalog-array.sh      the array alone (each task runs the `part` step)
#   examples/slurm/catalog-array.sh merge       the merge step by hand, once every part is done
#
# Each task runs `glm-vision catalog --shard auto`: SLURM gives it SLURM_ARRAY_TASK_ID and the
# array's size, so the number of parts is whatever --array below says (a range, from 0 or 1 or
# any first id, with an optional step: 0-7, 1-8, 0-14:2; not a list such as 1,4,9). Task i writes
# its own cache, $WORK/caches/part-i.db, and its own catalog, $WORK/parts/part-i.jsonl. A task
# that is requeued finds its cache and asks only for what it had not done. The merge step folds
# the caches into $WORK/archive.db and catalogs the whole archive from it into $WORK/catalog.jsonl,
# which sends no request: every row comes back cached: true.
#
# A task whose files partly failed (glm-vision's exit 1) counts as done, so the merge still runs;
# those files are error rows, and the merge step's catalog tries them once more.
#
# Settings (environment variables; sbatch passes the submitting shell's environment on):
#   ARCHIVE     folder to catalog, on a file system every node mounts   (default /shared/archive)
#   WORK        caches and catalogs, likewise shared                    (default /shared/glm-vision)
#   ENDPOINT    the vLLM (or SGLang) server                             (default http://gpu01:8000/v1)
#   MODEL       model name as the server knows it                       (default zai-org/GLM-4.6V-Flash)
#   PROMPT      built-in prompt or template file                        (default describe)
#   GLM_VISION  the glm-vision command                                  (default glm-vision)
#
# Language: what it prints for a person (the submit step's job ids, its errors, the note on exit 1)
# is in English or Chinese by glm-vision's own rule: LC_ALL, then LC_MESSAGES, then LANG
# (zh_CN.UTF-8: Chinese; sbatch passes it on to the jobs). Each line comes from
# `glm-vision message NAME KEY=VALUE…`; if glm-vision cannot be run (not installed on the login
# node), the line shows the message's name and values instead.
#
#SBATCH --job-name=glm-vision-catalog
#SBATCH --array=0-7
#SBATCH --cpus-per-task=4
#SBATCH --mem=8G
#SBATCH --time=24:00:00
#SBATCH --output=glm-vision-%A_%a.log
set -euo pipefail

ARCHIVE=${ARCHIVE:-/shared/archive}
WORK=${WORK:-/shared/glm-vision}
ENDPOINT=${ENDPOINT:-http://gpu01:8000/v1}
MODEL=${MODEL:-zai-org/GLM-4.6V-Flash}
PROMPT=${PROMPT:-describe}
GLM_VISION=${GLM_VISION:-glm-vision}
# The same job for every part and for the merge step's catalog, so that it finds every answer.
SETTINGS=(--endpoint "$ENDPOINT" --model "$MODEL" --flavor vllm --prompt "$PROMPT")

# One message in the user's language: say NAME KEY=VALUE…
say() { "$GLM_VISION" message "$@" 2>/dev/null || printf '%s\n' "$*"; }
# The same on stderr after the script's name: a mistake of whoever ran it.
warn() { printf 'catalog-array.sh: %s\n' "$(say "$@")" >&2; }

# glm-vision's exit status, with 1 (some files failed: error rows) counted as done.
finish() {
  local status=$1
  if [[ $status -eq 1 ]]; then
    say slurm.someFailed catalog="$2" >&2
    status=0
  fi
  exit "$status"
}

case ${1:-part} in
  submit)
    mkdir -p "$WORK"
    array=$(sbatch --parsable "$0")
    # --parsable prints "jobid" or "jobid;cluster".
    merge=$(sbatch --parsable --dependency="afterok:${array%%;*}" --job-name=glm-vision-merge \
      --cpus-per-task=2 --mem=4G --time=4:00:00 --output=glm-vision-merge-%j.log \
      --wrap="$(realpath "$0") merge")
    say slurm.submitted array="${array%%;*}" merge="${merge%%;*}"
    ;;
  part)
    if [[ -z ${SLURM_ARRAY_TASK_ID:-} ]]; then
      warn slurm.notArray script="$0"
      exit 2
    fi
    mkdir -p "$WORK/caches" "$WORK/parts"
    part=$WORK/parts/part-$SLURM_ARRAY_TASK_ID.jsonl
    status=0
    "$GLM_VISION" catalog "$ARCHIVE" --shard auto "${SETTINGS[@]}" \
      --cache "$WORK/caches/part-$SLURM_ARRAY_TASK_ID.db" -o "$part" || status=$?
    finish "$status" "$part"
    ;;
  merge)
    shopt -s nullglob
    parts=("$WORK"/caches/part-*.db)
    if [[ ${#parts[@]} -eq 0 ]]; then
      warn slurm.noCaches dir="$WORK/caches"
      exit 66
    fi
    "$GLM_VISION" cache merge "${parts[@]}" --cache "$WORK/archive.db"
    status=0
    "$GLM_VISION" catalog "$ARCHIVE" "${SETTINGS[@]}" --cache "$WORK/archive.db" -o "$WORK/catalog.jsonl" || status=$?
    finish "$status" "$WORK/catalog.jsonl"
    ;;
  *)
    say slurm.usage script="$0" >&2
    exit 2
    ;;
esac
