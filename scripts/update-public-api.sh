#!/usr/bin/env bash
# Brings libraries' PublicAPI.Unshipped.txt in line with their code: builds the projects, adds every symbol the build
# reports as undeclared (RS0016) and drops every declared one that is gone (RS0017; a symbol that had shipped is
# recorded as *REMOVED*). Review the diff: it is the change to the public surface.
#   scripts/update-public-api.sh [--shipped] src/SochDb.Policy/SochDb.Policy.csproj [more projects...]
# With --shipped the change goes straight into PublicAPI.Shipped.txt (the 1.0 candidate, until 1.0 is released).
set -euo pipefail
target=unshipped
if [ "${1:-}" = "--shipped" ]; then target=shipped; shift; fi
[ $# -gt 0 ] || { echo "usage: scripts/update-public-api.sh [--shipped] path/to/Library.csproj [...]" >&2; exit 2; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for project in "$@"; do
  dotnet build "$project" --no-incremental -p:TreatWarningsAsErrors=false >> "$log" 2>&1 || true
done

python3 - "$log" "$target" "$@" <<'PY'
import os, re, sys
log, target, projects = sys.argv[1], sys.argv[2], sys.argv[3:]
text = open(log, encoding="utf-8").read()
for project in projects:
    path = os.path.abspath(project)
    directory = os.path.dirname(path)
    unshipped = os.path.join(directory, "PublicAPI.Unshipped.txt")
    shipped = os.path.join(directory, "PublicAPI.Shipped.txt")
    # Each diagnostic line ends with the project it belongs to: [/abs/path/Library.csproj].
    mine = [l for l in text.splitlines() if l.rstrip().endswith("[" + path + "]")]
    added = {m.group(1) for l in mine for m in [re.search(r"RS0016: Symbol '(.+?)' is not part of the declared public API", l)] if m}
    gone = {m.group(1) for l in mine for m in [re.search(r"RS0017: Symbol '(.+?)' is part of the declared API", l)] if m}
    if target == "shipped":
        lines = [l.rstrip("\n") for l in open(shipped, encoding="utf-8")]
        header = [l for l in lines if l.startswith("#")]
        body = [l for l in lines if l and not l.startswith("#") and l not in gone]
        # Keep the file's order (a small diff); each new symbol goes after the last line that sorts before it.
        for a in sorted(added - set(body), key=lambda l: l.upper()):
            at = max((i + 1 for i, l in enumerate(body) if l.upper() <= a.upper()), default=0)
            body.insert(at, a)
        open(shipped, "w", encoding="utf-8").write("\n".join(header + body) + "\n")
        print(f"{shipped}: {len(added)} added, {len(gone)} removed")
        continue
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
