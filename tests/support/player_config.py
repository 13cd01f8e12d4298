"""The players' own CMCD configurations, read from the README's block (one source for the docs and
the browser tests): each ``// <player>`` comment in the js snippet after ``**CMCD, from the player
itself.**`` starts that player's statement, which the test page runs as written."""

from __future__ import annotations

import json
from pathlib import Path

MARKER = "**CMCD, from the player itself.**"
# The README's comment for each player -> the page's name for it.
PLAYERS = {"hls.js": "hls.js", "dash.js": "dash.js", "Shaka Player": "shaka"}


def cmcd_snippets(readme: Path) -> dict[str, str]:
    """Each player's configuration statement, exactly as the README shows it."""
    text = readme.read_text(encoding="utf-8")
    if MARKER not in text:
        raise ValueError(f"{readme} has no {MARKER!r} block")
    after = text[text.index(MARKER) :]
    start = after.index("```js\n") + len("```js\n")
    block = after[start : after.index("```", start)]
    snippets: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in block.splitlines():
        if line.startswith("// ") and line[3:].strip() in PLAYERS:
            current = snippets.setdefault(PLAYERS[line[3:].strip()], [])
        elif current is not None:
            current.append(line)
    missing = set(PLAYERS.values()) - set(snippets)
    if missing:
        raise ValueError(f"the README's CMCD block has no configuration for {sorted(missing)}")
    return {name: "\n".join(lines).strip() for name, lines in snippets.items()}


def write_cmcd_module(readme: Path, destination: Path) -> None:
    """``cmcd-config.js`` for the page: ``cmcdConfig(name, scope)`` runs the README's statement
    for ``name`` with the README's variables (collector, contentId, sid; ``player`` for dash.js
    and Shaka) taken from ``scope``. hls.js's statement constructs ``Hls``: here that
    constructor hands back its configuration, which the page merges into its own."""
    cases = "\n".join(
        f"    case {json.dumps(name)}:\n      return {snippet}" for name, snippet in cmcd_snippets(readme).items()
    )
    destination.write_text(
        "// Written by the browser test from the README's CMCD block: do not edit.\n"
        "export function cmcdConfig(name, scope) {\n"
        "  const { collector, contentId, sid, player } = scope;\n"
        "  const Hls = class { constructor(config) { return config; } };\n"
        "  switch (name) {\n"
        f"{cases}\n"
        "  }\n"
        "  throw new Error(`no CMCD configuration for ${name}`);\n"
        "}\n",
        encoding="utf-8",
    )
