#!/usr/bin/env python3
"""Every module a target's sources import is one its Package.swift entry declares.

A module imported but not declared builds only by accident (another target pulled it in), and
the module table in the README would not say the truth. Run by `make test`."""
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
if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"imports: every target declares what it imports ({len(package['targets'])} targets)")
