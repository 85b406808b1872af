# GridLink: `make run` serves the demo; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test e2e fuzz audit bench pwa pwa-test db demo lint lock clean cluster cluster-down cluster-test

# Installed from the lock files only: every package of the tree pinned, each file checked by its
# hash. The .in files name what the code imports; `make lock` compiles them.
$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.txt
	touch $@

# After a change to requirements.in or requirements-dev.in: the whole tree again, with hashes.
lock: $(VENV)/.installed-dev
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	  --no-emit-index-url --no-emit-find-links -o requirements.txt requirements.in
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	  --no-emit-index-url --no-emit-find-links -o requirements-dev.txt requirements-dev.in

pwa/node_modules/.installed: pwa/package-lock.json
	cd pwa && npm ci --no-audit --no-fund
	touch $@

# The PWA: Vite builds pwa/ into pwa/dist, which Flask serves at /.
pwa: pwa/node_modules/.installed
	cd pwa && npm run build

pwa-test: pwa/node_modules/.installed
	cd pwa && npm test

db: $(VENV)/.installed
	$(BIN)/flask db upgrade

demo: db
	$(BIN)/flask demo load --if-empty

run: $(VENV)/.installed pwa demo
	@$(BIN)/flask demo logins
	@echo "Serving on http://$(HOST):$(PORT)  (API docs: http://$(HOST):$(PORT)/api/docs)"
	@# The worker (pushes, escalations, pruning) runs beside the server and stops with it.
	$(BIN)/flask worker run & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn --config gunicorn.conf.py --workers 2 --bind $(HOST):$(PORT) --access-logfile - wsgi:app

# Every test; with TEST_DATABASE_URL set, every database test runs on PostGIS too.
test: $(VENV)/.installed-dev lint pwa-test
	$(BIN)/python -m pytest --ignore=tests/e2e $(PYTEST_ARGS)
	$(MAKE) e2e

# End to end: the built PWA served by the real server, driven in Debian's Chromium
# (tests/e2e; E2E_DATABASE_URL puts its server on PostGIS). Screenshots: artifacts/screenshots.
e2e: $(VENV)/.installed-dev pwa
	$(BIN)/python -m pytest tests/e2e $(E2E_ARGS)

# Budgets, measured on the build served by the real server with the demo district: initial JS
# gzipped, and Lighthouse (mobile) on the member's home and report screens (tests/e2e/audit.py).
audit: $(VENV)/.installed-dev pwa
	$(BIN)/python -m tests.e2e.audit $(AUDIT_ARGS)

# Every operation of the OpenAPI document as every role and anonymous (schemathesis, in
# process; tests/fuzz/openapi.py): no 5xx, no answer off its schema. FUZZ_EXAMPLES examples
# per operation and role; with TEST_DATABASE_URL on PostGIS too. FUZZ_ARGS passes options.
FUZZ_EXAMPLES ?= 20
fuzz: $(VENV)/.installed-dev
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/fuzz/openapi.py $(FUZZ_ARGS)

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench $(BENCH_ARGS)

# The cluster on this machine (cluster/, docs/deploy.md): etcd, two PostgreSQL 15 + PostGIS
# nodes under Patroni, the object store, two API nodes, two workers and nginx with TLS, all on
# 127.0.0.1 ports 15000-15999, with the demo district (CLUSTER_MEMBERS people). Run as root
# with Debian's packages (.ci/run installs them). `make cluster-down` stops what it started.
CLUSTER_MEMBERS ?= 13000
cluster: $(VENV)/.installed-dev pwa
	CLUSTER_MEMBERS=$(CLUSTER_MEMBERS) $(BIN)/python -m cluster up

cluster-down:
	$(BIN)/python -m cluster down

# The failures under load (cluster/drill.py): the primary killed, an API node killed mid-request,
# a worker killed mid-send, the old primary back, then a restore to a point in time. It starts
# its own cluster (CLUSTER_MEMBERS, 1,500 by default) and stops it; prints the figures.
cluster-test: $(VENV)/.installed-dev pwa
	CLUSTER_MEMBERS=$(or $(CLUSTER_TEST_MEMBERS),1500) $(BIN)/python -m cluster test $(CLUSTER_TEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check app geo tests bench cluster

clean:
	rm -rf $(VENV) pwa/dist pwa/node_modules instance
