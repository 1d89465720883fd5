#!/usr/bin/env bash
# A searchable SQLite copy of a glm-vision JSONL catalog, with sqlite-utils
# (https://sqlite-utils.datasette.io; `pipx install sqlite-utils`, or apt-get install sqlite-utils).
#
#   examples/recipes/sqlite-utils.sh CATALOG.jsonl [DB] [SEARCH]
#
# Loads the catalog into the table `photos` of DB (default catalog.db), replacing what an earlier
# load put there, so the table always mirrors the catalog; adds full-text search over the answers;
# prints the rows per status; with SEARCH, the files whose answer matches it. Catalogs made with
# examples/templates/receipt.md also get a `receipt_items` table, one row per purchased item.
# The same database opens in Datasette (`datasette catalog.db`) for browsing.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 3 ]]; then
  echo "usage: sqlite-utils.sh CATALOG.jsonl [DB] [SEARCH]" >&2
  exit 2
fi
catalog=$1
db=${2:-catalog.db}
search=${3:-}

# 1. Load. --flatten turns a structured answer {"output": {"title": …}} into columns output_title, …
#    (lists stay JSON arrays); a text answer stays in the column `output`. SourceFile is the key.
for table in photos photos_fts receipt_items; do
  sqlite-utils drop-table "$db" "$table" --ignore
done
sqlite-utils insert "$db" photos "$catalog" --nl --flatten --pk SourceFile --alter

# 2. Full-text search over the answer columns. The trigram tokenizer (SQLite 3.34 or newer) finds
#    any run of 3 or more characters, which is what Chinese needs: the default tokenizer splits on
#    spaces only, and Chinese has none. Shorter queries need LIKE: … where output like '%茶馆%'.
mapfile -t columns < <(sqlite-utils "$db" \
  "select name from pragma_table_info('photos') where name = 'output' or (name like 'output\_%' escape '\\' and type = 'TEXT')" \
  --csv --no-headers | tr -d '\r')
if [[ ${#columns[@]} -gt 0 ]]; then
  sqlite-utils enable-fts "$db" photos "${columns[@]}" --fts5 --tokenize trigram --create-triggers --replace
fi

# 3. Line items of receipts, when the catalog was made with the receipt template.
if sqlite-utils "$db" "select 1 from pragma_table_info('photos') where name = 'output_items'" --csv --no-headers | grep -q 1; then
  jq -c 'select(.status == "ok") | .SourceFile as $f | .output.items[]? | {SourceFile: $f} + .' "$catalog" \
    | sqlite-utils insert "$db" receipt_items - --nl --alter
fi

# 4. Queries.
sqlite-utils "$db" "select status, count(*) as files from photos group by status order by status" --table
if [[ -n $search ]]; then
  # --quote: the words are searched as given, punctuation and all, not as FTS query syntax.
  sqlite-utils search "$db" photos "$search" --quote -c SourceFile --table
fi
# More, to run by hand:
#   sqlite-utils catalog.db "select SourceFile, error from photos where status = 'error'" --table
#   sqlite-utils catalog.db "select output_currency, count(*), round(sum(output_total), 2) from photos where status = 'ok' group by 1" --table
#   sqlite-utils catalog.db "select name, sum(amount) from receipt_items group by name order by 2 desc" --table
