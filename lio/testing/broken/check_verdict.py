"""Checks one conformance run's verdict for the broken-plugin meta-test.

Reads the suite's report (--lio_json: a JSON array of
{"backend", "clauses": [{"clause", "status", "passed", "failed", "skipped",
"cases": [{"name", "status", "message"}]}]}, lio/testing/clause_report.h),
prints the verdict per clause, and exits 0 when it is the expected one:

  --expect=CLAUSE  the run failed (non-zero exit) and CLAUSE has status fail
  --expect=pass    the run passed (exit 0) and no clause failed
"""

import argparse
import json
import os
import re
import sys


def clauses_from_lio_json(report):
    """{clause: {"status", "passed", "failed", "skipped", "failing": [(case, message)]}} over every backend."""
    merged = {}
    for backend in report:
        for clause in backend.get("clauses", []):
            entry = merged.setdefault(clause["clause"], {"passed": 0, "failed": 0, "skipped": 0, "failing": []})
            for key in ("passed", "failed", "skipped"):
                entry[key] += int(clause.get(key, 0))
            for case in clause.get("cases", []):
                if case.get("status") == "fail":
                    entry["failing"].append((case.get("name", "?"), case.get("message", "")))
            if clause.get("status") == "fail" and not entry["failed"]:
                entry["failed"] = 1
    return merged


def load(path):
    if not path or not os.path.exists(path) or os.path.getsize(path) == 0:
        return None
    with open(path) as f:
        return json.load(f)


def one_line(message):
    """The telling part of a failure: its first "[clause] ..." sentence, else its first failure."""
    text = " ".join(message.split())
    at = text.find("[")
    if at >= 0:
        text = text[at:]
    text = re.split(r" \S+\.(?:cc|h):\d+:", text)[0]
    return text[:160]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)
    parser.add_argument("--expect", required=True)
    parser.add_argument("--exit-status", type=int, required=True)
    parser.add_argument("--lio-json", required=True)
    parser.add_argument("--log")
    args = parser.parse_args()

    report = load(args.lio_json)
    if report is None:
        print("%s: the suite wrote no report (exit status %d): it crashed or was killed, so it named no clause."
              % (args.name, args.exit_status))
        if args.log and os.path.exists(args.log):
            with open(args.log, errors="replace") as f:
                tail = f.read().splitlines()[-40:]
            print("   last lines of its output:\n     " + "\n     ".join(tail))
        return 1

    clauses = clauses_from_lio_json(report)
    failed = sorted(c for c, e in clauses.items() if e["failed"] > 0)
    print("   verdict per clause:")
    for clause in sorted(clauses):
        e = clauses[clause]
        status = "FAIL" if e["failed"] else ("pass" if e["passed"] else "skip")
        marker = "  <== expected" if clause == args.expect else ""
        print("     %-34s %-4s  %3d passed %3d failed %3d skipped%s"
              % (clause, status, e["passed"], e["failed"], e["skipped"], marker))
        for case, message in e["failing"][:3]:
            print("         %s: %s" % (case, one_line(message)))
        if len(e["failing"]) > 3:
            print("         ... and %d more" % (len(e["failing"]) - 3))

    if args.expect == "pass":
        if args.exit_status == 0 and not failed:
            total = sum(e["passed"] for e in clauses.values())
            print("PASSED: %s passes the conformance suite (%d cases passed)." % (args.name, total))
            if total == 0:
                print("   note: every case was skipped (the backend's probe refused this machine).")
            return 0
        print("FAILED: the real plugin %s does not pass the suite (exit %d; failing clauses: %s)."
              % (args.name, args.exit_status, ", ".join(failed) or "none reported"))
        return 1

    if args.exit_status == 0:
        print("FAILED: the suite PASSED the broken plugin %s; it must fail clause %s." % (args.name, args.expect))
        return 1
    if args.expect not in failed:
        print("FAILED: the suite rejected %s (exit %d) but did not name clause %s; it named: %s."
              % (args.name, args.exit_status, args.expect, ", ".join(failed) or "none"))
        return 1
    others = [c for c in failed if c != args.expect]
    print("REJECTED: %s fails clause %s%s." % (args.name, args.expect,
                                              " (also: %s)" % ", ".join(others) if others else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
