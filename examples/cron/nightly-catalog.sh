#!/usr/bin/env bash
# Nightly catalog of an archive folder, meant for cron (see crontab in this folder).
#
#   ARCHIVE=/srv/archive/photos OUT_DIR=/srv/archive/catalogs nightly-catalog.sh [extra catalog flags...]
#
# Writes OUT_DIR/catalog-YYYY-MM-DD.jsonl (glm-vision writes it to a temporary file and renames it
# into place, so a failed or killed run never leaves half a catalog; it may leave none at all),
# points OUT_DIR/catalog-latest.jsonl at it, and appends what happened to OUT_DIR/nightly.log. The
# cache makes each night cheap: only new or changed images are sent to the model.
#
# What each glm-vision exit status leads to (catalog-latest moves for 0 and 1 only):
#   0    every file ok                                 publish
#   1    some files failed or were truncated           publish; list them in failed-DAY.tsv; mail the list
#   2    a bad setting (flag, template, model name or URL the server refuses)     mail; not published
#   66   no input: ARCHIVE missing, unreadable or empty (an unmounted share?)     mail; not published
#   70   internal error in glm-vision                  mail; not published
#   74   the catalog could not be written (disk full)  mail; not published
#   75   temporary: another run holds the cache, or the server is unreachable     not published;
#        mail only on the 3rd night in a row without a catalog (75 or 130)
#   130  interrupted by a signal (shutdown)            not published; counts toward the same 3 nights
#   any other status                                   mail; not published
#
# Overlapping runs: the catalog runs with --lock skip, so when last night's run is still going (or
# someone started one by hand on the same cache) this run exits 75 at once instead of queueing up
# behind it; tomorrow's run picks up whatever is left.
#
# Mail: a mail that has to go out and cannot (MAIL_CMD not installed, or it fails) is logged, and
# one line about it is printed on stderr, so cron's own mail (or its log) carries it. The wrapper's
# exit status is glm-vision's, except:
#   69   (EX_UNAVAILABLE) glm-vision exited 0 or 1 but a mail that had to go out could not be sent;
#        for any other status glm-vision's own, already non-zero, status is kept
#   70   glm-vision exited 0 or 1 but left no catalog to publish (mailed like any failure)
# With MAIL_TO empty nothing is mailed by design: the log says what would have been, exit as above.
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
#   METRICS_FILE  passed as --metrics-file: Prometheus metrics of each run, for node_exporter's
#               textfile collector, e.g. /var/lib/node_exporter/textfile_collector/glm_vision.prom
#               (default empty: no metrics file)
#   GLM_VISION  the glm-vision command                  (default glm-vision)
set -euo pipefail

