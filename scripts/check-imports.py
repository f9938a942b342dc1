#!/usr/bin/env python3
"""Every module a target's sources import is one its Package.swift entry declares, and every
module it declares is imported by its sources.

A module imported but not declared builds only by accident (another target pulled it in); one
declared but unused is a dependency the module table in the README would wrongly show. Run by
`make test`."""
import json, os, re, subprocess, sys

# Modules of the toolchain and the system, which no package declares.
SYSTEM = {"Foundation", "FoundationNetworking", "FoundationEssentials", "Dispatch", "Glibc", "Synchronization",
          "Testing", "XCTest", "Darwin", "os", "_Concurrency", "Observation", "FoundationXML"}

package = json.loads(subprocess.run(["swift", "package", "dump-package"], capture_output=True, text=True, check=True).stdout)
problems = []
for target in package["targets"]:
    if target["type"] == "system":
        continue
    declared = set()
    for dep in target.get("dependencies", []):
        for kind in ("byName", "target", "product"):
            if kind in dep:
                declared.add(dep[kind][0])
    path = target.get("path") or os.path.join("Tests" if target["type"] == "test" else "Sources", target["name"])
    imported = {}
    for root, _, files in os.walk(path):
        if "Fixtures" in root:
            continue
        for f in files:
            if not f.endswith(".swift"):
                continue
            for line in open(os.path.join(root, f), encoding="utf-8"):
                m = re.match(r"\s*(?:@testable\s+|@preconcurrency\s+|@_spi\(\w+\)\s+)*(?:public\s+|package\s+|internal\s+)?import\s+(?:struct\s+|class\s+|enum\s+|protocol\s+|func\s+)?(\w+)", line)
                if m:
                    imported.setdefault(m.group(1), os.path.join(root, f))
    for module, where in sorted(imported.items()):
        if module not in declared and module not in SYSTEM:
            problems.append(f"{target['name']}: imports {module} ({where}) without declaring it in Package.swift")
    for module in sorted(declared - set(imported)):
        problems.append(f"{target['name']}: declares {module} in Package.swift but no source of it imports it")
# The README's module table states the same: one row per target, its imports column exactly the
# target's declared dependencies.
readme = open("README.md", encoding="utf-8").read()
section = readme[readme.index("## Architecture"):]
section = section[:section.index("\n## ", 5)]
rows = {}
for line in section.split("\n"):
    m = re.match(r"^\| `([\w-]+)` \| .* \| ([^|]*) \|$", line)
    if m:
        rows[m.group(1)] = set() if m.group(2).strip() in ("—", "") else {x.strip() for x in m.group(2).split(",")}
for target in package["targets"]:
    if target["type"] == "test":
        continue
    declared = {dep[kind][0] for dep in target.get("dependencies", []) for kind in ("byName", "target", "product") if kind in dep}
    if target["name"] not in rows:
        problems.append(f"README: the architecture table has no row for {target['name']}")
    elif rows[target["name"]] != declared:
        problems.append(f"README: the row of {target['name']} says it imports {sorted(rows[target['name']])}, Package.swift declares {sorted(declared)}")
if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"imports: every target declares what it imports and imports what it declares, as the README's table says ({len(package['targets'])} targets)")
