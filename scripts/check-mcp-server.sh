#!/usr/bin/env bash
# Runs the exchange of samples/McpMemoryServer/README.md against the built sample: the server announces itself on
# stderr, answers initialize, and refuses a write to a system note with an MCP error result carrying the reason.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The input stays open until the last answer is out (or 60 s pass): at the end of its input the server stops.
(printf '%s\n' \
  '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"shell","version":"1.0"}}}' \
  '{"jsonrpc":"2.0","method":"notifications/initialized"}' \
  '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"memory_write","arguments":{"key":"notes/hello","value":"world"}}}' \
  '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"memory_write","arguments":{"key":"system/x","value":"1"}}}'
 for _ in $(seq 600); do grep -qF '"id":3' "$work/out" 2>/dev/null && break; sleep 0.1; done) \
  | timeout 120 dotnet run --project samples/McpMemoryServer --no-build -- "$work/agent_memory.db" > "$work/out" 2> "$work/err"
for expected in '"serverInfo":{"name":"sochdb-memory"' '"structuredContent":{"status":"ok","key":"notes/hello"}' \
                '"structuredContent":{"status":"denied","key":"system/x","reason":"system notes are read-only for agents"'; do
  if ! grep -qF -- "$expected" "$work/out"; then
    echo "mcp-server: the server's stdout lacks '$expected':" >&2
    cat "$work/out" "$work/err" >&2
    exit 1
  fi
done
if ! grep -qF 'sochdb-memory: MCP server on stdio' "$work/err" || [ "$(wc -l < "$work/err")" -ne 1 ]; then
  echo "mcp-server: expected exactly one line on stderr announcing the server:" >&2
  cat "$work/err" >&2
  exit 1
fi
echo "mcp-server: announced itself on stderr, answered initialize, allowed a note and refused a system write"