ARCHIVE=${ARCHIVE:-/srv/archive/photos}
OUT_DIR=${OUT_DIR:-/srv/archive/catalogs}
ENDPOINT=${ENDPOINT:-http://127.0.0.1:8000/v1}
MODEL=${MODEL:-zai-org/GLM-4.6V-Flash}
PROMPT=${PROMPT:-archive}
MAIL_TO=${MAIL_TO:-}
MAIL_CMD=${MAIL_CMD:-mail}
METRICS_FILE=${METRICS_FILE:-}
GLM_VISION=${GLM_VISION:-glm-vision}

LOG="$OUT_DIR/nightly.log"
STREAK="$OUT_DIR/.temporary-failures"
day=$(date +%F)
catalog="$OUT_DIR/catalog-$day.jsonl"

mkdir -p "$OUT_DIR"
# From here on everything, glm-vision's progress lines and summary included, goes to the log;
# cron mails whatever a job prints, so a quiet night prints nothing. Cron's stderr stays on fd 3
# for the one thing that must reach a person when our own mail cannot.
exec 3>&2 >>"$LOG" 2>&1

log() { printf '%s %s\n' "$(date '+%F %T')" "$*"; }

mail_failed=0
# Called in this shell, never at the end of a pipe (a subshell would lose mail_failed): the body
# comes from a here-string or a process substitution.
notify() { # subject, then the body on stdin
  local subject=$1 why rc=0
  if [[ -z $MAIL_TO ]]; then
    cat >/dev/null
    log "not mailed (MAIL_TO is empty): $subject"
    return 0
  fi
  if ! command -v "$MAIL_CMD" >/dev/null; then
    cat >/dev/null
    why="$MAIL_CMD not found (install mailutils or bsd-mailx, or set MAIL_CMD)"
  else
    "$MAIL_CMD" -s "$subject" "$MAIL_TO" 3>&- || rc=$?
    ((rc == 0)) && return 0
    why="$MAIL_CMD exited $rc"
  fi
  mail_failed=1
  log "could not mail $MAIL_TO: $why; the mail was: $subject"
  printf 'nightly-catalog.sh: could not mail %s (%s): %s. See %s\n' "$MAIL_TO" "$why" "$subject" "$LOG" >&3
}

# Points catalog-latest.jsonl at tonight's catalog; rename(2) makes the switch atomic, so a reader
# never finds the link missing.
publish() {
  ln -sfn "$(basename "$catalog")" "$OUT_DIR/.catalog-latest.tmp"
  mv -f "$OUT_DIR/.catalog-latest.tmp" "$OUT_DIR/catalog-latest.jsonl"
}

# Nights in a row that ended without a catalog for a reason that usually goes away (75, 130).
count_night() {
  nights=$(($(cat "$STREAK" 2>/dev/null || echo 0) + 1))
  echo "$nights" >"$STREAK"
  if ((nights >= 3)); then
    notify "glm-vision: no catalog for $nights nights" <<<"glm-vision has made no catalog of $ARCHIVE for $nights nights in a row (last exit $status). See $LOG."
  fi
}

log "start: $ARCHIVE -> $catalog"
metrics=()
if [[ -n $METRICS_FILE ]]; then metrics=(--metrics-file "$METRICS_FILE"); fi
# glm-vision's exit status is the point of this script, so it must not trip set -e. (The odd
# expansion of metrics is for bash before 4.4, where an empty array trips set -u.)
status=0
"$GLM_VISION" catalog "$ARCHIVE" --prompt "$PROMPT" --endpoint "$ENDPOINT" --model "$MODEL" \
  --lock skip ${metrics[@]+"${metrics[@]}"} -o "$catalog" "$@" 3>&- || status=$?

exit_code=$status
case $status in
  0 | 1)
    rm -f "$STREAK"
    if [[ ! -f $catalog ]]; then
      # Should not happen: 0 and 1 mean a catalog was written. Never point catalog-latest at nothing.
      log "glm-vision exited $status but $catalog does not exist; nothing published"
      notify "glm-vision: no catalog written" <<<"glm-vision exited $status but left no catalog at $catalog. See $LOG."
      exit_code=70
    elif ((status == 0)); then
      publish
      log "ok: every file catalogued"
    else
      # Some files failed (unreadable, corrupt, refused by the server) or their answers were cut
      # off (truncated): the catalog is complete otherwise and is published. Such files are not
      # cached as done, so tomorrow tries them again.
      publish
      failed="$OUT_DIR/failed-$day.tsv"
      if command -v jq >/dev/null; then
        jq -r 'select(.status == "error" or .status == "truncated")
          | [.SourceFile + (if .page then "#page=\(.page)" else "" end), .status, (.error // "")] | @tsv' "$catalog" >"$failed" ||
          log "jq could not read all of $catalog; $failed may be incomplete"
      else
        grep -E '"status": ?"(error|truncated)"' "$catalog" >"$failed" || true
      fi
      n=$(wc -l <"$failed")
      log "some files failed: $n listed in $failed (errors and truncated answers); catalog published"
      notify "glm-vision: $n failed file(s) in $ARCHIVE" < <(
        echo "$n file(s) failed or had their answer truncated in $ARCHIVE; the catalog was published anyway."
        echo "The next night tries them again. Path, status and error, tab-separated:"
        echo
        cat "$failed"
      )
    fi
    ;;
  75)
    # Temporary: another run holds the cache (--lock skip), or the server could not be reached.
    # The previous catalog is untouched; the next night carries on.
    count_night
    log "temporary failure (exit 75), $nights night(s) in a row: another run is busy or the server is unreachable"
    ;;
  130)
    # SIGTERM/SIGINT (shutdown, reboot): finished answers are in the cache, so the next run only
    # asks for the rest. glm-vision leaves no catalog behind for an interrupted run.
    count_night
    log "interrupted (exit 130), $nights night(s) in a row without a catalog: nothing published; finished answers are in the cache"
    ;;
  2)
    rm -f "$STREAK"
    log "usage or configuration error (exit 2): fix the settings (flags, template, model name or URL); it will not go away by itself"
    notify "glm-vision: configuration error" <<<"glm-vision rejected its configuration (exit 2): a flag, the template, or the model name or URL the server refuses. Nothing was published. See $LOG."
    ;;
  66)
    rm -f "$STREAK"
    log "no input (exit 66): $ARCHIVE is missing, unreadable or holds no file to catalog (an unmounted share?); the published catalog is untouched"
    notify "glm-vision: no input in $ARCHIVE" <<<"glm-vision found nothing to catalog in $ARCHIVE (exit 66): the folder is missing, unreadable or empty. Is the share mounted? Nothing was published. See $LOG."
    ;;
  70)
    rm -f "$STREAK"
    log "internal error (exit 70): a bug in glm-vision; nothing published. Report it with this log"
    notify "glm-vision: internal error" <<<"glm-vision stopped on an internal error (exit 70). Nothing was published. See $LOG."
    ;;
  74)
    rm -f "$STREAK"
    log "could not write $catalog (exit 74: disk full or not writable); nothing published; answers so far are in the cache"
    notify "glm-vision: catalog not written" <<<"glm-vision could not write $catalog (disk full or not writable). Nothing was published. See $LOG."
    ;;
  *)
    rm -f "$STREAK"
    log "failed with exit $status; nothing published"
    notify "glm-vision: exit $status" <<<"glm-vision failed with exit $status. Nothing was published. See $LOG."
    ;;
esac
if ((mail_failed && exit_code <= 1)); then
  log "exit 69: glm-vision exited $status but a mail that had to go out was not sent"
  exit_code=69
fi
exit "$exit_code"
