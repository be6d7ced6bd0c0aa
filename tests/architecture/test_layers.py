"""Layers, bottom to top, with no upward import (docs/architecture.md).

core (crisis) → roster (responders) → programs → live operations (dispatch) → reports | integrations.
The top layer holds two packages side by side: neither imports the other.
The project wiring (the root URLconf and the ASGI entry point) sits above all
layers by nature and is the only exception. Imports inside functions count
too: a function-level import that dodges a circle is exactly what this test
is here to catch.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["crisis", "responders", "programs", "dispatch", "reports", "integrations"]
# Packages that share a layer: reports and integrations both sit on top of live operations.
LEVEL = {"crisis": 0, "responders": 1, "programs": 2, "dispatch": 3, "reports": 4, "integrations": 4}
WIRING = {"crisis/urls.py", "crisis/asgi.py"}


def _layer(module: str) -> int | None:
    top = module.split(".")[0]
    return LEVEL.get(top)


def _imports(path: Path, package: str) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the file's package
                base = package.split(".")
                base = base[: len(base) - node.level + 1] if node.level > 1 else base
                out.append(".".join(base + ([node.module] if node.module else [])))
            elif node.module:
                out.append(node.module)
    return out


def _modules():
    for top in LAYERS:
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if "/migrations/" in rel or rel in WIRING:
                continue
            package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
            yield rel, top, package, path


@pytest.mark.parametrize(("rel", "top", "package", "path"), list(_modules()), ids=lambda v: v if "/" in str(v) else "")
def test_no_module_imports_a_higher_layer(rel, top, package, path):
    own = LEVEL[top]
    imported = _imports(path, package)
    upward = [m for m in imported if (_layer(m) or -1) > own]
    # Side by side in one layer: a package of that layer may import only itself, never its neighbour.
    sideways = [m for m in imported if _layer(m) == own and m.split(".")[0] != top]
    assert not upward, f"{rel} (layer {top}) imports {upward}"
    assert not sideways, f"{rel} (layer {top}) imports its neighbour {sideways}"


def test_the_layer_check_catches_an_upward_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from dispatch import services\n")
    assert _imports(bad, "responders") == ["dispatch"]
    assert _layer("dispatch.services") > LEVEL["responders"]
    assert _layer("integrations.eido") == _layer("reports.views")  # neighbours: the sideways check applies
