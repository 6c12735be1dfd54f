# Two commands on a fresh machine (Python 3.11+):
#   make app    install into .venv, ingest corpus/ into the embedded Chroma index, open the chat on 127.0.0.1:7860
#   make test   install into .venv (+ Chromium for the browser tests), run the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PYTHON ?= python3

# The real-LLM-server tests (citeqa[llm-test]): llama-cpp-python is built from its sdist (~6 min on 2 cores,
# once: pip's wheel cache keeps the wheel), portable (no -march=native), without the multimodal tool.
LLM_BUILD_ENV := CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF" CMAKE_BUILD_PARALLEL_LEVEL=2

.PHONY: install install-llm app test lint browsers eval bench

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# torch first and pinned: any other spec pulls gigabytes of CUDA wheels
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

$(VENV)/.installed-llm: $(VENV)/.installed
	$(LLM_BUILD_ENV) $(PIP) install -q -e '.[dev,llm-test]'
	touch $@

install-llm: $(VENV)/.installed-llm

app: install
	$(VENV)/bin/citeqa ingest || [ $$? -eq 2 ]
	$(VENV)/bin/citeqa chat

browsers:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium chromium-driver fonts-noto-cjk; }

test: install browsers
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .

eval: install
	$(VENV)/bin/citeqa eval --baselines

bench: install
	$(VENV)/bin/citeqa bench --scale 1,10
