# `tools/lio bench --quick` runs and prints every row: the rows it lists
# (--list) are exactly the rows of its table and of its --json output, and
# the table carries the machine line and the summary. Not a performance test:
# a row that misses its target, or has no figure (a backend or lio::Loop
# missing), still passes; the figures are the benchmark's business.
set -u
cd "$(dirname "$0")/../.."
fail() { echo "FAIL: $*"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

start=$(date +%s)
tools/lio bench --quick --json "$tmp/rows.json" >"$tmp/table" 2>"$tmp/err" || {
  cat "$tmp/table" "$tmp/err"
  fail "lio bench --quick exited non-zero"
}
cat "$tmp/table"
echo "(lio bench --quick took $(( $(date +%s) - start )) s, build included)"

# Every row the program declares, from the binary tools/lio just built (no
# second build): `lio_bench --list`.
bin=$(bazel info --config=opt bazel-bin 2>/dev/null)/bench/lio_bench
[ -x "$bin" ] || fail "no $bin after tools/lio bench"
"$bin" --list >"$tmp/list" 2>"$tmp/list.err" || { cat "$tmp/list.err"; fail "lio_bench --list exited non-zero"; }
expected=$(wc -l <"$tmp/list")
[ "$expected" -gt 0 ] || fail "lio_bench --list printed no rows"

grep -q "^machine: " "$tmp/table" || fail "no machine line"
grep -qE "^$expected rows; targets: " "$tmp/table" || fail "the table does not say '$expected rows' (lio bench --list has $expected)"

# The JSON rows, as --list prints them: "workload lio-row params".
sed -nE 's/^ *\{"workload": "([^"]*)", "lio_row": "([^"]*)", "params": "([^"]*)".*/\1 \2 \3/p' "$tmp/rows.json" >"$tmp/json_rows"
diff "$tmp/list" "$tmp/json_rows" || fail "--json rows differ from --list (diff above)"

# Each row in the table: its workload, lio row and params appear on one line.
while read -r workload row params; do
  grep -F -- "$workload" "$tmp/table" | grep -F -- " $row " | grep -qF -- "$params" ||
    fail "row '$workload $row $params' is not in the table"
done < <(sed -E 's/^([^ ]+) ([^ ]+) (.*)$/\1 \2 \3/' "$tmp/list")
echo "OK: $expected rows printed"
