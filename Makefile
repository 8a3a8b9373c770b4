# Two commands matter: `make serve` and `make test`. Everything else is what they call.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
APT_PACKAGES := default-jre-headless libapache-jena-java chromium graphviz virtuoso-opensource

.PHONY: setup system-deps build serve reload test test-fast lint bench bench-deps bench-fronts bench-misspath lock check clean diagram expected screenshots editor

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test]'
	touch $@

## Also compiles the package's bytecode once: where PYTHONDONTWRITEBYTECODE is set (many container
## images), every process would otherwise compile it from source as it starts (0.15 s each, measured).
setup: $(STAMP)
	$(BIN)/python -m compileall -q server >/dev/null

## Debian packages the real-client tests use (Jena, HermiT's Java, Chromium, Graphviz, Virtuoso as a remote store);
## says which and why before installing (root only, best effort).
system-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "make: installing Debian packages for the tests that use real tools: $$missing"; \
	  for p in $$missing; do case $$p in \
	    default-jre-headless) echo "  default-jre-headless: Java, for HermiT (the reasoner in Protégé) and Apache Jena";; \
	    libapache-jena-java) echo "  libapache-jena-java: Apache Jena, a real SPARQL client and RDF parser";; \
	    chromium) echo "  chromium: the browser tests of the pages";; \
	    graphviz) echo "  graphviz: the ontology's class diagram";; \
	    virtuoso-opensource) echo "  virtuoso-opensource: a real remote SPARQL store for publish and --engine sparql:URL";; \
	    *) echo "  $$p";; esac; done; \
	  echo "  (without them those tests skip; to skip installing, run: make test APT_PACKAGES=)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	elif [ -n "$$missing" ]; then echo "not installed (tests that need them will skip): $$missing"; fi

build: setup
	$(BIN)/karabakh-kg build

serve: build
	$(BIN)/karabakh-kg serve

check: build
	$(BIN)/karabakh-kg check

test: setup system-deps build lint
	$(BIN)/python -m pytest -q

## The unit tier: no server, no browser, no Java (under 30 s).
test-fast: setup build
	$(BIN)/python -m pytest -q tests/unit

## ruff: the lint rules and the formatting configured in pyproject.toml.
lint: setup
	$(BIN)/ruff check --no-cache .
	$(BIN)/ruff format --no-cache --check .

## Debian packages the benchmark uses: `wrk` (load; a slower Python generator without it) and
## `virtuoso-opensource` (compared beside Oxigraph server; skipped without it); root only.
BENCH_APT := wrk virtuoso-opensource
bench-deps: build
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[bench]'
	@missing=$$(for p in $(BENCH_APT); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian packages: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	elif [ -n "$$missing" ]; then echo "not installed (the benchmark does without them): $$missing"; fi

## Everything in docs/benchmarks.md: mixes against Oxigraph server, HTTP fronts, latency, build, scale.
bench: bench-deps
	$(BIN)/python bench/run.py

## Only the HTTP fronts (throughput and guarantees), and only one cache miss step by step.
bench-fronts: bench-deps
	$(BIN)/python bench/fronts.py

bench-misspath: bench-deps
	$(BIN)/python bench/misspath.py

## Re-pin every dependency after a change to pyproject.toml: resolved from the declared
## dependencies and extras (pip-tools), keeping the pins that still fit.
lock: setup
	$(BIN)/python -m pip install -q pip-tools
	$(BIN)/pip-compile --quiet --extra test --extra bench --strip-extras --allow-unsafe --no-header \
	  --no-annotate --no-emit-index-url --no-emit-find-links -o constraints.txt pyproject.toml

## The query page's editor, server/karabakh_kg/web/static/editor.js, rebuilt from server/editor (npm; committed).
editor:
	cd server/editor && npm ci --no-audit --no-fund && npm run build

## The class diagram the README shows.
diagram: build
	$(BIN)/karabakh-kg diagram docs/img/ontology.svg

## After a change to the facts, the ontology or a query: rewrite tests/expected/*.json from the build
## and print the rows that changed; review with `git diff tests/expected` before committing.
expected: build
	$(BIN)/python tests/support/regenerate_expected.py

## Make the running `make serve` server serve the current build (no downtime).
reload: build
	$(BIN)/karabakh-kg reload

## The README's screenshots (docs/img/resource-page.png, docs/img/timeline.png), taken by the browser test.
screenshots: setup system-deps build
	SCREENSHOTS_DIR=docs/img $(BIN)/python -m pytest -q tests/browser/test_browser.py

clean:
	rm -rf build .setuptools-build
