#!/bin/sh
# Throughput of `mxdoctor bounce` on one core.
#
#   scripts/bench-bounce.sh [DIR] [SECONDS]
#
# DIR defaults to $MXDOCTOR_TEST_DATA/bounces/eml when that is set, else to the project's
# own fixtures (tests/fixtures/bounces, whose replies.tsv counts one input per line).
# Builds the release example `bench_bounce` and pins it to one CPU when taskset exists.
set -eu
cd "$(dirname "$0")/.."
if [ $# -ge 1 ] && [ -n "$1" ]; then
    dir=$1
elif [ -n "${MXDOCTOR_TEST_DATA:-}" ] && [ -d "$MXDOCTOR_TEST_DATA/bounces/eml" ]; then
    dir=$MXDOCTOR_TEST_DATA/bounces/eml
else
    dir=tests/fixtures/bounces
fi
seconds=${2:-5}
cargo build --release --quiet --example bench_bounce
bin=target/release/examples/bench_bounce
echo "corpus: $dir"
if command -v taskset >/dev/null 2>&1; then
    taskset -c 0 "$bin" "$dir" "$seconds"
else
    "$bin" "$dir" "$seconds"
fi
