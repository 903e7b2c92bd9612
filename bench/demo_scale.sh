#!/usr/bin/env bash
# Benchmark: load a province-sized demo sample into a fresh database and report the time.
#   bash bench/demo_scale.sh [PRACTITIONERS] [ENTERPRISES]     (default 100000 and 20000)
# DATABASE_URL selects the database (default: a temporary SQLite file).
source "$(dirname "$0")/../scripts/setup.sh"
n="${1:-100000}"; e="${2:-20000}"
work=$(mktemp -d)
export INSTANCE_DIR="$work" DATABASE_URL="${DATABASE_URL:-sqlite:///$work/bench.db}"
.venv/bin/flask db upgrade >/dev/null 2>&1
.venv/bin/flask roles sync >/dev/null
start=$(date +%s.%N)
.venv/bin/flask demo load --practitioners "$n" --enterprises "$e" | grep -v "^  " | tail -3
end=$(date +%s.%N)
python3 -c "print(f'demo load of $n practitioners, $e enterprises: {($end - $start):.1f} s')"
[ "${DATABASE_URL#sqlite}" != "$DATABASE_URL" ] && du -h "$work/bench.db"
rm -rf "$work"
