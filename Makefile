# The two quick-start commands (README): `make run` and `make test`. Both set up a
# virtual environment in .venv on first use, so a fresh clone needs only Python >= 3.11.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The test suite runs on SQLite and, through this URL, on the real PostgreSQL server.
DIGEST_TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
export DIGEST_TEST_DATABASE_URL

# axe-core, the accessibility engine the browser tests inject (tests/axe.py), from npm.
AXE_VERSION := 4.14.1
AXE := .ci/node/node_modules/axe-core/axe.min.js

.PHONY: run test lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# The main job on the embedded defaults: SQLite beside feeds.yaml, the shipped
# documents, no network, the offline summarizer.
run: $(BIN)/.installed
	$(BIN)/digest --offline run

# One pytest-xdist worker per core, each test file on one worker (a module's fixtures,
# the IMAP server or a built wheel, are made once). Each worker is a session of its own:
# its own SQLite files and PostgreSQL databases; the seed issue is built once for all
# (conftest.once_per_run).
test: $(BIN)/.installed lint $(AXE)
	$(BIN)/pytest -n auto --dist loadfile

# Without npm the accessibility tests say what is missing (and fail in CI).
$(AXE):
	if command -v npm >/dev/null; then \
	  npm install --silent --no-audit --no-fund --prefix .ci/node axe-core@$(AXE_VERSION); \
	else echo "npm is missing: the axe-core accessibility tests cannot run"; fi

# The import contracts of pyproject.toml ([tool.importlinter]; docs/architecture.md).
lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: $(BIN)/.installed
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) .ci/node digest.db digest.db-wal digest.db-shm outbox .pytest_cache .ruff_cache
