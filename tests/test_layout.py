"""The package's layout is its trust boundary: these tests keep it so.

harness/common (shared values), harness/wire (between parent and children) and harness/parent (the trusted
parent) never import torch or the children's code; nothing imports in a circle; no module reaches for
another package's private names (bench/ included: what it needs is public).
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "harness"
# The parent side: what `kb grade` runs in the process that decides the verdict, and the tools that stay there.
# Packages are imported with every module in them.
TORCH_FREE = ("harness.common", "harness.wire", "harness.parent", "harness", "harness.tools.cli",
              "harness.tools.sweep", "harness.tools.results", "harness.tools.samples", "harness.tools.report",
              "harness.tools.lint")
# Which packages each package may import (itself always).
MAY_IMPORT = {
    "common": set(),
    "wire": {"common"},
    "parent": {"common", "wire"},
    "child": {"common", "wire"},
    "tools": {"common", "wire", "parent", "child"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def harness_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path, name: str) -> list[tuple[str, list[str], int]]:
    """Every import in the file, at any depth (lazy ones too): (module, names taken from it, line)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.extend((alias.name, [], node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [alias.name for alias in node.names]
            found.append((target, names, node.lineno))
    return found


def edges() -> dict[str, set[str]]:
    """Module -> the harness modules it imports (a name imported from a package that is a module counts as it)."""
    modules = harness_modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for target, names, _ in imports(path, name):
            for candidate in [f"{target}.{n}" for n in names] + [target]:
                if candidate in modules and candidate != name:
                    graph[name].add(candidate)
                    if candidate != target:
                        break
    return graph


def test_the_parent_side_imports_without_torch_or_the_childrens_code():
    script = f"""
import importlib, pkgutil, sys
from importlib.abc import MetaPathFinder

class Refuse(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch.") or name.startswith("harness.child"):
            raise ImportError(f"the parent side imported {{name}}")
        return None

sys.meta_path.insert(0, Refuse())
loaded = []
for root in {TORCH_FREE!r}:
    module = importlib.import_module(root)
    loaded.append(root)
    if root == "harness":
        continue  # the public face: its own imports, not every package under it
    for info in pkgutil.walk_packages(getattr(module, "__path__", []), root + "."):
        importlib.import_module(info.name)
        loaded.append(info.name)
print(len(loaded), "modules")
"""
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    assert int(run.stdout.split()[0]) >= 20, run.stdout


def test_no_module_imports_in_a_circle():
    graph = edges()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import loop: " + " -> ".join(path[path.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert len(graph) >= 30  # the walk saw the whole package


def test_each_package_imports_only_the_packages_below_it():
    wrong = []
    for name, targets in edges().items():
        parts = name.split(".")
        if len(parts) < 3:
            continue  # harness/__init__.py and __main__.py: the public face, over everything
        own = parts[1]
        for target in targets:
            other = target.split(".")[1] if target.count(".") >= 1 else ""
            if other and other != own and other not in MAY_IMPORT[own]:
                wrong.append(f"{name} imports {target}")
    assert not wrong, wrong


def test_no_private_name_is_taken_from_another_package_or_by_bench():
    """`from harness.x import _y` or `x._y` on a harness module, across packages or from bench/: what another part
    needs is public API."""
    offences = []
    files = {name: path for name, path in harness_modules().items()}
    files.update({f"bench.{p.stem}": p for p in (ROOT / "bench").rglob("*.py")})
    files.update({f"tests.{p.stem}": p for p in (ROOT / "tests").rglob("test_*.py")})
    for name, path in files.items():
        own = name.split(".")[1] if name.startswith("harness.") and name.count(".") >= 2 else name
        tree = ast.parse(path.read_text())
        aliases: dict[str, str] = {}
        for target, names, line in imports(path, name):
            if not target.startswith("harness"):
                continue
            other = target.split(".")[1] if target.count(".") >= 1 else "harness"
            for taken in names:
                aliases[taken] = f"{target}.{taken}"
                if taken.startswith("_") and other != own:
                    offences.append(f"{path.relative_to(ROOT)}:{line} takes {target}.{taken}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.attr.startswith("_") \
                    and not node.attr.startswith("__") and node.value.id in aliases:
                module = aliases[node.value.id]
                other = module.split(".")[1] if module.count(".") >= 1 else "harness"
                if other != own:
                    offences.append(f"{path.relative_to(ROOT)}:{node.lineno} uses {module}.{node.attr}")
    assert not offences, offences


def test_design_md_lists_every_module_where_it_is():
    """docs/design.md's layout block names each module under its folder, and nothing that is not there."""
    text = (ROOT / "docs" / "design.md").read_text()
    block = text.split("```", 2)[1]
    listed: dict[str, set[str]] = {}
    folder = ""
    for line in block.splitlines():
        words = line.replace(",", " ").replace("(", " ").replace(")", " ").split()
        if words and words[0].endswith("/"):
            folder = words[0].rstrip("/")  # a folder's line, and its modules named on it
        elif not line.startswith("    "):
            folder = "harness"  # a module of the package's own, at the top
        names = [word for word in words if word.endswith(".py") and word != "__init__.py"]
        listed.setdefault(folder, set()).update(names)
    actual: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        if path.name != "__init__.py":
            actual.setdefault(path.parent.name, set()).add(path.name)
    assert {k: v for k, v in listed.items() if v} == actual
