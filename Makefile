# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000
BROWSER_PACKAGES := chromium fonts-noto-cjk

.PHONY: run demo test lint schemas check-schemas package capacity bench bench-grading bench-realtime bench-discovery bench-load lock screenshots

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (set PYTHON=...)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q "pip<26.3"
	$(PY) -m pip install -q -r requirements-dev.txt
	@# The browser tests drive Debian's Chromium (Playwright cannot download browsers here) with a CJK font.
	@if ! command -v chromium >/dev/null 2>&1 || ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then \
	  echo "installing $(BROWSER_PACKAGES) for the browser tests"; \
	  sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q $(BROWSER_PACKAGES); \
	fi
	touch $(STAMP)

## Start everything locally: moto, tables, queues, API on 127.0.0.1:$(PORT), workers, schedules.
run: $(STAMP) schemas
	PORT=$(PORT) $(PY) -m local.run

## With `make run` up (same PORT): fill it with a month of Chinese demo data; prints tokens and curl lines.
demo: $(STAMP)
	PORT=$(PORT) $(PY) -m local.demo

## Run the whole test suite (after the lint: a lint error fails it).
test: $(STAMP) lint
	$(PY) -m pytest -q -n 2 --dist loadgroup

## Benchmark on a local moto server (not part of `make test`, ~10 min): fan-out of one post to
## 100,000 followers vs raw BatchWriteItem (3 alternating rounds) and naive PutItem, store calls per
## operation, fan-out worker memory (1,000 vs 100,000 followers), feed-page latency vs a raw Query,
## publish -> feed of the last of 1,000 / 10,000 followers through the local workers, the
## 100,000-follower fan-out under injected faults. Prints a table last; exits 1 when a target is missed.
## `make bench BENCH_ARGS=--quick REALTIME_BENCH_ARGS=--quick` for a small development run (~4 min).
bench: $(STAMP)
	$(PY) -m bench.fanout $(BENCH_ARGS); fanout=$$?; $(PY) -m bench.realtime $(REALTIME_BENCH_ARGS); \
	  realtime=$$?; exit $$((fanout || realtime))

## Realtime and notifications only: publish -> feed.new p50/p99, notification writes per event, one big group
## (1,000 followers with 100 connected, 10,000 likes; REALTIME_BENCH_ARGS=--quick for a small run).
bench-realtime: $(STAMP)
	$(PY) -m bench.realtime $(REALTIME_BENCH_ARGS)

## 50 simulated app users for 2 minutes against `make run` (started for it if not up), then the invariants.
bench-load: $(STAMP)
	$(PY) -m bench.load $(LOAD_BENCH_ARGS)

## Copy the JSON schemas (source of truth: schemas/) into chalicelib/, which Chalice ships.
schemas:
	rm -rf chalicelib/schemas && cp -r schemas chalicelib/schemas

## Fail when chalicelib/schemas is not an exact copy of schemas/ (a stale shipped copy).
check-schemas: $(STAMP)
	$(PY) -m infra.shipped

## Build the deployable SAM template in infra/out/ (chalice package + infra/), then lint and audit it.
package: $(STAMP) schemas check-schemas
	$(PY) -m infra.build --out infra/out
	$(PY) -m infra.checks infra/out/template.json

## Re-lock the runtime closure the Lambda zip is built from (requirements.txt -> requirements.lock, hashed).
lock: $(STAMP)
	$(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
		--output-file requirements.lock requirements.txt

## Recompute the capacity and cost model into docs/capacity.md.
capacity: $(STAMP)
	$(PY) -m infra.capacity --write docs/capacity.md

## Benchmark the monthly grading: 100,000 accounts on a local moto server vs a raw parallel scan (~45 min).
bench-grading: $(STAMP)
	$(PY) -m local.bench_grading

## Recall@10 of account suggestions vs a popularity baseline on a 20,000-user synthetic graph, the
## related-accounts job's time and store calls per account (in process, ~1 min); BENCH_ARGS=--quick for a small one.
bench-discovery: $(STAMP)
	$(PY) -m bench.discovery $(BENCH_ARGS)

## Photograph the web console's main screens into docs/console/ (own moto and server, demo data, ~30 s).
screenshots: $(STAMP) schemas
	$(PY) -m local.console_screenshots

## ruff on everything, mypy on chalicelib (both must be clean).
lint: $(STAMP)
	$(VENV)/bin/ruff check chalicelib local tests infra bench app.py
	$(VENV)/bin/mypy chalicelib
