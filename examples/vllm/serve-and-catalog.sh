#!/usr/bin/env bash
# Serves GLM-4.6V-Flash with vLLM on this machine, catalogs a folder against it (by default the
# sample scans in examples/scans), and stops the server again, also on failure or Ctrl-C.
#
#   examples/vllm/serve-and-catalog.sh [FOLDER] [extra catalog flags...]
#   PROMPT=examples/templates/receipt.md OUT=receipts.csv examples/vllm/serve-and-catalog.sh examples/scans
#
# Needs an NVIDIA GPU that holds a ~9B model in bf16 (some 18 GB of weights) plus its KV cache,
# vLLM 0.12 or newer with transformers 5 (`pip install -U vllm`), and the weights: the first start
# downloads zai-org/GLM-4.6V-Flash from the Hugging Face Hub (HF_ENDPOINT for a mirror), which
# takes a while; READY_TIMEOUT allows for it. When a server already answers on PORT, it is used
# as it is and left running.
#
# Settings (environment variables):
#   MODEL          default zai-org/GLM-4.6V-Flash
#   PORT           default 8000 (the server listens on 127.0.0.1 only)
#   PROMPT         default document; any built-in prompt or a template file
#   OUT            default scans-catalog.jsonl (.csv for CSV)
#   READY_TIMEOUT  seconds to wait for the server to load, default 1800
#   VLLM_LOG       the server's output, default vllm-server.log
#   GLM_VISION     the glm-vision command; default: glm-vision on PATH, else this clone's bin/
#
# Language: its lines on stderr (after "serve-and-catalog: ") are in English or Chinese by
# glm-vision's own rule: LC_ALL, then LC_MESSAGES, then LANG (zh_CN.UTF-8: Chinese). Each comes
# from `glm-vision message NAME KEY=VALUE…`; if glm-vision cannot be run (not built yet, no node),
# the line shows the message's name and values instead.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

MODEL=${MODEL:-zai-org/GLM-4.6V-Flash}
PORT=${PORT:-8000}
PROMPT=${PROMPT:-document}
OUT=${OUT:-scans-catalog.jsonl}
READY_TIMEOUT=${READY_TIMEOUT:-1800}
VLLM_LOG=${VLLM_LOG:-vllm-server.log}
FOLDER=$REPO/examples/scans
if [[ $# -gt 0 && $1 != -* ]]; then
  FOLDER=$1
  shift
fi

if [[ -z ${GLM_VISION:-} ]]; then
  if command -v glm-vision >/dev/null; then GLM_VISION=glm-vision; else GLM_VISION="$REPO/bin/glm-vision.js"; fi
fi
ENDPOINT="http://127.0.0.1:$PORT/v1"

# One message in the user's language on stderr: say NAME KEY=VALUE…
say() {
  local text
  text=$("$GLM_VISION" message "$@" 2>/dev/null) || text=$*
  printf 'serve-and-catalog: %s\n' "$text" >&2
}
# die STATUS NAME KEY=VALUE…
die() {
  local status=$1
  shift
  say "$@"
  exit "$status"
}

command -v curl >/dev/null || die 2 vllm.noCurl
[[ -d $FOLDER || -f $FOLDER ]] || die 2 vllm.noFolder folder="$FOLDER"

ready() { curl -fsS --max-time 5 "$ENDPOINT/models" >/dev/null 2>&1; }

server_pid=
# shellcheck disable=SC2317  # run by the EXIT trap
stop_server() {
  [[ -n $server_pid ]] || return 0
  say vllm.stopping pid="$server_pid"
  # vLLM runs its engine in child processes; signal the whole process group, give it 30 s to
  # release the GPU, then insist.
  kill -TERM -- "-$server_pid" 2>/dev/null || true
  for _ in $(seq 30); do
    kill -0 -- "-$server_pid" 2>/dev/null || { server_pid=; return 0; }
    sleep 1
  done
  kill -KILL -- "-$server_pid" 2>/dev/null || true
  server_pid=
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ready; then
  say vllm.serverAnswers endpoint="$ENDPOINT"
else
  command -v vllm >/dev/null || die 2 vllm.noVllm
  say vllm.starting model="$MODEL" port="$PORT" log="$VLLM_LOG"
  # The flags from the README's "Serving GLM-4.6V-Flash" section; --host keeps the server off the
  # network. setsid makes it a process group of its own, which stop_server ends as a whole.
  setsid vllm serve "$MODEL" --reasoning-parser glm45 --max-model-len 65536 \
    --mm-processor-cache-type shm --host 127.0.0.1 --port "$PORT" >"$VLLM_LOG" 2>&1 &
  server_pid=$!
  waited=0
  until ready; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      tail -n 30 "$VLLM_LOG" >&2 || true
      die 75 vllm.exited log="$VLLM_LOG"
    fi
    ((waited < READY_TIMEOUT)) || die 75 vllm.notReady seconds="$READY_TIMEOUT" log="$VLLM_LOG"
    sleep 2
    waited=$((waited + 2))
  done
  say vllm.ready seconds="$waited"
fi

status=0
"$GLM_VISION" catalog "$FOLDER" --endpoint "$ENDPOINT" --model "$MODEL" --prompt "$PROMPT" -o "$OUT" "$@" || status=$?
case $status in
  0) say vllm.written out="$OUT" ;;
  1) say vllm.someFailed out="$OUT" ;;
  *) say vllm.failed status="$status" ;;
esac
exit "$status"
