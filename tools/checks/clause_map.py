"""The clause map holds together: plugin_abi.h's ids, lio/testing/clauses.h's
entries, the conformance cases and the broken plugins.

Fails (exit 1, saying what) when
  - an id is in the header but not in clauses.h, or the other way round;
  - a testable id has no case (LIO_CONFORMANCE_CASE naming it);
  - an id marked not testable has a case (its reason is stale);
  - a case names an id the header lacks;
  - a broken plugin (lio/testing/broken/BUILD.bazel) names an id the header
    lacks, or one marked not testable;
  - a testable id has neither a broken plugin nor a `not_breakable` reason.
Prints the per-id counts and the mutation coverage (ids with a broken plugin).
"""

import glob
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def read(path):
    with open(os.path.join(ROOT, path)) as f:
        return f.read()


def header_ids():
    text = read("lio/core/plugin_abi.h")
    return set(re.findall(r"\[([a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)\]", text))


def clause_entries():
    """{id: {"name", "not_testable", "not_breakable"}} from clauses.h."""
    text = read("lio/testing/clauses.h")
    entries = {}
    for m in re.finditer(r"inline constexpr Clause (\w+)\{(.*?)\};", text, re.S):
        name, body = m.groups()
        idm = re.search(r'\.id = "([^"]+)"', body)
        if not idm:
            continue
        entries[idm.group(1)] = {
            "name": name,
            "not_testable": ".not_testable =" in body,
            "not_breakable": ".not_breakable =" in body,
        }
    return entries


def cases():
    """[(file, suite, clause name, case name)]"""
    found = []
    for path in sorted(glob.glob(os.path.join(ROOT, "lio/testing/*.cc"))):
        with open(path) as f:
            text = f.read()
        for m in re.finditer(r"LIO_CONFORMANCE_CASE\(\s*(\w+),\s*(\w+),\s*(\w+)\)", text):
            found.append((os.path.relpath(path, ROOT),) + m.groups())
    return found


def broken_plugins():
    """[(plugin, id)] from the BROKEN_PLUGINS list."""
    text = read("lio/testing/broken/BUILD.bazel")
    block = re.search(r"BROKEN_PLUGINS = \[(.*?)\n\]", text, re.S)
    if not block:
        return []
    return re.findall(r'\("(\w+)",\s*"\w+",\s*"([^"]+)"\)', block.group(1))


def main():
    errors = []
    ids = header_ids()
    entries = clause_entries()
    by_name = {e["name"]: i for i, e in entries.items()}
    for i in sorted(ids - set(entries)):
        errors.append("[%s] is in plugin_abi.h but has no entry in lio/testing/clauses.h" % i)
    for i in sorted(set(entries) - ids):
        errors.append("clauses.h lists [%s], which plugin_abi.h does not have" % i)
    for i, e in entries.items():
        if e["name"] != i.replace(".", "_"):
            errors.append("clauses.h: [%s] is called %s; it must be %s" % (i, e["name"], i.replace(".", "_")))

    per_id = {i: [] for i in entries}
    for path, suite, clause, name in cases():
        i = by_name.get(clause)
        if i is None or i not in ids:
            errors.append("%s: case %s.%s names clause %s, which plugin_abi.h does not have" % (path, suite, name, clause))
            continue
        per_id[i].append("%s.%s_%s" % (suite, clause, name))

    broken = {}
    for plugin, i in broken_plugins():
        if i not in ids:
            errors.append("broken plugin %s names [%s], which plugin_abi.h does not have" % (plugin, i))
            continue
        if entries.get(i, {}).get("not_testable"):
            errors.append("broken plugin %s names [%s], marked not testable" % (plugin, i))
        broken.setdefault(i, []).append(plugin)

    testable = sorted(i for i, e in entries.items() if not e["not_testable"])
    for i in sorted(entries):
        e = entries[i]
        if e["not_testable"] and per_id[i]:
            errors.append("[%s] is marked not testable but has cases: %s" % (i, ", ".join(per_id[i])))
        if not e["not_testable"] and not per_id[i]:
            errors.append("[%s] has no conformance case (and no not_testable reason in clauses.h)" % i)
        if not e["not_testable"] and not broken.get(i) and not e["not_breakable"]:
            errors.append("[%s] has no broken plugin in lio/testing/broken/ (and no not_breakable reason)" % i)
        if e["not_breakable"] and broken.get(i):
            errors.append("[%s] says no wrapper can break it, but %s does" % (i, ", ".join(broken[i])))

    n_cases = sum(len(c) for c in per_id.values())
    n_broken_ids = sum(1 for i in testable if broken.get(i))
    print("clause map: %d ids in plugin_abi.h (%d testable, %d not), %d cases, %d broken plugins covering %d of %d "
          "testable ids (%d not breakable by a wrapper)"
          % (len(ids), len(testable), len(ids) - len(testable), n_cases, sum(len(b) for b in broken.values()),
             n_broken_ids, len(testable), sum(1 for i in testable if entries[i]["not_breakable"])))
    for e in errors:
        print("  ERROR: " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
