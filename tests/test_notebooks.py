"""The notebooks are committed executed, share one settings cell and state their caveats.

Their outputs are compared by nbval (``make test``); these checks are the cheap ones that need no
kernel: a notebook committed without outputs would make nbval compare nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
CAVEAT_WORDS = ("synthetic", "assumed")


def _cells(path: Path, kind: str) -> list[dict]:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return [c for c in notebook["cells"] if c["cell_type"] == kind]


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 5


def test_every_notebook_starts_with_the_same_settings_cell():
    first = {path.name: _source(_cells(path, "code")[0]) for path in NOTEBOOKS}
    reference = first[NOTEBOOKS[0].name]
    assert "%matplotlib inline" in reference and "SEED" in reference and "DATA" in reference
    differing = [name for name, source in first.items() if source != reference]
    assert not differing, f"settings cell differs from {NOTEBOOKS[0].name} in {differing}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_executed(path):
    code = _cells(path, "code")
    counts = [c.get("execution_count") for c in code]
    assert all(isinstance(n, int) for n in counts), f"{path.name}: cells not executed"
    assert counts == list(range(1, len(code) + 1)), f"{path.name}: not executed top to bottom"
    errors = [o for c in code for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors, f"{path.name}: committed with an error output"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_states_its_caveats(path):
    text = "\n".join(_source(c) for c in _cells(path, "markdown")).lower()
    assert "caveats" in text, f"{path.name}: no caveats section"
    missing = [w for w in CAVEAT_WORDS if w not in text]
    assert not missing, f"{path.name}: caveats do not mention {missing}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_shows_no_timings_or_machine_paths(path):
    shown = "\n".join(
        "".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
        for c in _cells(path, "code") for o in c.get("outputs", []))
    assert str(Path.home()) not in shown and "/work/" not in shown, f"{path.name}: a path"
    assert "seconds" not in shown, f"{path.name}: a timing in the outputs"
