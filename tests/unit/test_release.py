"""Releases: one semantic version across the repository (VERSION, every pyproject.toml,
sluice.__version__, the web SDK's package files, the images' labels), bumped and checked by
scripts/release.py behind `make release`; no image is built here (the engine is a stand-in)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


release = _load(ROOT / "scripts/release.py")


def test_every_version_in_the_repository_agrees():
    assert release.disagreements(ROOT) == []
    version = (ROOT / "VERSION").read_text().strip()
    places = {place.path for place in release.places(ROOT)}
    # Found, not listed: every package the repository has today is among them.
    assert {"shared/pyproject.toml", "clients/web/package.json", "clients/web/package-lock.json"} <= places
    assert {f"images/{p.parent.name}/pyproject.toml" for p in (ROOT / "images").glob("*/pyproject.toml")} <= places
    from sluice import __version__

    assert __version__ == release.pep440(version)
    assert re.search(
        rf"(?m)^## \[{re.escape(version)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", (ROOT / "CHANGELOG.md").read_text()
    )


def test_the_images_are_tagged_and_labelled_with_VERSION():
    images = _load(ROOT / "docker/images.py")
    assert images.version() == (ROOT / "VERSION").read_text().strip()
    source = (ROOT / "docker/images.py").read_text()
    assert source.count('f"VERSION={ver}"') == 2  # the base and every stage
    for dockerfile in ("docker/Dockerfile", "images/Dockerfile"):
        text = (ROOT / dockerfile).read_text()
        final_stage = text[text.rindex("\nFROM ") :]
        assert "ARG VERSION" in final_stage and 'org.opencontainers.image.version="${VERSION}"' in final_stage


@pytest.mark.parametrize(
    "version", ["0.3", "v0.3.0", "01.2.3", "0.3.0-", "0.3.0-rc.01", "0.3.0-preview.1", "0.3.0+build.5", ""]
)
def test_a_version_that_is_not_semver_or_not_spellable_by_python_is_refused(version):
    with pytest.raises(release.ReleaseError):
        release.parse(version)


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("0.1.0", "0.2.0"),
        ("0.2.0", "0.2.1"),
        ("0.9.9", "1.0.0"),
        ("0.2.0-rc.1", "0.2.0"),
        ("0.2.0-rc.2", "0.2.0-rc.10"),
        ("0.2.0-alpha", "0.2.0-alpha.1"),
        ("0.2.0-alpha.1", "0.2.0-beta"),
        ("0.2.0-beta.2", "0.2.0-rc"),
    ],
)
def test_semver_precedence(older, newer):
    assert release.is_newer(newer, older)
    assert not release.is_newer(older, newer)
    assert not release.is_newer(newer, newer)


@pytest.mark.parametrize(
    ("semver", "python"), [("0.3.0", "0.3.0"), ("0.3.0-rc.1", "0.3.0rc1"), ("1.0.0-beta", "1.0.0b0")]
)
def test_python_packages_carry_the_pep_440_spelling(semver, python):
    assert release.pep440(semver) == python


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The repository's versioned files, copied as they are."""
    for place in release.places(ROOT):
        target = tmp_path / place.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / place.path, target)
    (tmp_path / "CHANGELOG.md").write_text(
        "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- a thing\n\n## [0.0.1] - 2026-01-01\n\n- the start\n"
    )
    return tmp_path


def run(*args: str) -> tuple[int, str]:
    from contextlib import redirect_stderr, redirect_stdout
    from io import StringIO

    out = StringIO()
    with redirect_stdout(out), redirect_stderr(out):
        status = release.main(list(args))
    return status, out.getvalue().strip()


def test_bump_writes_the_version_everywhere_and_dates_the_changelog_entry(repo):
    was = (repo / "VERSION").read_text().strip()

    status, said = run("--root", str(repo), "bump", "9.0.0")

    assert (status, said) == (0, f"release: {was} -> 9.0.0: {len(release.places(repo))} files and CHANGELOG.md")
    assert run("--root", str(repo), "check") == (0, "release: every place carries 9.0.0")
    assert tomllib.loads((repo / "shared/pyproject.toml").read_text())["project"]["version"] == "9.0.0"
    lock = json.loads((repo / "clients/web/package-lock.json").read_text())
    assert lock["version"] == lock["packages"][""]["version"] == "9.0.0"
    changelog = (repo / "CHANGELOG.md").read_text()
    assert re.search(
        r"## \[Unreleased\]\n\n## \[9\.0\.0\] - \d{4}-\d{2}-\d{2}\n\n### Added\n\n- a thing\n\n## \[0\.0\.1\]",
        changelog,
    ), changelog
    # Only the version changed in npm's files (its own layout kept).
    original = (ROOT / "clients/web/package.json").read_text()
    assert (repo / "clients/web/package.json").read_text() == original.replace(
        f'"version": "{was}"', '"version": "9.0.0"', 1
    )


