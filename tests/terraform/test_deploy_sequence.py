"""The runbook's deploy sequence (terraform/README.md, "Deploy") plans as written: each of its
`terraform apply` lines is planned, in its order, in a copy of envs/aws with the example variables
(terraform.tfvars.example, as the runbook copies it) against moto in server mode, so no account is
needed. Between the first and the last, the images are pinned as `make tf-images` writes them."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "terraform"
STAGES = ("ingest", "processor", "indexer", "loader", "monitor")


def _deploy_block() -> list[str]:
    runbook = (TERRAFORM / "README.md").read_text()
    section = runbook.split("## Deploy", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block, "terraform/README.md: no sh block under ## Deploy"
    return [line.split("#", 1)[0].strip() for line in block.group(1).splitlines() if line.strip()]


def _applies(lines: list[str]) -> list[list[str]]:
    """The arguments of each `terraform apply` the runbook runs (after any `cd ... &&`)."""
    found = []
    for line in lines:
        for command in line.split("&&"):
            words = shlex.split(command)
            if words[:2] == ["terraform", "apply"]:
                found.append(words[2:])
    return found


def _mirror() -> str:
    """The local plugin mirror of hashicorp/aws, where terraform/bin/tf-check looks for it."""
    if os.environ.get("TF_PLUGIN_DIR"):
        return os.environ["TF_PLUGIN_DIR"]
    roots = [
        "/opt/tf-plugins",
        "~/.terraform.d/plugins",
        "/usr/share/terraform/plugins",
        "/usr/local/share/terraform/plugins",
    ]
    for root in (Path(r).expanduser() for r in roots):
        if any(root.glob("registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws*")):
            return str(root)
    pytest.skip("no local mirror of the hashicorp/aws provider (set TF_PLUGIN_DIR)")


@pytest.fixture(scope="module")
def stack(tmp_path_factory, moto_url):
    if shutil.which("terraform") is None:
        pytest.skip("terraform is not installed")
    copy = tmp_path_factory.mktemp("tf")
    for part in ("modules", "generated"):
        shutil.copytree(TERRAFORM / part, copy / part, ignore=shutil.ignore_patterns(".terraform*", "tests"))
    shutil.copytree(TERRAFORM / "envs/aws", copy / "envs/aws", ignore=shutil.ignore_patterns(".terraform*", "tests"))
    stack = copy / "envs/aws"
    # The runbook's first steps: the example variables; the S3 backend stays an example here.
    shutil.copy(stack / "terraform.tfvars.example", stack / "terraform.tfvars")
    env = {
        **os.environ,
        "TF_IN_AUTOMATION": "1",
        "TF_CLI_CONFIG_FILE": "/dev/null",
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "eu-west-1",
        "TF_VAR_origin_verify_token": "0123456789abcdef" * 4,
    }
    init = subprocess.run(
        ["terraform", f"-chdir={stack}", "init", "-input=false", "-no-color", f"-plugin-dir={_mirror()}"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert init.returncode == 0, init.stdout + init.stderr
    return stack, env


def _plan(stack: Path, env: dict[str, str], args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["terraform", f"-chdir={stack}", "plan", "-input=false", "-no-color", "-lock=false", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )


def _pin_images(stack: Path) -> None:
    """What `make tf-images` writes after `make push-images` (docker/images.py tfvars)."""
    images = {
        stage: f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/sluice-{stage}@sha256:{str(n) * 64}"
        for n, stage in enumerate(STAGES, start=1)
    }
    (stack / "images.auto.tfvars.json").write_text(json.dumps({"images": images}, indent=2) + "\n")


def test_the_runbook_makes_the_registry_first_and_the_stack_after_the_images():
    lines = _deploy_block()
    position = {
        step: next(i for i, line in enumerate(lines) if step in line)
        for step in ("-target=module.registry", "make push-images", "make tf-images")
    }
    assert position["-target=module.registry"] < position["make push-images"] < position["make tf-images"]
    assert _applies(lines)[-1] == [], "the last step applies the whole stack"


def test_every_apply_of_the_runbook_plans_with_the_example_variables(stack):
    stack_dir, env = stack
    first, *rest = _applies(_deploy_block())
    # GIVEN the example variables and no images yet WHEN the first step is planned
    registry = _plan(stack_dir, env, first)
    # THEN it plans the five repositories and nothing of the pipeline
    assert registry.returncode == 0, registry.stdout[-4000:] + registry.stderr[-4000:]
    for stage in STAGES:
        assert f'module.registry.aws_ecr_repository.stage["{stage}"] will be created' in registry.stdout
    assert "module.sluice." not in registry.stdout
    # GIVEN the images pushed and pinned WHEN each later step is planned THEN the whole stack plans
    _pin_images(stack_dir)
    for args in rest:
        planned = _plan(stack_dir, env, args)
        assert planned.returncode == 0, planned.stdout[-4000:] + planned.stderr[-4000:]
        assert "module.sluice.module.processor.aws_lambda_function.this" in planned.stdout
        assert "module.registry.aws_ecr_repository.stage" in planned.stdout


def test_the_whole_stack_without_images_says_how_to_pin_them(stack):
    stack_dir, env = stack
    (stack_dir / "images.auto.tfvars.json").unlink(missing_ok=True)
    planned = _plan(stack_dir, env, [])
    assert planned.returncode != 0
    assert "make tf-images" in " ".join(planned.stderr.split())
