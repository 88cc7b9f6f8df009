#!/usr/bin/env bash
# The load benchmark of SPEC §13 (`make bench`): starts PostgreSQL and Redis as `make test` does, loads
# BENCH_INCIDENTS incidents (default 1,000,000) into a bench database of its own, serves it with gunicorn
# and measures it from a separate process. Prints a table and writes JSON under var/bench/.
#
#   BENCH_INCIDENTS=100000 make bench              quick run
#   scripts/bench.sh --compare var/bench/old.json   this run against an earlier one
#   scripts/bench.sh --reload                      load the bench database again
#   scripts/bench.sh --help                        every option
#   scripts/bench.sh --partitioning                the incident table flat and in monthly partitions, at 1x and 10x
#                                                  (on the bench database a run has loaded; BENCH_DATABASE names it)
#   scripts/bench.sh --import-only --import-rows 20000   the history import alone: generated CSV rows per second
#   scripts/bench.sh --learning-only               the suggestions alone: training time, memory, held-out accuracy
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
# shellcheck source=scripts/services.sh
. scripts/services.sh
if [ "${1:-}" = "--partitioning" ]; then
  export BENCH_DATABASE_URL="${DATABASE_URL%/*}/${BENCH_DATABASE:-servicedesk_bench}"
  exec .venv/bin/python -m bench.partitioning
fi
exec .venv/bin/python -m bench "$@"