def test_a_pre_release_is_spelled_for_each_tool(repo):
    assert run("--root", str(repo), "bump", "9.0.0-rc.1")[0] == 0
    assert 'version = "9.0.0rc1"' in (repo / "images/ingest/pyproject.toml").read_text()
    assert json.loads((repo / "clients/web/package.json").read_text())["version"] == "9.0.0-rc.1"
    assert run("--root", str(repo), "check")[0] == 0


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("0.0.1", "0.0.1 is not newer than"),
        ("9.0", "'9.0' is not a semantic version"),
        ("9.0.0+exp", "the Python packages cannot carry it"),
    ],
)
def test_bump_refuses_and_changes_nothing(repo, version, message):
    before = {p.path: (repo / p.path).read_text() for p in release.places(repo)}

    status, said = run("--root", str(repo), "bump", version)

    assert status == 1 and said.startswith("release: ") and message in said, said
    assert {p.path: (repo / p.path).read_text() for p in release.places(repo)} == before


def test_bump_refuses_a_release_with_no_notes(repo):
    (repo / "CHANGELOG.md").write_text("# Changelog\n\n## [Unreleased]\n\n## [0.0.1] - 2026-01-01\n\n- the start\n")

    assert run("--root", str(repo), "bump", "9.0.0") == (
        1,
        "release: nothing under ## [Unreleased] in CHANGELOG.md: write what 9.0.0 changes first",
    )
    assert (repo / "VERSION").read_text().strip() != "9.0.0"


def test_check_names_a_place_that_disagrees(repo):
    path = repo / "images/loader/pyproject.toml"
    path.write_text(re.sub(r'(?m)^version = "[^"]*"$', 'version = "0.0.9"', path.read_text(), count=1))
    version = (repo / "VERSION").read_text().strip()

    status, said = run("--root", str(repo), "check")

    assert status == 1
    assert said == f"release: versions disagree: images/loader/pyproject.toml: 0.0.9 (VERSION says {version})"
    assert run("--root", str(repo), "bump", "9.0.0")[0] == 1


def fake_docker(tmp_path: Path) -> Path:
    calls = tmp_path / "docker-calls"
    script = tmp_path / "docker"
    script.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    script.chmod(0o755)
    return script


def built_lock(repo: Path, version: str, digests: bool = False) -> Path:
    stages = sorted(p.parent.name for p in (repo / "images").glob("*/pyproject.toml"))
    lock = {
        "version": version,
        "stages": {
            s: {
                "image": f"sluice/{s}:abc123",
                "id": f"sha256:{s[0] * 64}",
                "digest": f"sha256:{s[1] * 64}" if digests else None,
            }
            for s in stages
        },
    }
    path = repo / "images.lock.json"
    path.write_text(json.dumps(lock))
    return path


def test_images_tags_every_stage_and_records_its_digests_in_the_entry(repo, tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER", str(fake_docker(tmp_path)))
    assert run("--root", str(repo), "bump", "9.0.0")[0] == 0
    built_lock(repo, "9.0.0")

    status, said = run("--root", str(repo), "images")

    assert status == 0, said
    calls = (tmp_path / "docker-calls").read_text().splitlines()
    assert calls == [
        f"tag sluice/{s}:abc123 sluice-{s}:9.0.0" for s in ("indexer", "ingest", "loader", "monitor", "processor")
    ]
    entry = (repo / "CHANGELOG.md").read_text().split("## [9.0.0]")[1].split("## [0.0.1]")[0]
    assert f"| `sluice-ingest:9.0.0` | `sha256:{'i' * 64}` | not pushed yet (`make push-images`) |" in entry
    assert entry.index("- a thing") < entry.index("### Images")

    # After a push the registry digests are recorded, in place of the first block
    built_lock(repo, "9.0.0", digests=True)
    assert run("--root", str(repo), "images")[0] == 0
    changelog = (repo / "CHANGELOG.md").read_text()
    assert changelog.count("### Images") == 1
    assert f"| `sluice-ingest:9.0.0` | `sha256:{'i' * 64}` | `sha256:{'n' * 64}` |" in changelog
    assert changelog.endswith("## [0.0.1] - 2026-01-01\n\n- the start\n")


def test_images_refuses_images_of_another_version(repo, tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER", str(fake_docker(tmp_path)))
    built_lock(repo, "0.0.0")
    version = (repo / "VERSION").read_text().strip()

    assert run("--root", str(repo), "images") == (
        1,
        f"release: images.lock.json holds images of 0.0.0, not {version}: run `make build-images`",
    )
    assert not (tmp_path / "docker-calls").exists()


def test_make_release_without_a_version_says_how(tmp_path):
    import subprocess

    result = subprocess.run(
        ["make", "-s", "release"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "VERSION": ""},
    )
    assert result.returncode == 2
    assert result.stdout.strip() == f"set VERSION=x.y.z (the one now: {(ROOT / 'VERSION').read_text().strip()})"


def test_files_lists_what_a_bump_writes_for_the_release_commit(repo):
    status, said = run("--root", str(repo), "files")

    assert status == 0
    assert said.splitlines() == [*(place.path for place in release.places(repo)), "CHANGELOG.md"]
