"""`geofm models [prepare]`: what is loaded from where; prepare the embedded defaults."""

from __future__ import annotations

import argparse
import json
import sys
from importlib.metadata import PackageNotFoundError, version

from agent.config import ModelConfig
from agent.models import describe, resolve_model_dir
from common.paths import geofm_home
from corpus import default_index, default_index_dir, describe_defaults

__all__ = ["add_parser"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "models",
        help="show (or prepare) the language model, embedder and index",
        description="Without an action: show where each model comes from and "
        "whether it is prepared. `prepare` converts the embedded "
        "LLM once and builds the default literature index.",
    )
    p.add_argument("action", nargs="?", choices=["show", "prepare"], default="show")
    p.add_argument(
        "--model",
        default="embedded",
        help="'embedded', a transformers model directory or a .gguf file",
    )
    p.add_argument("--no-index", action="store_true", help="prepare: skip the literature index")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = ModelConfig(model=args.model)
    if args.action == "prepare":
        resolve_model_dir(config, prepare=True)
        if not args.no_index:
            default_index()
    llm = describe(config)
    report = {
        "home": str(geofm_home()),
        "llm": llm.__dict__,
        "llamacpp": _llamacpp(),
        **_corpus_report(),
    }
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        print()
        return 0
    print(f"GEOFM_HOME  {report['home']}")
    print(f"LLM         {llm.name}  ({'ready' if llm.ready else 'not prepared yet'})")
    print(f"  from      {llm.source}")
    print(f"  prepared  {llm.prepared}")
    print(f"llama.cpp   {report['llamacpp']}  (--backend llamacpp)")
    for key in ("embedder", "index"):
        item = report.get(key)
        if item:
            print(f"{key:<11} {item.get('name', '')}  ({item.get('status', '')})")
            if item.get("path"):
                print(f"  at        {item['path']}")
    return 0


def _llamacpp() -> str:
    """Whether the llama.cpp backend can run, without importing it."""
    try:
        return f"llama-cpp-python {version('llama-cpp-python')}"
    except PackageNotFoundError:
        return "not installed: make llamacpp"


def _corpus_report() -> dict:
    """Embedder and default index status, from the corpus package."""
    return describe_defaults(default_index_dir())
