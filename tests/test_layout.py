"""The layering is a contract: import-linter's contracts (pyproject.toml) and no reaching into
another room's private names (docs/architecture.md, "Layers")."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ("node", "sync", "signing", "wuji")


def lint_imports(*args: str) -> subprocess.CompletedProcess[str]:
    program = "from importlinter.cli import lint_imports_command; lint_imports_command()"
    command = [sys.executable, "-c", program]
    return subprocess.run([*command, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def room_of(module: str) -> str:
    """node.cases.service → node.cases; sync.link → sync; node.errors → node."""
    parts = module.split(".")
    if parts[0] == "node" and len(parts) > 2:
        return ".".join(parts[:2])
    return parts[0]


def private_reaches(source: str, module: str) -> list[str]:
    """Names starting with `_` that `module`'s source takes from a module of another room."""
    tree = ast.parse(source)
    here = room_of(module)
    found: list[str] = []
    imported_modules: dict[str, str] = {}  # local name → module of another room
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or not node.module or node.module.split(".")[0] not in ROOMS:
            continue
        for alias in node.names:
            target = f"{node.module}.{alias.name}"
            if alias.name.startswith("_") and room_of(node.module) != here:
                found.append(f"{module} imports {target}")
            elif room_of(target) != here:
                imported_modules[alias.asname or alias.name] = target
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in imported_modules
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            found.append(f"{module} uses {imported_modules[node.value.id]}.{node.attr}")
    return found


def test_import_contracts_are_kept():
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_broken_contract_is_reported(tmp_path):
    # the same tool on a contract the code does not keep: it must say so
    config = tmp_path / "contracts.toml"
    config.write_text(
        '[tool.importlinter]\nroot_packages = ["node"]\n'
        "[[tool.importlinter.contracts]]\n"
        'name = "runtime without cases"\ntype = "forbidden"\n'
        'source_modules = ["node.runtime"]\nforbidden_modules = ["node.cases"]\n'
    )
    result = lint_imports("--config", str(config))
    assert result.returncode != 0
    assert "BROKEN" in result.stdout


def test_no_room_reaches_into_another_rooms_private_names() -> None:
    problems: list[str] = []
    for top in ROOMS:
        for path in (ROOT / top).rglob("*.py"):
            if "migrations" in path.parts or path.name.endswith(("_pb2.py", "_pb2_grpc.py")):
                continue
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            problems += private_reaches(path.read_text(), module)
    assert problems == []


def test_a_private_reach_is_found():
    source = (
        "from node.cases import eventlog\nfrom node.store.models import _hidden\neventlog._locked_head()\n"
    )
    assert private_reaches(source, "node.supervision.cards") == [
        "node.supervision.cards imports node.store.models._hidden",
        "node.supervision.cards uses node.cases.eventlog._locked_head",
    ]
    in_cases = private_reaches(source, "node.cases.service")
    assert in_cases == ["node.cases.service imports node.store.models._hidden"]
