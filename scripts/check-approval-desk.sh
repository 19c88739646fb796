#!/usr/bin/env bash
# Runs the ApprovalDesk sample as two processes over one SQLite file: the agent raises three approvals and exits; the
# desk (the dashboard, local-only) then lists them; one is approved through the page's own form. Exits non-zero on any
# missing piece. Usage: scripts/check-approval-desk.sh [log file]
# APPROVAL_DESK names the program to run (default: the JIT build; scripts/aot-approval-desk.sh passes the native binary).
set -euo pipefail
cd "$(dirname "$0")/.."
log=${1:-artifacts/approval-desk.log}
mkdir -p "$(dirname "$log")"
work=$(mktemp -d)
desk_pid=""
cleanup() { [ -n "$desk_pid" ] && kill "$desk_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

read -r -a app <<< "${APPROVAL_DESK:-dotnet samples/ApprovalDesk/bin/Debug/net10.0/ApprovalDesk.dll}"
"${app[@]}" agent "$work/desk.db" > "$log" 2>&1
grep -q '3 requests wait in' "$log"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
"${app[@]}" desk "$work/desk.db" "http://127.0.0.1:$port" >> "$log" 2>&1 &
desk_pid=$!
for _ in $(seq 1 60); do
  curl -sf "http://127.0.0.1:$port/policy/" -o "$work/page.html" && break
  sleep 0.5
done

grep -q 'shared/plan' "$work/page.html"
# Every page is served, with the script-free CSP.
for page in log log/verify rules limits; do
  curl -sf -D "$work/headers" "http://127.0.0.1:$port/policy/$page" -o "$work/$(basename "$page").html"
  grep -qi "^content-security-policy: default-src 'none'" "$work/headers"
  grep -q '</html>' "$work/$(basename "$page").html"
done
grep -q '>intact<' "$work/verify.html"
grep -q 'masked:' "$work/page.html"
if grep -q 'vault/api-key\|sk-live-0000' "$work/page.html"; then echo "the desk showed a masked key or its value" >&2; exit 1; fi

# Approve shared/plan with the page's own form (cookie + antiforgery token), as a browser would.
curl -sf -c "$work/cookies" "http://127.0.0.1:$port/policy/" -o "$work/page.html"
python3 - "$work/page.html" > "$work/form" <<'PY'
import html, re, sys, urllib.parse
page = open(sys.argv[1], encoding="utf-8").read()
row = re.search(r'<tr data-approval="([0-9a-f]{32})"><td>write</td><td class="key">shared/plan</td>', page)
token = re.search(r'name="(__RequestVerificationToken[^"]*)" value="([^"]+)"', page)
print(urllib.parse.urlencode({token.group(1): html.unescape(token.group(2)), "id": row.group(1), "decision": "approve", "reason": "ci"}))
PY
location=$(curl -s -b "$work/cookies" -o /dev/null -w '%{redirect_url}' --data-binary @"$work/form" \
  -H 'Content-Type: application/x-www-form-urlencoded' "http://127.0.0.1:$port/policy/approvals/decide")
echo "approve -> $location" >> "$log"
case "$location" in *outcome=approved*) ;; *) echo "approving from the desk failed: $location" >&2; exit 1 ;; esac
curl -sf "http://127.0.0.1:$port/policy/" | grep -q 'shared/customers/acme'
echo "The desk listed the agent's requests and ran the approved one." | tee -a "$log"
