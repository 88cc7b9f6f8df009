#!/usr/bin/env bash
# The load benchmark of SPEC §13 is not written yet. Failing loudly keeps anyone (or CI) from
# mistaking a missing benchmark for a passing one.
set -euo pipefail
echo "bench: NOT IMPLEMENTED YET - there is no benchmark to run (SPEC section 13)." >&2
exit 2
