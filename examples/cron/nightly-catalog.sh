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
#
# Language: the log lines, the mails and the stderr line are in English or Chinese, by the same rule
# as glm-vision's own messages: LC_ALL, then LC_MESSAGES, then LANG (zh_CN.UTF-8: Chinese). Put
# LANG=zh_CN.UTF-8 in the crontab for Chinese; cron's bare environment has no LANG. Each message
# comes from `glm-vision message NAME KEY=VALUE…`; if glm-vision cannot be run at all, the line
# shows the message's name and values instead.
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

# One message in the user's language; say NAME KEY=VALUE…
say() { "$GLM_VISION" message "$@" 2>/dev/null 3>&- || printf '%s\n' "$*"; }
log() { printf '%s %s\n' "$(date '+%F %T')" "$(say "$@")"; }

mail_failed=0
# Called in this shell, never at the end of a pipe (a subshell would lose mail_failed): the body
# comes from a here-string or a process substitution.
notify() { # subject, then the body on stdin
  local subject=$1 why rc=0
  if [[ -z $MAIL_TO ]]; then
    cat >/dev/null
    log cron.mail.empty subject="$subject"
    return 0
  fi
  if ! command -v "$MAIL_CMD" >/dev/null; then
    cat >/dev/null
    why=$(say cron.mail.notFound command="$MAIL_CMD")
  else
    "$MAIL_CMD" -s "$subject" "$MAIL_TO" 3>&- || rc=$?
    ((rc == 0)) && return 0
    why=$(say cron.mail.exited command="$MAIL_CMD" code="$rc")
  fi
  mail_failed=1
  log cron.mail.failed to="$MAIL_TO" why="$why" subject="$subject"
  say cron.mail.failedCron to="$MAIL_TO" why="$why" subject="$subject" log="$LOG" >&3
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
    notify "$(say cron.streak.subject count="$nights")" \
      <<<"$(say cron.streak.body count="$nights" archive="$ARCHIVE" status="$status" log="$LOG")"
  fi
}

log cron.start archive="$ARCHIVE" catalog="$catalog"
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
      log cron.noCatalog.log status="$status" catalog="$catalog"
      notify "$(say cron.noCatalog.subject)" <<<"$(say cron.noCatalog.body status="$status" catalog="$catalog" log="$LOG")"
      exit_code=70
    elif ((status == 0)); then
      publish
      log cron.ok
    else
      # Some files failed (unreadable, corrupt, refused by the server) or their answers were cut
      # off (truncated): the catalog is complete otherwise and is published. Such files are not
      # cached as done, so tomorrow tries them again.
      publish
      failed="$OUT_DIR/failed-$day.tsv"
      if command -v jq >/dev/null; then
        jq -r 'select(.status == "error" or .status == "truncated")
          | [.SourceFile + (if .page then "#page=\(.page)" else "" end), .status, (.error // "")] | @tsv' "$catalog" >"$failed" ||
          log cron.failed.jq catalog="$catalog" failed="$failed"
      else
        grep -E '"status": ?"(error|truncated)"' "$catalog" >"$failed" || true
      fi
      n=$(wc -l <"$failed")
      log cron.failed.log count="$n" failed="$failed"
      notify "$(say cron.failed.subject count="$n" archive="$ARCHIVE")" < <(
        say cron.failed.body count="$n" archive="$ARCHIVE"
        say cron.failed.list
        echo
        cat "$failed"
      )
    fi
    ;;
  75)
    # Temporary: another run holds the cache (--lock skip), or the server could not be reached.
    # The previous catalog is untouched; the next night carries on.
    count_night
    log cron.temporary count="$nights"
    ;;
  130)
    # SIGTERM/SIGINT (shutdown, reboot): finished answers are in the cache, so the next run only
    # asks for the rest. glm-vision leaves no catalog behind for an interrupted run.
    count_night
    log cron.interrupted count="$nights"
    ;;
  2)
    rm -f "$STREAK"
    log cron.usage.log
    notify "$(say cron.usage.subject)" <<<"$(say cron.usage.body log="$LOG")"
    ;;
  66)
    rm -f "$STREAK"
    log cron.noInput.log archive="$ARCHIVE"
    notify "$(say cron.noInput.subject archive="$ARCHIVE")" <<<"$(say cron.noInput.body archive="$ARCHIVE" log="$LOG")"
    ;;
  70)
    rm -f "$STREAK"
    log cron.internal.log
    notify "$(say cron.internal.subject)" <<<"$(say cron.internal.body log="$LOG")"
    ;;
  74)
    rm -f "$STREAK"
    log cron.cantWrite.log catalog="$catalog"
    notify "$(say cron.cantWrite.subject)" <<<"$(say cron.cantWrite.body catalog="$catalog" log="$LOG")"
    ;;
  *)
    rm -f "$STREAK"
    log cron.other.log status="$status"
    notify "$(say cron.other.subject status="$status")" <<<"$(say cron.other.body status="$status" log="$LOG")"
    ;;
esac
if ((mail_failed && exit_code <= 1)); then
  log cron.mail.exit69 status="$status"
  exit_code=69
fi
exit "$exit_code"
