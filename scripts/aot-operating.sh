#!/usr/bin/env bash
# Publishes samples/OperatingPolicies (HostApplicationBuilder + SochDb.Policy.Hosting) with NativeAOT from clean
# (warnings are errors, so any IL2xxx/IL3xxx fails the publish), runs the binary in an empty folder and checks that it
# enforced, shadowed, explained, refused a broken settings edit and applied a good one.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/aot-publish.sh
aot_publish aot-operating samples/OperatingPolicies/OperatingPolicies.csproj
test -x "$out/OperatingPolicies" && test -f "$out/libe_sqlite3.so" && test -f "$out/appsettings.json"

run=$(mktemp -d)
trap 'rm -rf "$run"' EXIT
cp "$out/OperatingPolicies" "$out/libe_sqlite3.so" "$out/appsettings.json" "$run/"
(cd "$run" && ./OperatingPolicies) | tee artifacts/aot-operating-run.log
for expected in 'denied: system/prompt' 'audited WouldDeny by' 'explain: Write "system/prompt": Denied by' \
                'refused: SochDbPolicy:Rules:1' 'reloaded: memory/notes now denied by agents-must-identify' 'done'; do
  if ! grep -qF -- "$expected" artifacts/aot-operating-run.log; then
    echo "aot-operating: the native sample's output lacks '$expected'" >&2
    exit 1
  fi
done
echo "aot-operating: native hosting sample published with no warnings and ran as expected ($(du -h "$out/OperatingPolicies" | cut -f1))"
