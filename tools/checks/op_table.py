#!/usr/bin/env python3
"""The README's operation table, made from `lio backends --json`.

One row per operation code, one column per backend that `lio backends` finds
on this machine (chaos backends left out: each runs exactly what it wraps),
each cell native / emulated / unsupported as the backend reports it
(BackendInfo::native_ops). The table sits in README.md between the
BEGIN/END markers below.

  op_table.py JSON            print the table
  op_table.py JSON --write    put it into README.md
  op_table.py JSON --check    exit 1, with a diff, when README.md differs
"""
import difflib
import json
import pathlib
import sys

BEGIN = "<!-- BEGIN generated: tools/checks/op_table.py from tools/lio backends --json -->"
END = "<!-- END generated: op table -->"
README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def table(report):
    backends = [b for b in report["backends"] if not b["name"].startswith("chaos")]
    if not backends:
        sys.exit("op_table: lio backends found no backend")
    ops = list(backends[0]["op_table"].keys())
    lines = ["| operation | " + " | ".join(f"`{b['name']}`" for b in backends) + " |",
             "|---|" + "---|" * len(backends)]
    for op in ops:
        lines.append(f"| `{op}` | " + " | ".join(b["op_table"][op] for b in backends) + " |")
    return "\n".join(lines)


def split_readme(text):
    if BEGIN not in text or END not in text:
        sys.exit(f"op_table: README.md has no {BEGIN} ... {END} block")
    head, rest = text.split(BEGIN, 1)
    body, tail = rest.split(END, 1)
    return head, body, tail


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    report = json.loads(pathlib.Path(argv[1]).read_text())
    generated = table(report)
    mode = argv[2] if len(argv) > 2 else ""
    if mode == "":
        print(generated)
        return 0
    text = README.read_text()
    head, body, tail = split_readme(text)
    if mode == "--write":
        README.write_text(f"{head}{BEGIN}\n{generated}\n{END}{tail}")
        return 0
    if body.strip("\n") == generated:
        print("op_table: README.md's operation table matches tools/lio backends --json")
        return 0
    sys.stdout.writelines(difflib.unified_diff(body.strip("\n").splitlines(True), generated.splitlines(True),
                                               "README.md", "tools/lio backends --json"))
    print("\nFAIL: README.md's operation table differs from what the backends report (diff above).")
    print("Regenerate it: tools/lio backends --json=/tmp/b.json && python3 tools/checks/op_table.py /tmp/b.json --write")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
