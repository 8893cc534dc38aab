"""Imports only go down: the import-linter contracts in pyproject.toml hold, and they
break on a deliberate violation (so the check cannot pass by checking nothing).

Layers, top to bottom: app.py, the `geofm` command (agent.cli), benchmarks, finetune;
agent (the LLM runtime and loop); tools; corpus; common (errors, atomic writes, paths).
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("agent", "benchmarks", "finetune", "tools", "corpus", "common")
CONTRACTS = [
    c["name"]
    for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"
    ]
]

# One violation per contract, each a function-local import (those count too).
VIOLATIONS = {
    "tools/literature.py": ("from agent.loop import GeoAgent", "tools.literature -> agent.loop"),
    "agent/steps.py": ("from agent.cli import main", "agent.steps -> agent.cli"),
    "corpus/chunking.py": ("import app", "corpus.chunking -> app"),
    "finetune/traces.py": ("from agent.cli.ask import run", "finetune.traces -> agent.cli.ask"),
    "tools/workspace.py": ("from tools.section import Section", ".workspace -> .section"),
}


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    code = (
        "import sys; from importlinter.cli import lint_imports_command; "
        "sys.argv[0] = 'lint-imports'; lint_imports_command()"
    )
    return subprocess.run(
        [sys.executable, "-c", code, "--no-cache"], cwd=cwd, capture_output=True, text=True
    )


def test_the_contracts_hold():
    run = lint_imports(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    for name in CONTRACTS:
        assert f"{name} KEPT" in run.stdout, run.stdout


def test_a_violation_of_each_contract_breaks_it(tmp_path):
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=lambda d, names: [
                n
                for n in names
                if not n.endswith(".py") and not (Path(d) / n).is_dir() or n == "__pycache__"
            ],
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    for file, (statement, _) in VIOLATIONS.items():
        with open(tmp_path / file, "a", encoding="utf-8") as f:
            f.write(f"\n\ndef _deliberate_violation():\n    {statement}\n")
    run = lint_imports(tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    for name in CONTRACTS:
        assert f"{name} BROKEN" in run.stdout, run.stdout
    for _, shown in VIOLATIONS.values():
        assert shown in run.stdout, run.stdout


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, imported names) of every import in a file, function-local ones included."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.module, [a.name for a in node.names]))
    return out


def test_the_app_uses_no_other_entry_point():
    # app.py is a module, which import-linter cannot hold as a root package
    bad = [
        m
        for m, _ in _imports(ROOT / "app.py")
        if m.split(".")[0] in ("benchmarks", "finetune") or m.startswith("agent.cli")
    ]
    assert not bad, f"app.py imports {bad}"


def test_no_private_name_is_imported_from_another_package():
    ours = set(PACKAGES) | {"app"}
    bad = []
    for file in [ROOT / "app.py"] + [f for p in PACKAGES for f in (ROOT / p).rglob("*.py")]:
        here = file.relative_to(ROOT).parts[0].removesuffix(".py")
        for module, names in _imports(file):
            top = module.split(".")[0]
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if top in ours and top != here and private:
                bad.append(f"{file.relative_to(ROOT)}: {module} {private}")
    assert not bad, bad
