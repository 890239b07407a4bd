# auditor: npm lockfile provenance auditor.  `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
# `make demo` needs the package alone (no test or lint extras).
DEMO_STAMP := $(VENV)/.demo-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
DEMO_OUT ?= demo-out

.DEFAULT_GOAL := help
.PHONY: help demo test test-pythons test-npm test-clients lint typecheck fmt docs bench fuzz mutation requirements clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*; touch $@

venv: $(STAMP)

$(DEMO_STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e .
	@rm -f $(VENV)/.demo-*; touch $@

demo: $(DEMO_STAMP) ## create the venv, install the package only, audit the bundled demo offline
	$(VENV)/bin/audit fixtures/demo/package-lock.json --offline fixtures/demo/offline \
		--npm-keys fixtures/demo/npm-registry-keys.json \
		--policy policies/recommended.toml --format text \
		--json $(DEMO_OUT)/report.json --sarif $(DEMO_OUT)/report.sarif \
		--markdown $(DEMO_OUT)/report.md; rc=$$?; \
		echo "(reports in $(DEMO_OUT)/; exit code $$rc)"; test $$rc -le 1

test: $(STAMP) ## create the venv, install test extras, run the whole suite
	$(PY) -m pytest -q $(if $(TESTS),-k '$(TESTS)',)

# The other Pythons the package supports (3.11 is $(PYTHON), `make test`).
PYTHONS ?= python3.12 python3.13

test-pythons: ## the suite on each of PYTHONS that runs here, in a venv each (.venv-pythonX.Y); a skip line for the others
	@for py in $(PYTHONS); do \
		if ! $$py -c 'import sys' >/dev/null 2>&1; then \
			echo "test-pythons: $$py is not available here: skipped"; continue; \
		fi; \
		venv=.venv-$$py; \
		{ test -x $$venv/bin/python || $$py -m venv $$venv; } && \
		$$venv/bin/python -m pip install --quiet --upgrade pip && \
		$$venv/bin/python -m pip install --quiet -e '.[test]' || exit 1; \
		echo "test-pythons: $$($$venv/bin/python --version)"; \
		$$venv/bin/python -m pytest -q || exit 1; \
	done

test-npm: $(STAMP) ## npm as the oracle: every differential variant and the mutation run (needs npm)
	@command -v npm >/dev/null || { echo "test-npm: npm is not on PATH"; exit 1; }
	@mkdir -p build
	AUDITOR_NPM_FULL=1 NPM_DIFF_TABLE=build/npm-differential.md $(PY) -m pytest -q -m npm -rsx
	@echo "(variant table in build/npm-differential.md)"

test-clients: $(STAMP) ## the real package managers as oracles: re-install the fixture projects live (pnpm, Bun, Yarn 1 and 4): CLIENTS_BIN=dir
	PATH="$(if $(CLIENTS_BIN),$(CLIENTS_BIN):,)$$PATH" AUDITOR_CLIENTS=1 \
		AUDITOR_CLIENTS_REGISTRY="$$(npm config get registry 2>/dev/null)" \
		$(PY) -m pytest -q -m clients -rs tests/lockfile/formats tests/lockfile/yarn

lint: $(STAMP) ## ruff check and format check
	$(VENV)/bin/ruff check auditor tests
	$(VENV)/bin/ruff format --check auditor tests
	$(VENV)/bin/zizmor --offline --quiet action.yml docs/examples/*.yml

typecheck: $(STAMP) ## mypy --strict on auditor/ and tests/
	$(VENV)/bin/mypy auditor tests

fmt: $(STAMP) ## format the code
	$(VENV)/bin/ruff check --fix auditor tests
	$(VENV)/bin/ruff format auditor tests

docs: $(STAMP) ## regenerate the generated doc sections (reason-code tables) from the code
	$(PY) -m tests.support.gendocs

bench: $(STAMP) ## benchmarks: parse, verify, fetch engine, npm audit signatures side by side
	$(PY) -m tests.bench all

fuzz: $(STAMP) ## fuzz the attestation response parser and the lockfile parser (60 s each)
	$(PY) -m tests.fuzz --seconds $${FUZZ_SECONDS:-60}

mutation: $(STAMP) ## mutation testing of auditor/verify (slow; not in test/CI): MUTANTS='auditor.verify.certs*'
	$(VENV)/bin/mutmut run $(if $(MAX_CHILDREN),--max-children $(MAX_CHILDREN),) $(MUTANTS); \
		$(PY) -m tests.mutation_report counts

requirements: $(STAMP) ## regenerate requirements/action.txt (hash-locked, for the GitHub Action) with uv
	$(PY) -m pip install --quiet 'uv>=0.4'
	$(VENV)/bin/uv pip compile pyproject.toml --generate-hashes --universal \
		--python-version 3.11 --custom-compile-command "make requirements" -o requirements/action.txt

clean: ## remove the venv, caches and build output
	rm -rf $(VENV) .venv-python3.* build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis $(DEMO_OUT) mutants
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
