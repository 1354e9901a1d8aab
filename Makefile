# The two commands: `make run` and `make test`. Both set up .venv on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/statuspage setup
	$(BIN)/statuspage serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

# Figures, not tests. bench_fanout.py needs PostgreSQL: createdb -h 127.0.0.1 -U postgres bench_fanout;
# bench_hotpath.py and bench_load_publish.py need wrk (apt-get install wrk).
bench: $(STAMP)
	$(BIN)/python bench/bench_public.py
	$(BIN)/python bench/bench_hotpath.py
	$(BIN)/python bench/bench_load_publish.py
	$(BIN)/python bench/bench_publish.py
	$(BIN)/python bench/bench_email.py
	-createdb -h 127.0.0.1 -U postgres bench_fanout 2>/dev/null
	$(BIN)/python bench/bench_fanout.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
