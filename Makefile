# GridLink: `make run` serves the demo; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test bench pwa db demo lint clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# The PWA: until the Vite app lands, a placeholder page.
pwa:
	mkdir -p pwa/dist
	cp -r pwa/placeholder/. pwa/dist/

db: $(VENV)/.installed
	$(BIN)/flask db upgrade

demo: db
	$(BIN)/flask demo load --if-empty

run: $(VENV)/.installed pwa demo
	@$(BIN)/flask demo logins
	@echo "Serving on http://$(HOST):$(PORT)  (API docs: http://$(HOST):$(PORT)/api/docs)"
	$(BIN)/gunicorn --workers 2 --bind $(HOST):$(PORT) --access-logfile - wsgi:app

# Every test; with TEST_DATABASE_URL set, every database test runs on PostGIS too.
test: $(VENV)/.installed lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check app geo tests bench

clean:
	rm -rf $(VENV) pwa/dist instance
