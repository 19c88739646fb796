#!/usr/bin/env bash
# Publishes samples/ApprovalDesk (ASP.NET Core + SochDb.Policy.Dashboard) with NativeAOT from clean (warnings are
# errors, so any IL2xxx/IL3xxx fails the publish), then runs scripts/check-approval-desk.sh with the native binary: the
# agent raises approvals, the desk serves every page over HTTP on loopback and approves one through its form.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/aot-publish.sh
aot_publish aot-approval-desk samples/ApprovalDesk/ApprovalDesk.csproj
test -x "$out/ApprovalDesk" && test -f "$out/libe_sqlite3.so"
if [ -f "$out/ApprovalDesk.dll" ]; then
  echo "aot-approval-desk: the publish left a managed ApprovalDesk.dll: it was not a native build" >&2
  exit 1
fi

APPROVAL_DESK="$PWD/$out/ApprovalDesk" scripts/check-approval-desk.sh artifacts/aot-approval-desk-run.log
echo "aot-approval-desk: native dashboard published with no warnings and served its pages ($(du -h "$out/ApprovalDesk" | cut -f1))"
