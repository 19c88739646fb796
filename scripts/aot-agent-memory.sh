#!/usr/bin/env bash
# Publishes samples/AgentMemory (Microsoft.Extensions.AI + SochDb.Policy.AI) with NativeAOT from clean (warnings are
# errors, so any IL2xxx/IL3xxx fails the publish), runs the binary and checks that the agent met each policy.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/aot-publish.sh
aot_publish aot-agent-memory samples/AgentMemory/AgentMemory.csproj
test -x "$out/AgentMemory"
"$out/AgentMemory" | tee artifacts/aot-agent-memory-run.log
scripts/check-agent-memory-output.sh artifacts/aot-agent-memory-run.log
echo "aot: AgentMemory published with no warnings and ran as expected ($(du -h "$out/AgentMemory" | cut -f1))"
