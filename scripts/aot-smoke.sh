#!/usr/bin/env bash
# Publishes samples/AgentGuard with NativeAOT from clean (its Release obj/bin removed first) (warnings are errors, so any IL2xxx/IL3xxx fails
# the publish), runs the binary in an empty folder and checks that it showed each policy at work.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/aot-publish.sh
aot_publish aot samples/AgentGuard/AgentGuard.csproj
test -x "$out/AgentGuard" && test -f "$out/libe_sqlite3.so"

run=$(mktemp -d)
cp "$out/AgentGuard" "$out/libe_sqlite3.so" "$run/"
(cd "$run" && ./AgentGuard) | tee artifacts/aot-run.log
# A second run in the same folder shows the decisions of the first one from the durable log.
(cd "$run" && ./AgentGuard) | tee artifacts/aot-run2.log
if ! grep -qF -- 'previous: #' artifacts/aot-run2.log || ! grep -qF -- 'audit chain: intact' artifacts/aot-run2.log; then
  echo "aot: the second run did not show the first run's decisions with an intact chain" >&2
  exit 1
fi
for expected in 'denied: system/config' '[REDACTED]' 'rate limited' 'audit:' 'audit chain: intact'; do
  if ! grep -qF -- "$expected" artifacts/aot-run.log; then
    echo "aot: the native sample's output lacks '$expected'" >&2
    exit 1
  fi
done
rm -rf "$run"
echo "aot: native sample published with no warnings and ran as expected ($(du -h "$out/AgentGuard" | cut -f1))"
