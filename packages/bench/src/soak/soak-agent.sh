#!/bin/sh
# The soak's agent: records when it starts and when it is stopped (the fleet's release sends SIGTERM to
# its process group), then idles until stopped or told to finish; the soak opens its pull request by
# webhook. One line per event, in
# one append (atomic for lines this short), so many agents can share the log.
log="${SOAK_AGENT_LOG:?SOAK_AGENT_LOG is not set}"
now() { date +%s%N; }
echo "start $FACTORY_WORK_ITEM_KEY $FACTORY_AGENT_ID $(now)" >>"$log"
# The stop signal can arrive twice (to the group, and passed on by the fleet's wrapper): record it once.
trap 'trap "" TERM INT HUP; echo "end $FACTORY_WORK_ITEM_KEY $FACTORY_AGENT_ID $(now)" >>"$log"; exit 0' TERM INT HUP
# Told to finish (a file named after it in SOAK_AGENT_EXIT_DIR), it ends on its own with exit code 0, as
# an agent that has pushed its work does.
while :; do
  if [ -n "${SOAK_AGENT_EXIT_DIR:-}" ] && [ -e "$SOAK_AGENT_EXIT_DIR/$FACTORY_AGENT_ID" ]; then
    trap "" TERM INT HUP
    echo "end $FACTORY_WORK_ITEM_KEY $FACTORY_AGENT_ID $(now)" >>"$log"
    exit 0
  fi
  sleep 1 &
  wait $!
done
