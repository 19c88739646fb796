#!/usr/bin/env bash
# Brings a library's PublicAPI.Unshipped.txt in line with its code: builds the project, adds every symbol the build
# reports as undeclared (RS0016) and drops every declared one that is gone (RS0017; a symbol that had shipped is
# recorded as *REMOVED*). Review the diff: it is the change to the public surface.
#   scripts/update-public-api.sh src/SochDb.Policy/SochDb.Policy.csproj
set -euo pipefail
project=${1:?usage: scripts/update-public-api.sh path/to/Library.csproj}
dir=$(dirname "$project")
unshipped="$dir/PublicAPI.Unshipped.txt"
shipped="$dir/PublicAPI.Shipped.txt"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

dotnet build "$project" --no-incremental -p:TreatWarningsAsErrors=false > "$log" 2>&1 || true

python3 - "$log" "$unshipped" "$shipped" <<'PY'
import re, sys
log, unshipped, shipped = sys.argv[1:]
text = open(log, encoding="utf-8").read()
added = set(re.findall(r"RS0016: Symbol '(.+?)' is not part of the declared public API", text))
gone = set(re.findall(r"RS0017: Symbol '(.+?)' is part of the declared API", text))
lines = [l.rstrip("\n") for l in open(unshipped, encoding="utf-8")]
shipped_lines = {l.rstrip("\n") for l in open(shipped, encoding="utf-8")}
header = [l for l in lines if l.startswith("#")]
body = [l for l in lines if l and not l.startswith("#") and l not in gone]
body += ["*REMOVED*" + g for g in gone if g in shipped_lines]
body += [a for a in added if a not in body]
# The order the IDE code fix keeps: ordinal ignoring case, ignoring a leading *REMOVED*.
body = sorted(set(body), key=lambda l: l.removeprefix("*REMOVED*").upper())
open(unshipped, "w", encoding="utf-8").write("\n".join(header + body) + "\n")
print(f"{unshipped}: {len(added)} added, {len(gone)} removed")
PY
