# `tools/lio bench --quick` runs and prints every row: the rows it lists
# (--list) are exactly the rows of its table and of its --json output, and
# the table carries the machine line and the summary. Then the same for the
# opt-in HTTP rows against nginx and the C responders, `tools/lio bench --nginx
# --quick` (three configurations, one wrk second per server each: about 15 s).
# Not a performance test:
# a row that misses its target, or has no figure (a backend or lio::Loop
# missing), still passes; the figures are the benchmark's business.
set -u
cd "$(dirname "$0")/../.."
fail() { echo "FAIL: $*"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Runs `tools/lio bench --quick ARGS` and checks that its table and JSON
# hold exactly the rows `lio_bench --quick ARGS --list` declares.
check_rows() {
  local name=$1
  shift
  local start
  start=$(date +%s)
  tools/lio bench --quick "$@" --json "$tmp/$name.json" >"$tmp/$name.table" 2>"$tmp/$name.err" || {
    cat "$tmp/$name.table" "$tmp/$name.err"
    fail "lio bench --quick $* exited non-zero"
  }
  cat "$tmp/$name.table"
  echo "(lio bench --quick $* took $(( $(date +%s) - start )) s, build included)"

  # Every row the program declares, from the binary tools/lio just built (no
  # second build): `lio_bench --list`.
  bin=$(bazel info --config=opt bazel-bin 2>/dev/null)/bench/lio_bench
  [ -x "$bin" ] || fail "no $bin after tools/lio bench"
  "$bin" --quick "$@" --list >"$tmp/$name.list" 2>"$tmp/$name.list.err" ||
    { cat "$tmp/$name.list.err"; fail "lio_bench --list exited non-zero"; }
  expected=$(wc -l <"$tmp/$name.list")
  [ "$expected" -gt 0 ] || fail "lio_bench --quick $* --list printed no rows"

  grep -q "^machine: " "$tmp/$name.table" || fail "no machine line"
  grep -qE "^$expected rows; targets: " "$tmp/$name.table" ||
    fail "the table does not say '$expected rows' (lio bench --list has $expected)"

  # The JSON rows, as --list prints them: "workload lio-row params".
  sed -nE 's/^ *\{"workload": "([^"]*)", "lio_row": "([^"]*)", "params": "([^"]*)".*/\1 \2 \3/p' \
    "$tmp/$name.json" >"$tmp/$name.json_rows"
  diff "$tmp/$name.list" "$tmp/$name.json_rows" || fail "--json rows differ from --list (diff above)"

  # Each row in the table: its workload, lio row and params appear on one line.
  while read -r workload row params; do
    grep -F -- "$workload" "$tmp/$name.table" | grep -F -- " $row " | grep -qF -- "$params" ||
      fail "row '$workload $row $params' is not in the table"
  done < <(sed -E 's/^([^ ]+) ([^ ]+) (.*)$/\1 \2 \3/' "$tmp/$name.list")
  echo "OK: $expected rows printed"
}

check_rows all
check_rows nginx --nginx
