"""The modules' Inputs and Outputs tables are generated from variables.tf / outputs.tf."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _tf_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tf_docs", ROOT / "terraform/bin/tf_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["tf_docs"] = module
    spec.loader.exec_module(module)
    return module


tf_docs = _tf_docs()


def _row(readme: str, name: str) -> list[str]:
    line = next(line for line in readme.splitlines() if line.startswith(f"| `{name}` |"))
    return [cell.strip() for cell in line.strip("|").split(" | ")]


def test_every_module_readme_is_generated_from_its_variables_and_outputs():
    assert tf_docs.module_dirs(), "no modules found"
    assert tf_docs.stale() == [], tf_docs.HINT


def test_a_variable_with_a_default_shows_it_and_one_without_says_required():
    readme = (ROOT / "terraform/modules/registry/README.md").read_text()
    assert _row(readme, "prefix")[1:3] == ["`string`", '`"sluice"`']
    assert _row(readme, "stages")[2] == '`["ingest", "processor", "indexer", "loader", "monitor"]`'
    assert _row(readme, "kms_key_arn")[2] == "`null`"
    pipeline = (ROOT / "terraform/modules/pipeline/README.md").read_text()
    assert _row(pipeline, "images")[1:3] == ["`map(string)`", "required"]
    assert _row(pipeline, "reserved_concurrency")[2] == (
        "`{ ingest = 100, processor = 20, indexer = 10, loader = 5, monitor = 10 }`"
    )


def test_a_changed_description_makes_the_readme_stale(tmp_path):
    module = tmp_path / "modules/example"
    module.mkdir(parents=True)
    (module / "variables.tf").write_text(
        'variable "name" {\n  description = "The name | with a pipe."\n  type = string\n}\n'
    )
    (module / "outputs.tf").write_text('output "id" {\n  description = "The \\"id\\"."\n  value = 1\n}\n')
    (module / "README.md").write_text(f"# example\n\n{tf_docs.BEGIN}\n{tf_docs.END}\n")
    assert tf_docs.stale(tmp_path) == [module / "README.md"]
    (module / "README.md").write_text(tf_docs.rendered(module))
    assert tf_docs.stale(tmp_path) == []
    readme = (module / "README.md").read_text()
    assert "| `name` | `string` | required | The name \\| with a pipe. |" in readme
    assert '| `id` | The "id". |' in readme
