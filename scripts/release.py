#!/usr/bin/env python3
"""Releases: one semantic version for the whole repository (behind `make release`). Standard
library only, like docker/images.py: it runs before any virtualenv exists.

    python3 scripts/release.py check            # every place carries the version in VERSION
    python3 scripts/release.py files            # the files a bump writes (for `git commit`)
    python3 scripts/release.py bump 0.3.0       # semver, newer than VERSION: written everywhere,
                                                # CHANGELOG.md's [Unreleased] becomes [0.3.0] - <date>
    python3 scripts/release.py images           # after `make build-images` (again after `make
                                                # push-images`): tag sluice-<stage>:<version>,
                                                # record the images' digests in the changelog entry

``VERSION`` at the repository root is the single source. docker/images.py reads it for the image
tags and the ``org.opencontainers.image.version`` label. The places that must hold the version as
a literal are written by ``bump`` and held equal by ``check`` (a unit test runs it): each Python
package's pyproject.toml (setuptools reads a version from the package's own directory, and an
image builds from shared/ and images/<stage>/ alone, without the root), ``sluice.__version__``
(``sluice --version``, without an importlib.metadata lookup at every stage's cold start), and
the web SDK's package.json and package-lock.json (npm reads nothing else).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The grammar of semver.org (2.0.0), as it publishes it.
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
# The pre-releases a Python package can also carry (PEP 440 spells 0.3.0-rc.1 as 0.3.0rc1); build
# metadata (+...) would be a PEP 440 local version, which package indexes refuse.
PYTHON_PRERELEASE = re.compile(r"^(alpha|beta|rc)(\.(0|[1-9]\d*))?$")

UNRELEASED = "## [Unreleased]"
IMAGES_BEGIN = "<!-- images: written by scripts/release.py images; do not edit -->"
IMAGES_END = "<!-- /images -->"


class ReleaseError(Exception):
    """What stops a release, in one line."""


# ---- versions ---------------------------------------------------------------------------


def parse(version: str) -> tuple[int, int, int, tuple[str, ...]]:
    """(major, minor, patch, pre-release identifiers) of a semantic version."""
    match = SEMVER.match(version)
    if not match:
        raise ReleaseError(f"{version!r} is not a semantic version (MAJOR.MINOR.PATCH, e.g. 0.3.0 or 0.3.0-rc.1)")
    major, minor, patch, pre, build = match.groups()
    if build is not None or (pre is not None and not PYTHON_PRERELEASE.match(pre)):
        raise ReleaseError(
            f"{version!r} is semver, but the Python packages cannot carry it: no build metadata, and a "
            "pre-release only as alpha, beta or rc with an optional number (0.3.0-rc.1)"
        )
    return int(major), int(minor), int(patch), tuple(pre.split(".")) if pre else ()


def _precedence(version: str) -> tuple[object, ...]:
    """A sort key in semver's order: a release after its pre-releases; numeric identifiers
    numerically and before alphanumeric ones; a longer list of equal identifiers after."""
    major, minor, patch, pre = parse(version)
    identifiers = tuple((0, int(i), "") if i.isdigit() else (1, 0, i) for i in pre)
    return (major, minor, patch, 0 if pre else 1, identifiers)


def is_newer(candidate: str, current: str) -> bool:
    return _precedence(candidate) > _precedence(current)


def pep440(version: str) -> str:
    """How setuptools writes the version (0.3.0-rc.1 -> 0.3.0rc1), for the pyproject files."""
    major, minor, patch, pre = parse(version)
    suffix = {"alpha": "a", "beta": "b", "rc": "rc"}[pre[0]] + (pre[1] if len(pre) > 1 else "0") if pre else ""
    return f"{major}.{minor}.{patch}{suffix}"


# ---- the places that carry it -----------------------------------------------------------


@dataclass(frozen=True)
class Place:
    path: str
    read: Callable[[str], str]
    write: Callable[[str, str], str]  # (text, version) -> text
    python: bool = False  # holds the PEP 440 spelling


_TOML_VERSION = re.compile(r'(?m)^version = "[^"]*"$')
_PY_VERSION = re.compile(r'(?m)^__version__ = "[^"]*"$')


def _pyproject() -> tuple[Callable[[str], str], Callable[[str, str], str]]:
    def read(text: str) -> str:
        return str(tomllib.loads(text)["project"]["version"])

    def write(text: str, version: str) -> str:
        # The first top-level `version =` line is [project]'s (a table's own key would be quoted
        # or under another header further down); the result is read back below to prove it.
        return _TOML_VERSION.sub(f'version = "{version}"', text, count=1)

    return read, write


def _package_json(lock: bool) -> tuple[Callable[[str], str], Callable[[str, str], str]]:
    def read(text: str) -> str:
        data = json.loads(text)
        if lock and data["packages"][""]["version"] != data["version"]:
            return f"{data['version']} (its packages[''] says {data['packages']['']['version']})"
        return str(data["version"])

    def write(text: str, version: str) -> str:
        data = json.loads(text)
        data["version"] = version
        if lock:
            data["packages"][""]["version"] = version
        # npm's own layout (JSON.stringify with two spaces, a final newline): only the version changes.
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    return read, write


# Not the repository's own: environments, dependencies, build output.
_SKIP = {"node_modules", "build", "dist", "out", "__pycache__"}


def _files(root: Path) -> list[Path]:
    found = []
    for directory, subdirs, names in os.walk(root):
        subdirs[:] = sorted(
            d for d in subdirs if not d.startswith(".") and d not in _SKIP and not d.endswith(".egg-info")
        )
        found += [Path(directory, name) for name in sorted(names)]
    return found


def places(root: Path) -> list[Place]:
    """VERSION, then every place in the repository that states a version: found, not listed, so
    a package added later (a pyproject.toml, a package.json) is held to VERSION from its first day."""
    pyproject = _pyproject()
    found = [Place("VERSION", lambda t: t.strip(), lambda _t, v: f"{v}\n")]
    for path in _files(root):
        relative = path.relative_to(root).as_posix()
        if path.name == "pyproject.toml" and "version" in tomllib.loads(path.read_text()).get("project", {}):
            found.append(Place(relative, *pyproject, python=True))
        elif path.suffix == ".py" and path.name != "release.py" and _PY_VERSION.search(path.read_text()):
            found.append(
                Place(
                    relative,
                    lambda t: m.group(0).split('"')[1] if (m := _PY_VERSION.search(t)) else "(no __version__)",
                    lambda t, v: _PY_VERSION.sub(f'__version__ = "{v}"', t, count=1),
                    python=True,
                )
            )
        elif path.name == "package.json" and "version" in json.loads(path.read_text()):
            found.append(Place(relative, *_package_json(lock=False)))
            if (path.parent / "package-lock.json").exists():
                found.append(
                    Place(f"{relative.removesuffix('package.json')}package-lock.json", *_package_json(lock=True))
                )
    return found


def current(root: Path) -> str:
    try:
        version = (root / "VERSION").read_text().strip()
    except FileNotFoundError:
        raise ReleaseError(f"no VERSION file in {root}") from None
    parse(version)
    return version


def disagreements(root: Path) -> list[str]:
    """Each place whose version is not VERSION's, as ``path: found (expected)``."""
    version = current(root)
    found = []
    for place in places(root):
        expected = pep440(version) if place.python else version
        actual = place.read((root / place.path).read_text())
        if actual != expected:
            found.append(f"{place.path}: {actual} (VERSION says {expected})")
    return found


