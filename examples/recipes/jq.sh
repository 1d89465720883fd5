#!/usr/bin/env bash
# jq recipes for glm-vision's JSONL catalogs. Each recipe is one jq command: copy it, or run it
# from here:
#
#   examples/recipes/jq.sh RECIPE CATALOG.jsonl [ARG]
#
# A catalog row looks like
#   {"SourceFile":"scans/receipt-zh.jpg","sha256":"…","bytes":77612,"width":660,"height":1247,
#    "format":"jpeg","status":"ok","cached":false,"error":null,"prompt":"describe","model":"…",
#    "job":"…","review":null,"reviewer":null,"reviewed_at":null,
#    "output":"A till receipt from …","model_output":null,"tokens_in":1423,"tokens_out":61,"latency_ms":2310}
# `output` is the answer: a string for text prompts (describe, caption, ocr, qa), an object for
# structured ones (tags, archive, document, moderate, your own json templates); null on error.
# After `glm-vision review`, `output` is the reviewer's text (null when rejected) and `model_output`
# the model's.
set -euo pipefail

usage() {
  cat >&2 <<'EOF'
usage: jq.sh RECIPE CATALOG.jsonl [ARG]

  failed        failed files and why, as TSV (SourceFile, error)
  counts        how many rows have each status, as TSV
  descriptions  SourceFile and the answer of every ok row, as TSV (text prompts)
  grep WORD     files whose answer contains WORD, case-insensitive (e.g. over an ocr catalog)
  field NAME    SourceFile and one field of a structured answer, as TSV (e.g. field summary)
  retry-list    failed and truncated files, NUL-separated, for catalog --files-from -
  changed OLD   files that are new or changed since the catalog OLD
  tokens        requests actually sent and the tokens they cost (cached rows cost nothing)
  dublin-core [reviewed]
                a CSV for an archive system, Dublin Core column names; rejected and failed
                rows left out (with "reviewed": only rows a person accepted or edited)
  receipts      receipts template: paid total per currency
  receipt-items receipts template: one TSV line per purchased item
EOF
  exit 2
}

[[ $# -ge 2 ]] || usage
recipe=$1
catalog=$2
arg=${3:-}
needs_arg() { [[ -n $arg ]] || usage; }

case $recipe in
  failed)
    jq -r 'select(.status == "error") | [.SourceFile, .error] | @tsv' "$catalog"
    ;;
  counts)
    jq -rs 'group_by(.status)[] | [.[0].status, length] | @tsv' "$catalog"
    ;;
  descriptions)
    # @tsv escapes tabs and newlines inside answers as \t and \n, so each row stays one line.
    jq -r 'select(.status == "ok") | [.SourceFile, (.output | if type == "string" then . else tojson end)] | @tsv' "$catalog"
    ;;
  grep)
    needs_arg
    # A plain substring, not a regular expression; ascii_downcase leaves Chinese as it is.
    jq -r --arg w "$arg" 'select(.status == "ok")
      | select(.output | (if type == "string" then . else tojson end) | ascii_downcase | contains($w | ascii_downcase))
      | .SourceFile' "$catalog"
    ;;
  field)
    needs_arg
    # Arrays are joined with "; " as in the CSV catalog.
    jq -r --arg f "$arg" 'select(.status == "ok" and (.output | type) == "object")
      | [.SourceFile, (.output[$f] | if type == "array" then map(tostring) | join("; ") elif type == "string" then . else tojson end)] | @tsv' "$catalog"
    ;;
  retry-list)
    # NUL-separated, so names with newlines survive. Use it from the folder the catalog ran in:
    #   jq.sh retry-list catalog.jsonl | glm-vision catalog --files-from - --max-tokens 2048 … -o retried.jsonl
    jq -j 'select(.status != "ok") | .SourceFile + "\u0000"' "$catalog"
    ;;
  changed)
    needs_arg
    # New or changed since OLD: the path is new, or its sha256 differs.
    jq -r --slurpfile old "$arg" '($old | map({key: .SourceFile, value: .sha256}) | from_entries) as $before
      | .SourceFile as $f | select(($before | has($f) | not) or $before[$f] != .sha256) | $f' "$catalog"
    ;;
  tokens)
    jq -s '{rows: length, requests: map(select(.cached == false and .tokens_in != null)) | length,
            tokens_in: (map(select(.cached == false) | .tokens_in // 0) | add // 0),
            tokens_out: (map(select(.cached == false) | .tokens_out // 0) | add // 0)}' "$catalog"
    ;;
  dublin-core)
    # dc:identifier is SourceFile (with #page=N for a page); text answers are the description;
    # structured ones give title, description and subject by field name, as `glm-vision xmp` does.
    # `output` is the reviewed text where a person edited it.
    jq -rn --arg only "$arg" '
      def text: if . == null then "" elif type == "array" then map(tostring) | join("; ") elif type == "string" then . else tojson end;
      def mime: if . == "pdf" then "application/pdf" elif . == null then "" else "image/" + . end;
      ["dc:identifier", "dc:title", "dc:description", "dc:subject", "dc:format", "review", "reviewer"],
      (inputs
        | select(.status == "ok" and .review != "rejected" and ($only != "reviewed" or .review != null))
        | .output as $o | ($o | type == "object") as $fields
        | [.SourceFile + (if .page then "#page=\(.page)" else "" end),
           (if $fields then $o.title // $o.caption else null end | text),
           (if $fields then $o.description // $o.summary // $o.caption else $o end | text),
           (if $fields then [$o.tags, $o.keywords, $o.subjects, $o.subject, $o.objects] | map(select(. != null)) | flatten | text else "" end),
           (.format | mime), (.review // ""), (.reviewer // "")])
      | @csv' "$catalog"
    ;;
  receipts)
    # Catalog made with --prompt examples/templates/receipt.md.
    jq -rs 'map(select(.status == "ok" and .output.total != null))
      | group_by(.output.currency)[]
      | [(.[0].output.currency | if . == "" then "?" else . end), length, (map(.output.total) | add * 100 | round / 100)] | @tsv' "$catalog"
    ;;
  receipt-items)
    jq -r 'select(.status == "ok") | .SourceFile as $f | .output.date as $d
      | .output.items[]? | [$f, $d, .name, .quantity, .amount] | @tsv' "$catalog"
    ;;
  *)
    usage
    ;;
esac
