# One-command set-up and run for the city map server.
#   make run    install what is missing, start PostGIS, load the demo city, serve
#   make test   the whole test suite (it makes and throws away its own PostGIS)
#   make bench  benchmarks against named peers, printed as ratios
#   make stop   stop what `make run` started;  make db-url  print the database URL

HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
THREADS ?= 4
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_SYSTEM := var/.system-deps
STAMP_VENV := $(VENV)/.installed
export MAPSERVER_HOME := $(CURDIR)

.PHONY: run test bench stop db-url deps db data lint clean-db

deps: $(STAMP_SYSTEM) $(STAMP_VENV) static/node_modules/.installed

$(STAMP_SYSTEM): scripts/system-deps.sh
	WITH_NODE=1 ./scripts/system-deps.sh
	@mkdir -p var && touch $@

$(STAMP_VENV): pyproject.toml $(STAMP_SYSTEM)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

static/node_modules/.installed: $(STAMP_SYSTEM) $(wildcard static/package.json static/package-lock.json)
	@if [ -f static/package.json ]; then cd static && npm ci --no-audit --no-fund; fi
	@mkdir -p static/node_modules && touch $@

db: deps
	$(BIN)/mapserver db start

data: db
	$(BIN)/mapserver load --all --if-changed --quiet

run: data
	@echo "serving on http://$(HOST):$(PORT)/"
	MAPSERVER_PUBLIC_URL=$${MAPSERVER_PUBLIC_URL:-http://$(HOST):$(PORT)} \
	$(BIN)/mapserver serve --host $(HOST) --port $(PORT) --workers $(WORKERS) \
		--threads $(THREADS) --access-log --pid-file var/server.pid

test: $(STAMP_SYSTEM) $(STAMP_VENV) static/node_modules/.installed
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

bench: data
	$(BIN)/python bench/run.py

lint: $(STAMP_VENV)
	$(BIN)/ruff check .

stop:
	@if [ -f var/server.pid ]; then kill "$$(cat var/server.pid)" 2>/dev/null || true; rm -f var/server.pid; fi
	@if [ -x $(BIN)/mapserver ]; then $(BIN)/mapserver db stop; fi

db-url:
	@if [ -n "$$DATABASE_URL" ]; then echo "$$DATABASE_URL"; else $(BIN)/mapserver db url; fi