# ---- the changelog ----------------------------------------------------------------------


def _section(text: str, heading: str) -> tuple[int, int]:
    """Start and end offsets of a ``## ...`` section's body (up to the next ``## `` heading or
    the link references at the end)."""
    start = text.find(heading + "\n")
    if start < 0:
        raise ReleaseError(f"CHANGELOG.md has no {heading!r} heading")
    body = start + len(heading) + 1
    following = re.search(r"(?m)^(## |\[[^\]]+\]: )", text[body:])
    return body, body + following.start() if following else len(text)


def date_unreleased(text: str, version: str, day: str) -> str:
    """[Unreleased]'s notes become the release's entry, under a new, empty [Unreleased]."""
    if re.search(rf"(?m)^## \[{re.escape(version)}\]", text):
        raise ReleaseError(f"CHANGELOG.md already has an entry for {version}")
    body, end = _section(text, UNRELEASED)
    notes = text[body:end].strip()
    if not notes:
        raise ReleaseError(f"nothing under {UNRELEASED} in CHANGELOG.md: write what {version} changes first")
    rest = text[end:]
    return f"{text[: body - len(UNRELEASED) - 1]}{UNRELEASED}\n\n## [{version}] - {day}\n\n{notes}\n" + (
        f"\n{rest}" if rest else ""
    )


def record_images(text: str, version: str, rows: list[str]) -> str:
    """The release entry's Images block (replaced whole when written again, e.g. after a push)."""
    heading = next((h for h in re.findall(r"(?m)^## \[[^\]]+\][^\n]*$", text) if h.startswith(f"## [{version}]")), None)
    if heading is None:
        raise ReleaseError(f"CHANGELOG.md has no entry for {version} (run `release.py bump {version}` first)")
    body, end = _section(text, heading)
    entry = text[body:end]
    if IMAGES_BEGIN in entry:
        entry = entry[: entry.index(IMAGES_BEGIN)] + entry[entry.index(IMAGES_END) + len(IMAGES_END) :]
    block = "\n".join(
        [
            IMAGES_BEGIN,
            "### Images",
            "",
            "Pin a stage by its registry digest (`<repository>/sluice-<stage>@sha256:...`); the image id is the",
            "local engine's (`docker image inspect`).",
            "",
            "| image | image id | registry digest |",
            "|---|---|---|",
            *rows,
            IMAGES_END,
        ]
    )
    rest = text[end:]
    return f"{text[:body]}\n{entry.strip()}\n\n{block}\n" + (f"\n{rest}" if rest else "")


