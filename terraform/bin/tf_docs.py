#!/usr/bin/env python3
"""Write each module's Inputs and Outputs tables into its README from variables.tf / outputs.tf.

    terraform/bin/tf_docs.py           # rewrite the tables between the markers
    terraform/bin/tf_docs.py --check   # exit 1 and name the stale READMEs

terraform-docs (Go) is not installable here, so this reads the HCL with python-hcl2 (PyPI, a test
requirement) and renders what terraform-docs' markdown table does: each variable's name, type,
default (or "required") and description, each output's name and description. It lives beside
tf-check rather than in the `sluice` package because it is about the Terraform tree, not the event
contract, and the images must not carry python-hcl2. `tests/unit/test_terraform_docs.py` fails
when a README is stale.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import hcl2

TERRAFORM = Path(__file__).resolve().parents[1]
BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"
HINT = "run: .venv/bin/python terraform/bin/tf_docs.py"


def module_dirs(root: Path = TERRAFORM) -> list[Path]:
    return sorted(path.parent for path in (root / "modules").glob("*/variables.tf"))


def _blocks(path: Path, kind: str) -> list[tuple[str, dict[str, Any]]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        parsed = hcl2.load(handle)
    return [(_unquote(label), body) for block in parsed.get(kind, []) for label, body in block.items()]


def _unquote(text: str) -> str:
    # python-hcl2 keeps a string literal's quotes (and its escapes): "\"a \\\"b\\\"\"" -> a "b"
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return text


def _expression(text: str) -> str:
    return text[2:-1] if text.startswith("${") and text.endswith("}") else text


def hcl_value(value: Any) -> str:
    """A default as it is written in HCL, on one line."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return _expression(value)  # a literal keeps its quotes, an expression loses its ${}
    if isinstance(value, list):
        return "[" + ", ".join(hcl_value(item) for item in value) + "]"
    if isinstance(value, dict):
        items = [f"{_unquote(key)} = {hcl_value(item)}" for key, item in value.items() if key != "__is_block__"]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    raise TypeError(f"no HCL spelling for {value!r}")


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _code(text: str) -> str:
    # A backtick inside a code span would end it: double the fence as CommonMark allows.
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def tables(module: Path) -> str:
    lines = ["## Inputs", "", "| name | type | default | description |", "|---|---|---|---|"]
    for name, body in _blocks(module / "variables.tf", "variable"):
        kind = _expression(body.get("type", "any"))
        default = _code(hcl_value(body["default"])) if "default" in body else "required"
        description = _cell(_unquote(body.get("description", "")))
        lines.append(f"| `{name}` | {_code(_cell(kind))} | {_cell(default)} | {description} |")
    lines += ["", "## Outputs", "", "| name | description |", "|---|---|"]
    for name, body in _blocks(module / "outputs.tf", "output"):
        lines.append(f"| `{name}` | {_cell(_unquote(body.get('description', '')))} |")
    return "\n".join(lines)


def rendered(module: Path) -> str:
    """The module's README with the generated block brought up to date."""
    readme = (module / "README.md").read_text(encoding="utf-8")
    block = f"{BEGIN}\n{tables(module)}\n{END}"
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(readme):
        raise SystemExit(f"{module / 'README.md'}: no {BEGIN} ... {END} markers to write the tables between")
    return pattern.sub(lambda _: block, readme, count=1)


def stale(root: Path = TERRAFORM) -> list[Path]:
    return [m / "README.md" for m in module_dirs(root) if rendered(m) != (m / "README.md").read_text(encoding="utf-8")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale READMEs (exit 1)")
    args = parser.parse_args(argv)
    if args.check:
        behind = stale()
        for path in behind:
            print(f"{path.relative_to(TERRAFORM.parent)} is stale; {HINT}", file=sys.stderr)
        return 1 if behind else 0
    for module in module_dirs():
        (module / "README.md").write_text(rendered(module), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
