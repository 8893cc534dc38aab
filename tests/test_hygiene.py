"""Keep the tree easy to live in: light imports, small modules, prompts that render."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ["torch", "transformers", "gradio", "faiss", "sentence_transformers", "peft"]


@pytest.mark.parametrize("package", ["common", "agent", "tools", "corpus", "finetune", "agent.cli"])
def test_import_is_light(package):
    code = (
        f"import sys, {package}; heavy = [m for m in {HEAVY!r} if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"importing {package} pulled {out}"


def test_no_module_over_600_lines():
    too_long = []
    for folder in ["common", "agent", "tools", "corpus", "finetune", "benchmarks", "tests"]:
        for f in (ROOT / folder).rglob("*.py"):
            n = len(f.read_text().splitlines())
            if n > 600:
                too_long.append(f"{f.relative_to(ROOT)}: {n}")
    n_app = len((ROOT / "app.py").read_text().splitlines())
    if n_app > 600:
        too_long.append(f"app.py: {n_app}")
    assert not too_long, too_long


def test_prompts_render():
    from agent import prompts

    assert "[1]" in prompts.load("system")
    text = prompts.render("question", question="Q?", files="", passages="")
    assert text.strip() == "Question: Q?"
    with pytest.raises(KeyError):
        prompts.render("question", question="Q?")
