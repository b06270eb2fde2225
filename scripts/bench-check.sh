#!/bin/sh
# Benchmark a full `mxdoctor check` of the fixture domain good.test against NSD on loopback:
# median wall time over RUNS runs, DNS queries sent, and the same with DELAY_MS of latency
# added to every DNS answer. With latency, wall time / latency estimates how many round
# trips happen one after another: the longest dependency chain, if lookups overlap.
# Usage: scripts/bench-check.sh            (env: RUNS=30 DELAY_MS=50 PORT=25353)
set -eu
cd "$(dirname "$0")/.."
runs=${RUNS:-30}
delay=${DELAY_MS:-50}
port=${PORT:-25353}
proxy_port=$((port + 1))
cargo build --release -q
bin=target/release/mxdoctor
state=$(mktemp -d)
nsd_pid=$(scripts/nsd-serve.sh "$state/nsd" "$port" tests/fixtures/zones)
python3 scripts/dns-delay-proxy.py "$proxy_port" "$port" "$delay" > "$state/proxy.out" &
proxy_pid=$!
trap 'kill "$nsd_pid" "$proxy_pid" 2>/dev/null || true; rm -rf "$state"' EXIT
until grep -q ready "$state/proxy.out" 2>/dev/null; do sleep 0.05; done

check() {
    "$bin" check good.test --ip 192.0.2.10 --ip 2001:db8::10 --host mail.good.test \
        --selector mail --no-smtp --no-dnsbl --no-postfix --no-egress --format json --resolver "$@" >/dev/null || true
}

median_ms() {
    i=0
    while [ $i -lt "$runs" ]; do
        start=$(date +%s%N)
        check "$1"
        end=$(date +%s%N)
        echo $(((end - start) / 1000000))
        i=$((i + 1))
    done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

check "127.0.0.1:$port" --facts-out "$state/facts.json"
queries=$(grep -c '"millis"' "$state/facts.json")
direct=$(median_ms "127.0.0.1:$port")
delayed=$(median_ms "127.0.0.1:$proxy_port")
echo "check good.test, median of $runs runs (release build)"
echo "  DNS queries sent:                 $queries"
echo "  wall time, NSD on loopback:       ${direct} ms"
echo "  wall time, +${delay} ms per answer:     ${delayed} ms"
echo "  round trips in series (estimate): $(awk "BEGIN { printf \"%.1f\", $delayed / $delay }") (all $queries in series would take $((queries * delay)) ms)"
