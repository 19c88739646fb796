#!/usr/bin/env bash
# Checks the output of samples/AgentMemory: a denial the model reacted to, a redacted read, an approval requested,
# granted and run once (a replay refused), and a rate limit with retry-after that the story explains: the earlier write
# calls (refused and approval-held ones included) left one token of five, so one to-do item of three is saved.
set -euo pipefail
log="$1"
for expected in \
  'tool   <- {"status":"denied","key":"system/config","reason":"system notes are read-only for agents"' \
  'model  : refused (system notes are read-only for agents)' \
  '"key":"contacts/bob/email","found":true,"value":"[REDACTED]"' \
  'host: approval requested for memory_write on "agents/alice/shared/plan"' \
  'tool   <- {"status":"ok","key":"shared/plan"}' \
  'store: agents/alice/shared/plan = "launch on Friday"' \
  'was already used; nothing was executed.' \
  '"status":"rate_limited"' \
  '"retry_after_seconds":' \
  "host: 1 of alice's 5 writes a minute left: the earlier write calls took the rest" \
  'I saved 1 of the 3 items before the write limit ran out; I'"'"'ll retry the rest in'; do
  if ! grep -qF -- "$expected" "$log"; then
    echo "agent-memory: the sample's output lacks '$expected'" >&2
    exit 1
  fi
done
if [ "$(grep -c '^  Allowed          Write  agents/alice/shared/plan' "$log")" -ne 2 ]; then
  echo "agent-memory: expected the approval grant and exactly one approved write of shared/plan in the audit" >&2
  exit 1
fi
echo "agent-memory: the sample showed a denial, a redaction, an approval run once and a rate limit"
