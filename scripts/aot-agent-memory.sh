#!/usr/bin/env bash
# Publishes samples/AgentMemory (Microsoft.Extensions.AI + SochDb.Policy.AI) with NativeAOT from clean (warnings are
# errors, so any IL2xxx/IL3xxx fails the publish), runs the binary and checks that the agent met each policy.
set -euo pipefail
cd "$(dirname "$0")/.."
out=artifacts/aot-agent-memory
rm -rf "$out" samples/AgentMemory/bin/Release samples/AgentMemory/obj/Release
mkdir -p artifacts
dotnet publish samples/AgentMemory/AgentMemory.csproj -c Release -r linux-x64 -o "$out" \
  | tee artifacts/aot-agent-memory-publish.log
if grep -E 'warning (IL[23][0-9]{3}|SOCH)' artifacts/aot-agent-memory-publish.log; then
  echo "aot: the AgentMemory publish printed trim/AOT warnings" >&2
  exit 1
fi
test -x "$out/AgentMemory"
"$out/AgentMemory" | tee artifacts/aot-agent-memory-run.log
scripts/check-agent-memory-output.sh artifacts/aot-agent-memory-run.log
echo "aot: AgentMemory published with no warnings and ran as expected ($(du -h "$out/AgentMemory" | cut -f1))"
