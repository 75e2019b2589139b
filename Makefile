# Two commands matter (README "Quick start"): `make demo` and `make test`.
# Every Python package comes from uv.lock (docs/install.md); `make lock` updates it on purpose.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
INSTALL := VENV=$(VENV) $(PYTHON) devtools/install.py

.PHONY: demo test lint typecheck imports unit bench chaos security venv lock system-packages clean

PACKAGES := common pbx_core queueing group_services cti agent_ui supervisor_ui admin_ui recordings_ui receptionist_ui wallboard_ui reports crm_connectors provisioning

# Re-synced whenever pyproject.toml or the lock changes; a stale lock fails with what to run.
$(VENV)/.synced: pyproject.toml uv.lock devtools/uv-requirements.txt
	@$(INSTALL) venv
	@touch $@

venv: $(VENV)/.synced

lock:
	@$(INSTALL) lock

# Debian packages the PBX, its media and its tests need; installed when missing, refused when too old.
system-packages:
	@$(INSTALL) system-packages

demo: venv system-packages
	$(BIN)/python -m cti.node_supervisor $(BIN)/python -m cti.demo

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -r $(PACKAGES) --severity-level medium --confidence-level low

typecheck: venv
	$(BIN)/mypy common pbx_core queueing group_services cti agent_ui supervisor_ui admin_ui recordings_ui receptionist_ui wallboard_ui reports crm_connectors provisioning bench tests devtools

imports: venv
	$(BIN)/lint-imports

# Two processes (one per core), a test file each at a time (--dist loadfile: a file's fixtures
# and fixed Redis databases stay in one process). Three were faster (12-15 min) but left the
# real-time tests (RTP tone shares, SIPp timers) too little CPU on these 2 cores. The 40 slowest
# tests are listed at the end: where the suite's time goes, in every CI log.
PYTEST_WORKERS ?= 2
unit: venv
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadfile --durations=40

test: venv system-packages lint typecheck imports unit

# The scans too slow or too networked for every CI run (docs/security.md, "Scanning").
security: lint
	$(BIN)/bandit -q -r $(PACKAGES) --severity-level all --exit-zero  # the full report; `lint` gates medium and up
	OPENCC_GRAPHQL_FUZZ_EXAMPLES=1000 $(BIN)/pytest -q --timeout 3600 tests/cti/test_graphql_fuzz.py  # CI: 50 per token and mode
	.tools/bin/uv export --locked --no-hashes --no-emit-project --extra dev --format requirements-txt -q -o var/audit-requirements.txt
	$(BIN)/pip-audit --strict --no-deps --disable-pip --progress-spinner off -r var/audit-requirements.txt

bench: venv
	$(BIN)/python bench/queue_engine.py
	$(BIN)/python -m bench.what_if

# Faults under SIPp load into the running product, one at a time (docs/chaos.md).
chaos: venv system-packages
	$(BIN)/python bench/chaos.py

clean:
	rm -rf $(VENV) .tools var/*
