#!/usr/bin/env bash
# Publishes the sochdb-policy tool with NativeAOT from clean (warnings are errors, so any IL2xxx/IL3xxx fails the
# publish), then runs the native binary on a broken configuration (text and SARIF), an explanation and a decision log.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/aot-publish.sh
aot_publish aot-tool src/SochDb.Policy.Tool/SochDb.Policy.Tool.csproj -p:NativeTool=true
tool="$PWD/$out/sochdb-policy"
test -x "$tool"

run=$(mktemp -d)
trap 'rm -rf "$run"' EXIT
cat > "$run/appsettings.json" <<'JSON'
{
  "SochDbPolicy": {
    "Store": { "Path": "memory.db" },
    "Rules": [
      { "Name": "no-system", "Trigger": "BeforeWrite", "Pattern": "system/**", "Action": "Deny", "Reasn": "operators only" }
    ]
  }
}
JSON
status=0
(cd "$run" && "$tool" check appsettings.json) > artifacts/aot-tool-run.log || status=$?
[ "$status" -eq 1 ] || { echo "aot-tool: check exited $status, expected 1" >&2; cat artifacts/aot-tool-run.log; exit 1; }
status=0
(cd "$run" && "$tool" check appsettings.json --format sarif) > artifacts/aot-tool-sarif.json || status=$?
[ "$status" -eq 1 ] || { echo "aot-tool: check --format sarif exited $status, expected 1" >&2; exit 1; }
sed -i 's/"Reasn"/"Reason"/' "$run/appsettings.json"
(cd "$run" && "$tool" explain appsettings.json system/prompt --operation write --agent planner) >> artifacts/aot-tool-run.log
for expected in 'appsettings.json(5,98): error SOCHCFG001: SochDbPolicy:Rules:0:Reasn: unknown key "Reasn"' \
                'Write "system/prompt": Denied by [BeforeWrite("system/**")] no-system (operators only)'; do
  if ! grep -qF -- "$expected" artifacts/aot-tool-run.log; then
    echo "aot-tool: the native tool's output lacks '$expected'" >&2
    cat artifacts/aot-tool-run.log
    exit 1
  fi
done
for expected in '"$schema": "https://json.schemastore.org/sarif-2.1.0.json"' '"ruleId": "SOCHCFG001"' '"startLine": 5' '"partialFingerprints"'; do
  grep -qF -- "$expected" artifacts/aot-tool-sarif.json || { echo "aot-tool: the SARIF lacks '$expected'" >&2; exit 1; }
done
status=0
(cd "$run" && "$tool" audit verify missing.db) 2>> artifacts/aot-tool-run.log || status=$?
[ "$status" -eq 3 ] || { echo "aot-tool: audit verify of a missing file exited $status, expected 3" >&2; exit 1; }
echo "aot-tool: native sochdb-policy published with no warnings and ran as expected ($(du -h "$tool" | cut -f1))"
