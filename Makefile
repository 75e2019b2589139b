# Two commands matter (README "Quick start"): `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
APT_PACKAGES := sip-tester rtpengine-daemon espeak-ng sox baresip chromium

.PHONY: demo test lint typecheck imports unit bench venv system-packages clean

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(BIN)/activate

venv: $(BIN)/activate

# Debian packages the PBX, its media and its tests need; skipped when already present.
system-packages:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi

demo: venv system-packages
	$(BIN)/python -m cti.demo

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy pbx_core queueing cti agent_ui supervisor_ui reports crm_connectors bench tests

imports: venv
	$(BIN)/lint-imports

unit: venv
	$(BIN)/pytest -q

test: venv system-packages lint typecheck imports unit

bench: venv
	$(BIN)/python bench/queue_engine.py

clean:
	rm -rf $(VENV) var/*
