# Two commands matter: `make serve` and `make test`. Everything else is what they call.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
APT_PACKAGES := default-jre-headless libapache-jena-java chromium graphviz

.PHONY: setup system-deps build serve test test-fast lint bench bench-deps bench-fronts bench-misspath lock check clean diagram screenshots

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test]'
	touch $@

setup: $(STAMP)

## Debian packages the real-client tests use (Jena, HermiT's Java, Chromium, Graphviz); best effort, root only.
system-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian packages: $$missing"; \
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
	$(BIN)/python -m pytest -q -m "not live and not browser and not java and not slow"

## ruff: the lint rules and the formatting configured in pyproject.toml.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

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

## Re-pin every dependency after a change to pyproject.toml.
lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

diagram: build
	$(BIN)/karabakh-kg diagram docs/ontology-diagram.svg

## The README's screenshots (docs/img/resource-page.png, docs/img/timeline.png), taken by the browser test.
screenshots: setup system-deps build
	SCREENSHOTS_DIR=docs/img $(BIN)/python -m pytest -q tests/test_browser.py

clean:
	rm -rf build
