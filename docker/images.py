#!/usr/bin/env python3
"""Build, push and run Sluice's images (behind `make build-images`, `make push-images`,
`make run-image`). Standard library only: it runs before any virtualenv exists.

    python3 docker/images.py build [--stages ingest processor] [--python-image IMAGE]
    python3 docker/images.py push --registry 123456789012.dkr.ecr.eu-west-1.amazonaws.com
    python3 docker/images.py run --stage ingest

Builds tag ``sluice/<stage>:<version>`` and ``sluice/<stage>:<git revision>`` and write
``images.lock.json``: per stage the image, its id, the base it was built on and, after a push,
the registry digest that the Terraform stacks pin.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A stage is a directory under images/ with a pyproject.toml; images/Dockerfile builds any of them.
STAGES = tuple(sorted(p.parent.name for p in (ROOT / "images").glob("*/pyproject.toml")))
LOCK = ROOT / "images.lock.json"
DEFAULT_PYTHON_IMAGE = "python:3.12.8-slim-bookworm"


def fail(message: str) -> None:
    print(f"images: {message}", file=sys.stderr)
    sys.exit(1)


def docker_command() -> tuple[list[str], dict[str, str]]:
    """A client that can build with BuildKit: ``$DOCKER``, or ``docker buildx``, or a client that
    still has BuildKit built in (Docker before 23, e.g. Debian's docker.io) with DOCKER_BUILDKIT=1."""
    env = {**os.environ, "DOCKER_BUILDKIT": "1"}
    explicit = os.environ.get("DOCKER")
    candidates = [explicit] if explicit else [shutil.which("docker"), "/usr/bin/docker", "/usr/local/bin/docker"]
    for client in [c for c in candidates if c and Path(c).exists()]:
        if subprocess.run([client, "buildx", "version"], capture_output=True, check=False).returncode == 0:
            return [client, "buildx", "build", "--load"], env
        version = subprocess.run(
            [client, "version", "--format", "{{.Client.Version}}"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if version and int(version.split(".")[0]) < 23:
            return [client, "build"], env
    fail(
        "no Docker client that can build with BuildKit: install the buildx plugin, or set DOCKER to a client older than 23"
    )
    raise AssertionError


def docker() -> str:
    return os.environ.get("DOCKER") or shutil.which("docker") or "docker"


def version() -> str:
    """The repository's one version (VERSION; scripts/release.py keeps every other place equal)."""
    return (ROOT / "VERSION").read_text().strip()


def revision() -> str:
    rev = (
        subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()
        or "unknown"
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "shared", "images", "docker"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return f"{rev}-dirty" if dirty else rev


def ca_secret() -> list[str]:
    """A proxy CA for pip inside the build, as a BuildKit secret (never a layer)."""
    for candidate in (os.environ.get("SLUICE_BUILD_CA"), os.environ.get("PIP_CERT"), os.environ.get("SSL_CERT_FILE")):
        if candidate and Path(candidate).is_file():
            return ["--secret", f"id=pip_ca,src={candidate}"]
    return []


def inspect(image: str) -> dict[str, object]:
    raw = subprocess.run([docker(), "image", "inspect", image], capture_output=True, text=True, check=True).stdout
    (info,) = json.loads(raw)
    return {
        "id": info["Id"],
        "size_bytes": info["Size"],
        "layers": len(info["RootFS"]["Layers"]),
        "repo_digests": info.get("RepoDigests") or [],
    }


def build(args: argparse.Namespace) -> None:
    command, env = docker_command()
    ver, rev = version(), revision()
    secret = ca_secret()
    base_tag = f"sluice/base:{rev}"
    print(f"building sluice {ver} at {rev} on {args.python_image}")
    subprocess.run(
        [
            *command,
            "-f",
            "docker/Dockerfile",
            "--build-arg",
            f"PYTHON_IMAGE={args.python_image}",
            "--build-arg",
            f"VERSION={ver}",
            *secret,
            "-t",
            base_tag,
            "-t",
            f"sluice/base:{ver}",
            ".",
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    base = inspect(base_tag)
    lock = json.loads(LOCK.read_text()) if LOCK.exists() else {"stages": {}}
    lock.update(
        {
            "version": ver,
            "git_revision": rev,
            "python_image": args.python_image,
            "base": {"image": base_tag, "id": base["id"]},
        }
    )
    for stage in args.stages:
        tag = f"sluice/{stage}:{rev}"
        subprocess.run(
            [
                *command,
                "-f",
                "images/Dockerfile",
                "--build-arg",
                f"STAGE={stage}",
                "--build-arg",
                f"BASE_IMAGE={base_tag}",
                "--build-arg",
                f"VERSION={ver}",
                *secret,
                "-t",
                tag,
                "-t",
                f"sluice/{stage}:{ver}",
                ".",
            ],
            cwd=ROOT,
            env=env,
            check=True,
        )
        info = inspect(tag)
        lock["stages"][stage] = {
            "image": tag,
            "id": info["id"],
            "size_bytes": info["size_bytes"],
            "layers": info["layers"],
            "base": base_tag,
            "base_id": base["id"],
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "digest": None,  # set by a push: the registry's content digest
            "uri": None,
        }
        print(f"  {tag:<40} {info['size_bytes'] / 1e6:6.1f} MB  {info['layers']} layers  {str(info['id'])[:19]}")
    LOCK.write_text(json.dumps(lock, indent=2) + "\n")
    print(f"wrote {LOCK.relative_to(ROOT)}")


def push(args: argparse.Namespace) -> None:
    if not LOCK.exists():
        fail("no images.lock.json: run `make build-images` first")
    lock = json.loads(LOCK.read_text())
    registry = args.registry.rstrip("/")
    for stage, entry in lock["stages"].items():
        if args.stages and stage not in args.stages:
            continue
        remote = f"{registry}/sluice-{stage}:{lock['git_revision']}"
        subprocess.run([docker(), "tag", entry["image"], remote], check=True)
        subprocess.run([docker(), "push", remote], check=True)
        digests = [d for d in inspect(remote)["repo_digests"] if str(d).startswith(f"{registry}/sluice-{stage}@")]
        if not digests:
            fail(f"{remote}: the registry returned no digest")
        entry["digest"] = str(digests[0]).split("@", 1)[1]
        entry["uri"] = str(digests[0])
        print(f"  {stage:<10} {entry['uri']}")
    LOCK.write_text(json.dumps(lock, indent=2) + "\n")


def tfvars(args: argparse.Namespace) -> None:
    """The aws stack's image pins, from the lock file's registry digests."""
    if not LOCK.exists():
        fail("no images.lock.json: run `make build-images` and `make push-images` first")
    lock = json.loads(LOCK.read_text())
    missing = [stage for stage in STAGES if not (lock["stages"].get(stage) or {}).get("uri")]
    if missing:
        fail(f"no registry digest for {', '.join(missing)}: run `make push-images REGISTRY=...` first")
    images = {stage: lock["stages"][stage]["uri"] for stage in STAGES}
    Path(args.output).write_text(json.dumps({"images": images}, indent=2) + "\n")
    print(f"wrote {args.output}: {lock['git_revision']}")


def run(args: argparse.Namespace) -> None:
    """Under the official Runtime Interface Emulator, mounted from the host as AWS documents."""
    rie_dir = Path(os.environ.get("SLUICE_RIE_DIR", Path.home() / ".aws-lambda-rie")).expanduser()
    if not (rie_dir / "aws-lambda-rie").exists():
        fail(
            f"no emulator at {rie_dir}/aws-lambda-rie. Download it once:\n"
            f"  mkdir -p {rie_dir} && curl -Lo {rie_dir}/aws-lambda-rie "
            "https://github.com/aws/aws-lambda-runtime-interface-emulator/releases/latest/download/aws-lambda-rie && "
            f"chmod +x {rie_dir}/aws-lambda-rie"
        )
    lock = json.loads(LOCK.read_text()) if LOCK.exists() else {"stages": {}}
    image = lock.get("stages", {}).get(args.stage, {}).get("image") or f"sluice/{args.stage}:{version()}"
    env_file = ROOT / f"images/{args.stage}/local.env"
    command = [docker(), "run", "--rm", "-p", f"{args.port}:8080", "-v", f"{rie_dir}:/aws-lambda:ro"]
    if env_file.exists():
        command += ["--env-file", str(env_file)]
    command.append(image)
    print("invoke it from another shell with:")
    print(
        f"  curl -s -XPOST http://localhost:{args.port}/2015-03-31/functions/function/invocations -d @images/{args.stage}/example-event.json"
    )
    os.execvp(command[0], command)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="images", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="action", required=True)
    b = sub.add_parser("build", help="build the base and the stage images, write images.lock.json")
    b.add_argument("--stages", nargs="*", default=list(STAGES), choices=STAGES)
    b.add_argument("--python-image", default=os.environ.get("PYTHON_IMAGE") or DEFAULT_PYTHON_IMAGE)
    b.set_defaults(run=build)
    p = sub.add_parser("push", help="push to a registry and record the digests")
    p.add_argument("--registry", required=True)
    p.add_argument("--stages", nargs="*", choices=STAGES)
    p.set_defaults(run=push)
    t = sub.add_parser("tfvars", help="write the aws stack's image pins from the lock file")
    t.add_argument("--output", default=str(ROOT / "terraform/envs/aws/images.auto.tfvars.json"))
    t.set_defaults(run=tfvars)
    r = sub.add_parser("run", help="run one stage under the Runtime Interface Emulator")
    r.add_argument("--stage", required=True, choices=STAGES)
    r.add_argument("--port", type=int, default=9000)
    r.set_defaults(run=run)
    args = parser.parse_args()
    try:
        args.run(args)
    except subprocess.CalledProcessError as exc:
        fail(f"{' '.join(map(str, exc.cmd[:4]))} ... failed with status {exc.returncode}")


if __name__ == "__main__":
    main()
