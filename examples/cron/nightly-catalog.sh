#!/usr/bin/env bash
# Nightly catalog of an archive folder, meant for cron (see crontab in this folder).
#
#   ARCHIVE=/srv/archive/photos OUT_DIR=/srv/archive/catalogs nightly-catalog.sh [extra catalog flags...]
#
# Writes OUT_DIR/catalog-YYYY-MM-DD.jsonl (glm-vision writes it to a temporary file and renames it
# into place, so a failed or killed run never leaves half a catalog), points OUT_DIR/catalog-latest.jsonl
# at it, and appends what happened to OUT_DIR/nightly.log. The cache makes each night cheap: only
# new or changed images are sent to the model.
#
# Overlapping runs: the catalog runs with --lock skip, so when last night's run is still going (or
# someone started one by hand on the same cache) this run exits 75 at once instead of queueing up
# behind it; tomorrow's run picks up whatever is left. Nothing is mailed for a single 75; three in
# a row are, because then the server has probably been down for days.
#
# Settings (environment variables):
#   ARCHIVE     folder to catalog                       (default /srv/archive/photos)
#   OUT_DIR     where catalogs and the log go           (default /srv/archive/catalogs)
#   ENDPOINT    OpenAI-compatible server                (default http://127.0.0.1:8000/v1)
#   MODEL       model name as the server knows it       (default zai-org/GLM-4.6V-Flash)
#   PROMPT      built-in prompt or template file        (default archive)
#   GLM_VISION_CACHE  the cache database; set it: cron's HOME may not be yours
#   MAIL_TO     who hears about failures; empty: the log only
#   MAIL_CMD    mail program called as: MAIL_CMD -s SUBJECT MAIL_TO < body (default mail)
#   GLM_VISION  the glm-vision command                  (default glm-vision)
set -euo pipefail

ARCHIVE=${ARCHIVE:-/srv/archive/photos}
OUT_DIR=${OUT_DIR:-/srv/archive/catalogs}
ENDPOINT=${ENDPOINT:-http://127.0.0.1:8000/v1}
MODEL=${MODEL:-zai-org/GLM-4.6V-Flash}
PROMPT=${PROMPT:-archive}
MAIL_TO=${MAIL_TO:-}
MAIL_CMD=${MAIL_CMD:-mail}
GLM_VISION=${GLM_VISION:-glm-vision}

LOG="$OUT_DIR/nightly.log"
STREAK="$OUT_DIR/.temporary-failures"
day=$(date +%F)
catalog="$OUT_DIR/catalog-$day.jsonl"

mkdir -p "$OUT_DIR"
# From here on everything, glm-vision's progress lines and summary included, goes to the log;
# cron mails whatever a job prints, so a quiet night prints nothing.
exec >>"$LOG" 2>&1

log() { printf '%s %s\n' "$(date '+%F %T')" "$*"; }

notify() { # subject, then the body on stdin
  if [[ -n $MAIL_TO ]] && command -v "$MAIL_CMD" >/dev/null; then
    "$MAIL_CMD" -s "$1" "$MAIL_TO" || log "could not mail $MAIL_TO"
  else
    cat >/dev/null
  fi
}

# Points catalog-latest.jsonl at tonight's catalog; rename(2) makes the switch atomic, so a reader
# never finds the link missing.
publish() {
  ln -sfn "$(basename "$catalog")" "$OUT_DIR/.catalog-latest.tmp"
  mv -f "$OUT_DIR/.catalog-latest.tmp" "$OUT_DIR/catalog-latest.jsonl"
}

log "start: $ARCHIVE -> $catalog"
# glm-vision's exit status is the point of this script, so it must not trip set -e.
status=0
"$GLM_VISION" catalog "$ARCHIVE" --prompt "$PROMPT" --endpoint "$ENDPOINT" --model "$MODEL" \
  --lock skip -o "$catalog" "$@" || status=$?

case $status in
  0)
    rm -f "$STREAK"
    publish
    log "ok: every file catalogued"
    ;;
  1)
    # Some files failed (unreadable, corrupt, refused by the server): the catalog is complete
    # otherwise and is kept. Failed files are not cached, so tomorrow tries them again.
    rm -f "$STREAK"
    publish
    failed="$OUT_DIR/failed-$day.tsv"
    if command -v jq >/dev/null; then
      jq -r 'select(.status == "error") | [.SourceFile, .error] | @tsv' "$catalog" >"$failed"
    else
      grep -F '"status":"error"' "$catalog" >"$failed" || true
    fi
    n=$(wc -l <"$failed")
    log "some files failed: $n listed in $failed"
    notify "glm-vision: $n failed file(s) in $ARCHIVE" <"$failed"
    ;;
  75)
    # Temporary: another run holds the cache (--lock skip), or the server could not be reached.
    # The previous catalog is untouched; the next night carries on.
    count=$(($(cat "$STREAK" 2>/dev/null || echo 0) + 1))
    echo "$count" >"$STREAK"
    log "temporary failure (exit 75), $count night(s) in a row: another run is busy or the server is unreachable"
    if ((count >= 3)); then
      echo "glm-vision could not run for $count nights in a row (exit 75). See $LOG." | notify "glm-vision: no catalog for $count nights"
    fi
    ;;
  130)
    # SIGTERM/SIGINT (shutdown, reboot): finished answers are in the cache, so the next run only
    # asks for the rest. The catalog written holds only the finished files: not published.
    log "interrupted (exit 130); $catalog holds only the files finished before the signal"
    ;;
  74)
    log "could not write $catalog (exit 74: disk full or not writable); answers so far are in the cache"
    echo "glm-vision could not write $catalog (disk full or not writable). See $LOG." | notify "glm-vision: catalog not written"
    ;;
  2)
    log "usage or configuration error (exit 2): fix the settings; it will not go away by itself"
    echo "glm-vision rejected its configuration (exit 2). See $LOG." | notify "glm-vision: configuration error"
    ;;
  *)
    log "failed with exit $status"
    echo "glm-vision failed with exit $status. See $LOG." | notify "glm-vision: exit $status"
    ;;
esac
exit "$status"
