"""Copies the third-party browser assets the query UI needs from npm's install into
``api/static/vendor/`` (git-ignored), so the service works with no internet access.

Run by ``scripts/setup`` after ``npm ci`` in ``api/frontend``. Fails with a clear message,
and a non-zero exit, when a file is missing (npm not run, or a version whose layout differs).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRONTEND = ROOT / "api" / "frontend"
NODE_MODULES = FRONTEND / "node_modules"
VENDOR = ROOT / "api" / "static" / "vendor"

# package -> files inside it -> name under api/static/vendor/
ASSETS: dict[str, dict[str, str]] = {
    "@zazuko/yasgui": {
        "build/yasgui.min.js": "yasgui/yasgui.min.js",
        "build/yasgui.min.css": "yasgui/yasgui.min.css",
    },
}


def pinned_version(package: str) -> str:
    manifest = json.loads((FRONTEND / "package.json").read_text())
    return manifest["dependencies"][package]


def installed_version(package: str) -> str | None:
    manifest = NODE_MODULES / package / "package.json"
    if not manifest.exists():
        return None
    return json.loads(manifest.read_text()).get("version")


def main() -> int:
    problems = []
    copies = []
    for package, files in ASSETS.items():
        wanted, found = pinned_version(package), installed_version(package)
        if found is None:
            problems.append(
                f"{package} is not installed in {NODE_MODULES}: run `npm ci` in {FRONTEND}"
            )
            continue
        if found != wanted:
            problems.append(
                f"{package} {found} is installed but package.json pins {wanted}: run `npm ci`"
            )
            continue
        for source, target in files.items():
            path = NODE_MODULES / package / source
            if not path.is_file():
                problems.append(f"{package} {found} has no {source}")
                continue
            copies.append((path, VENDOR / target, package, found))
    if problems:
        for problem in problems:
            print(f"vendor_assets: {problem}", file=sys.stderr)
        return 1
    versions = {}
    for source, target, package, version in copies:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        versions[package] = version
    (VENDOR / "VERSIONS.json").write_text(json.dumps(versions, indent=2) + "\n")
    print(f"vendor_assets: copied {len(copies)} files into {VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