# ---- commands ---------------------------------------------------------------------------


def check(root: Path) -> str:
    wrong = disagreements(root)
    if wrong:
        raise ReleaseError("versions disagree: " + "; ".join(wrong))
    return f"every place carries {current(root)}"


def bump(root: Path, version: str, day: str | None = None) -> str:
    parse(version)
    was = current(root)
    if not is_newer(version, was):
        raise ReleaseError(f"{version} is not newer than {was} (VERSION)")
    wrong = disagreements(root)
    if wrong:
        raise ReleaseError("versions disagree before the bump, mend them first: " + "; ".join(wrong))
    changelog = root / "CHANGELOG.md"
    # Every new text is made (and the changelog checked) before any file is written.
    texts = {changelog: date_unreleased(changelog.read_text(), version, day or f"{datetime.now(UTC):%Y-%m-%d}")}
    for place in places(root):
        path = root / place.path
        spelled = pep440(version) if place.python else version
        new = place.write(path.read_text(), spelled)
        if place.read(new) != spelled:
            raise ReleaseError(f"{place.path}: could not write {spelled} into it")
        texts[path] = new
    for path, text in texts.items():
        path.write_text(text)
    return f"{was} -> {version}: {len(texts) - 1} files and CHANGELOG.md"


def docker() -> str:
    return os.environ.get("DOCKER") or shutil.which("docker") or "docker"


def images(root: Path, lock_path: Path) -> str:
    """Tag every built stage ``sluice-<stage>:<version>`` and record the digests in the entry."""
    version = current(root)
    try:
        lock = json.loads(lock_path.read_text())
    except FileNotFoundError:
        raise ReleaseError(f"no {lock_path.name}: run `make build-images` first") from None
    if lock.get("version") != version:
        raise ReleaseError(
            f"{lock_path.name} holds images of {lock.get('version')}, not {version}: run `make build-images`"
        )
    # A stage is a directory under images/ with a pyproject.toml, as docker/images.py builds them.
    stages = sorted(p.parent.name for p in (root / "images").glob("*/pyproject.toml"))
    missing = [stage for stage in stages if stage not in lock.get("stages", {})]
    if missing:
        raise ReleaseError(f"{lock_path.name} has no {', '.join(missing)}: run `make build-images` (every stage)")
    rows = []
    for stage in stages:
        entry = lock["stages"][stage]
        tag = f"sluice-{stage}:{version}"
        tagged = subprocess.run(  # noqa: S603 - the engine, with the lock file's image names
            [docker(), "tag", entry["image"], tag], capture_output=True, text=True, check=False
        )
        if tagged.returncode != 0:
            said = (tagged.stderr or tagged.stdout).strip().splitlines()
            raise ReleaseError(f"docker tag {entry['image']} {tag}: {said[-1] if said else tagged.returncode}")
        digest = f"`{entry['digest']}`" if entry.get("digest") else "not pushed yet (`make push-images`)"
        rows.append(f"| `{tag}` | `{entry['id']}` | {digest} |")
    changelog = root / "CHANGELOG.md"
    changelog.write_text(record_images(changelog.read_text(), version, rows))
    return f"tagged {len(rows)} images sluice-<stage>:{version}; their digests are in CHANGELOG.md's {version} entry"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="release", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("check", help="every place carries the version in VERSION")
    sub.add_parser("files", help="the files a bump writes, one a line")
    b = sub.add_parser("bump", help="check the version and write it everywhere; date the changelog entry")
    b.add_argument("version")
    i = sub.add_parser("images", help="after make build-images: tag the images, record their digests")
    i.add_argument("--lock", type=Path, help="the lock file (default: images.lock.json at the root)")
    args = parser.parse_args(argv)
    try:
        if args.action == "files":
            print("\n".join([*(place.path for place in places(args.root)), "CHANGELOG.md"]))
            return 0
        if args.action == "check":
            said = check(args.root)
        elif args.action == "bump":
            said = bump(args.root, args.version)
        else:
            said = images(args.root, args.lock or args.root / "images.lock.json")
    except ReleaseError as exc:
        print(f"release: {exc}", file=sys.stderr)
        return 1
    print(f"release: {said}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
