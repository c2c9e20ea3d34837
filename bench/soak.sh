#!/usr/bin/env bash
# The reliability suite, long and heavy: 5 seeds of every fault case with real 5-second latency
# spikes, 600 orders and 200 shipments per case, 150 schemathesis examples per operation, 300
# generated imports, and 50 clients fetching a 1,000,000-listing feed for 60 s while it is
# rebuilt. Figures go to bench/out/reliability.jsonl and are printed at the end.
#   bash bench/soak.sh            (set FEED_TEST_POSTGRES_URL to run the PostgreSQL legs too)
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
: >bench/out/reliability.jsonl
FEED_SOAK=1 FEED_RELIABILITY_REPORT=bench/out/reliability.jsonl \
    pytest -q -p no:cacheprovider tests/reliability "$@"
