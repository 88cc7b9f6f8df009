# Every target is a thin door onto scripts/, so that CI and people run the same thing.
.PHONY: install run test lint fmt bench screenshots clean lock

install:
	scripts/install.sh

run:
	scripts/run.sh

test:
	scripts/test.sh

lint: install
	.venv/bin/ruff check .
	.venv/bin/mypy .
	.venv/bin/lint-imports

fmt: install
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

bench:
	scripts/bench.sh

# Rewrite requirements/*.txt (every Python dependency pinned with hashes) from pyproject.toml.
lock:
	scripts/lock.sh

# The guides' screenshots (docs/images/), taken from the demo in Chromium.
screenshots: install
	.venv/bin/python scripts/screenshots.py

clean:
	rm -rf staticfiles test-results .pytest_cache .mypy_cache .ruff_cache
	find . -path ./.venv -prune -o -path ./node_modules -prune -o -name __pycache__ -type d -print \
		| xargs rm -rf
