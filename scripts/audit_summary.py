"""Summarise a pip-audit JSON report: findings, and how many packages it could not check."""

from __future__ import annotations

import json
import sys


def main(path: str) -> None:
    with open(path) as handle:
        dependencies = json.load(handle).get("dependencies", [])
    skipped = [d for d in dependencies if d.get("skip_reason")]
    for dependency in dependencies:
        for vuln in dependency.get("vulns", []):
            fixes = ", ".join(vuln.get("fix_versions", [])) or "none"
            print(
                f"{dependency['name']} {dependency.get('version', '?')}: {vuln['id']} "
                f"(fixed in: {fixes})"
            )
    checked = len(dependencies) - len(skipped)
    print(f"pip-audit checked {checked} of {len(dependencies)} packages")
    if skipped:
        names = ", ".join(d["name"] for d in skipped[:10])
        more = f" and {len(skipped) - 10} more" if len(skipped) > 10 else ""
        print(
            f"WARNING: pip-audit could not look up {len(skipped)} packages ({names}{more}); "
            "no result for them, e.g. the vulnerability service is unreachable from here. "
            f"First reason: {skipped[0]['skip_reason']}"
        )


if __name__ == "__main__":
    main(sys.argv[1])
