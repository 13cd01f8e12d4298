"""Schema compatibility by the Avro resolution rules (Avro spec, "Schema Resolution").

BACKWARD: a reader with the new schema can read data written with an old one. Sluice's policy is
BACKWARD_TRANSITIVE: every new version reads data from *every* earlier version, because records of
any age can still sit in a stream, the lake or the failed-event store.
"""

from __future__ import annotations

from typing import Any

__all__ = ["backward_problems", "backward_transitive_problems"]

# Writer type -> reader types it may be promoted to.
_PROMOTIONS = {
    "int": {"int", "long", "float", "double"},
    "long": {"long", "float", "double"},
    "float": {"float", "double"},
    "string": {"string", "bytes"},
    "bytes": {"bytes", "string"},
}


class _Names:
    """Named types seen while walking a schema, so a reference by name resolves."""

    def __init__(self) -> None:
        self.types: dict[str, dict[str, Any]] = {}

    def resolve(self, schema: Any, namespace: str | None) -> Any:
        if isinstance(schema, str) and schema not in _PRIMITIVES:
            full = schema if "." in schema or not namespace else f"{namespace}.{schema}"
            return self.types.get(full) or self.types.get(schema) or schema
        if isinstance(schema, dict) and "name" in schema:
            self.types[_fullname(schema, namespace)] = schema
        return schema


_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})


def _fullname(schema: dict[str, Any], namespace: str | None) -> str:
    name = str(schema["name"])
    if "." in name:
        return name
    space = schema.get("namespace", namespace)
    return f"{space}.{name}" if space else name


def _kind(schema: Any) -> str:
    if isinstance(schema, list):
        return "union"
    if isinstance(schema, dict):
        kind = schema["type"]
        return _kind(kind) if isinstance(kind, list | dict) else str(kind)
    return str(schema)


def _short(schema: Any) -> str:
    return str(schema["name"]).rsplit(".", 1)[-1] if isinstance(schema, dict) and "name" in schema else ""


class _Checker:
    def __init__(self) -> None:
        self.writer_names = _Names()
        self.reader_names = _Names()
        self.problems: list[str] = []
        self._seen: set[tuple[int, int]] = set()

    def check(self, writer: Any, reader: Any, path: str, wns: str | None, rns: str | None) -> bool:
        writer = self.writer_names.resolve(writer, wns)
        reader = self.reader_names.resolve(reader, rns)
        if isinstance(writer, dict) and isinstance(writer.get("type"), dict | list):
            writer = writer["type"]
        if isinstance(reader, dict) and isinstance(reader.get("type"), dict | list):
            reader = reader["type"]
        key = (id(writer), id(reader))
        if key in self._seen:  # recursive types: assume compatible on the second visit
            return True
        self._seen.add(key)
        wk, rk = _kind(writer), _kind(reader)
        if wk == "union":
            return all(self._union_branch(b, reader, path, wns, rns) for b in writer)
        if rk == "union":
            if any(self._quiet(writer, b, path, wns, rns) for b in reader):
                return True
            return self._problem(path, f"writer type {wk} matches no branch of the reader's union")
        if wk in _PRIMITIVES or rk in _PRIMITIVES:
            if rk in _PROMOTIONS.get(wk, {wk}):
                return True
            return self._problem(path, f"writer type {wk} cannot be read as {rk}")
        if wk != rk:
            return self._problem(path, f"writer type {wk} cannot be read as {rk}")
        if _short(writer) != _short(reader) and _short(writer) not in reader.get("aliases", []):
            return self._problem(path, f"named type {_short(writer)} cannot be read as {_short(reader)}")
        wns2 = _fullname(writer, wns).rpartition(".")[0] or wns
        rns2 = _fullname(reader, rns).rpartition(".")[0] or rns
        if wk == "record":
            return self._record(writer, reader, path, wns2, rns2)
        if wk == "enum":
            missing = set(writer["symbols"]) - set(reader["symbols"])
            if missing and "default" not in reader:
                return self._problem(path, f"reader enum lacks symbols {sorted(missing)} and has no default")
            return True
        if wk == "fixed":
            if writer["size"] != reader["size"]:
                return self._problem(path, f"fixed size {writer['size']} cannot be read as {reader['size']}")
            return True
        if wk == "array":
            return self.check(writer["items"], reader["items"], f"{path}[]", wns2, rns2)
        if wk == "map":
            return self.check(writer["values"], reader["values"], f"{path}{{}}", wns2, rns2)
        return self._problem(path, f"unknown type {wk}")

    def _record(
        self, writer: dict[str, Any], reader: dict[str, Any], path: str, wns: str | None, rns: str | None
    ) -> bool:
        ok = True
        writer_fields = {f["name"]: f for f in writer["fields"]}
        for field in reader["fields"]:
            names = [field["name"], *field.get("aliases", [])]
            match = next((writer_fields[n] for n in names if n in writer_fields), None)
            child = f"{path}.{field['name']}" if path else field["name"]
            if match is None:
                if "default" not in field:
                    ok = self._problem(child, "field added without a default")
                continue
            ok = self.check(match["type"], field["type"], child, wns, rns) and ok
        return ok

    def _union_branch(self, branch: Any, reader: Any, path: str, wns: str | None, rns: str | None) -> bool:
        if _kind(reader) == "union":
            if any(self._quiet(branch, b, path, wns, rns) for b in reader):
                return True
            name = _short(self.writer_names.resolve(branch, wns)) or _kind(branch)
            same_name = [b for b in reader if name and _short(self.reader_names.resolve(b, rns)) == name]
            if same_name:  # the branch is still there but changed: say what changed
                return self.check(branch, same_name[0], f"{path}<{name}>", wns, rns)
            return self._problem(path, f"writer union branch {name} matches no branch of the reader's union")
        return self.check(branch, reader, path, wns, rns)

    def _quiet(self, writer: Any, reader: Any, path: str, wns: str | None, rns: str | None) -> bool:
        """Try one pairing without recording problems (used to pick a union branch)."""
        saved, self.problems = self.problems, []
        seen = set(self._seen)
        try:
            w, r = self.writer_names.resolve(writer, wns), self.reader_names.resolve(reader, rns)
            if _kind(w) != _kind(r) and not (_kind(w) in _PRIMITIVES and _kind(r) in _PROMOTIONS.get(_kind(w), set())):
                return False
            if _short(w) != _short(r):
                return False
            return self.check(w, r, path, wns, rns) and not self.problems
        finally:
            self.problems, self._seen = saved, seen

    def _problem(self, path: str, message: str) -> bool:
        self.problems.append(f"{path or '<root>'}: {message}")
        return False


def backward_problems(writer: Any, reader: Any) -> list[str]:
    """Why data written with ``writer`` cannot be read with ``reader`` (empty when it can)."""
    checker = _Checker()
    checker.check(writer, reader, "", None, None)
    return checker.problems


def backward_transitive_problems(earlier: list[Any], proposed: Any) -> list[str]:
    """Problems reading data of every earlier version with the proposed schema."""
    problems = []
    for index, writer in enumerate(earlier, start=1):
        problems += [f"v{index}: {p}" for p in backward_problems(writer, proposed)]
    return problems
