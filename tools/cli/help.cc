#include "tools/cli/help.h"

#include <cstdio>
#include <string_view>

namespace lio::cli {
namespace {

struct Page {
  const char* command;
  const char* summary;
  const char* text;
};

// The one source of the command reference (tools/README.md is generated
// from it). Man-page sections; 100 columns at most.
constexpr Page kPages[] = {
    {"backends", "every backend found: ABI, probe, a short exercise by name, operations",
     R"(NAME
    lio backends - list every backend plugin found; probe, open and exercise each by name

SYNOPSIS
    lio backends [--plugin PATH[,PATH...]] [--json[=FILE]]

DESCRIPTION
    Loads every plugin in the search path (and each --plugin file), then prints one row per
    backend: its ABI version, its priority for "auto", its probe result, a short exercise run
    through the backend opened by name (nop; a temporary file opened, written, read back and
    closed; a 1 ms timeout; each only if declared), and the operations it declares. Below the
    table: each backend's description and the plugin file it came from, the reason of every
    failed probe, the operation table (one row per operation, one column per backend: native,
    the OS mechanism does it; emulated, a worker thread or an inline call does; unsupported, not
    declared; declared, a 1.0 backend that does not say), and the backend "auto" chooses.

    Paths are shown relative to the repository (bazel-bin/...) or to the home directory (~/...)
    when they lie there; --json gives them in full.

OPTIONS
    --plugin PATH[,PATH...]
        Also load these plugin files, by path, before the search path.
    --json, --json=FILE
        Print the same facts as one JSON object instead of the table: "abi", "search_path",
        "backends" (each with "name", "description", "plugin", "abi", "priority", "probe" {"ok",
        "why"}, "exercise" {"ok", "summary"}, "ops", "op_table" {operation: "native",
        "emulated", "unsupported" or "declared"}), "auto" {"backend" or "error"} and "warnings".
        --json alone writes to standard output.

ENVIRONMENT
    LIO_PLUGIN_PATH
        Directories searched for liblio_NAME.so files, ':'-separated, before the directory lio
        was installed with (PREFIX/lib/lio). Absolute paths only: a relative entry is refused,
        with a warning. tools/lio appends the plugins it built.
    LIO_BACKEND
        What "auto" (and the name "") opens instead of the best probed backend.

EXIT STATUS
    0 when at least one backend was found and every exercise that ran passed; 1 otherwise.

EXAMPLES
    tools/lio backends
    LIO_PLUGIN_PATH=/tmp/my-plugins tools/lio backends --json | jq '.backends[].name'
)"},
    {"conformance", "the conformance suite against a backend by name or a plugin file by path",
     R"(NAME
    lio conformance - run the conformance suite against one backend

SYNOPSIS
    lio conformance NAME [--json FILE] [--isolate] [-- RUNNER_ARGS...]
    lio conformance --plugin PATH [--backend NAME] [--json FILE] [--isolate] [-- RUNNER_ARGS...]
    lio conformance --clauses

DESCRIPTION
    Runs every case of the suite against the backend NAME (found like `lio backends` finds it),
    or against the plugin file PATH. Prints one row per contract clause — an id written beside
    its sentence in lio/core/plugin_abi.h, such as push.full_first — (cases passed, failed,
    skipped) and, for each failure, the clause it breaks. Operations the backend does not
    declare are skipped, with the reason; declared operations that break the contract fail.
    A wrong path, a file that is not a plugin or an unknown name is refused before the suite
    starts, with a message that says what to do.

OPTIONS
    --plugin PATH
        Test the plugin in this file.
    --backend NAME
        With --plugin: which of the plugin's backends to test (default: each).
    --json FILE
        Also write the per-clause report as JSON to FILE.
    --isolate
        Run each case in its own process, so a crash fails one case instead of the run.
    --clauses
        Print the clause map instead: every id of plugin_abi.h with the cases that check it, or
        why no case can.
    -- RUNNER_ARGS...
        Passed to the suite runner (a GoogleTest program), e.g. --gtest_filter=*Cancel*.

ENVIRONMENT
    LIO_CONFORMANCE_RUNNER
        The suite runner to execute. tools/lio sets it to the one it built; an installed lio
        uses PREFIX/libexec/lio/conformance_runner.
    LIO_PLUGIN_PATH
        As for `lio backends`.

EXIT STATUS
    0 when every case that ran passed; 1 when a case failed or the suite crashed; 2 when the
    input was refused.

EXAMPLES
    tools/lio conformance io_uring
    tools/lio conformance --plugin ./liblio_mine.so --json report.json
    tools/lio conformance poller -- --gtest_filter='*Timeout*'
)"},
    {"bench", "every workload beside its raw reference (liburing, epoll, libuv, fio), as ratios",
     R"(NAME
    lio bench - benchmark every workload beside its reference and print the ratios

SYNOPSIS
    tools/lio bench [--quick] [--filter REGEX] [--json FILE] [--plot FILE.png] [--list]
                    [--list_variants] [--variants REGEX] [--repetitions N] [--seconds S]
                    [--file_dir DIR] [--poller_workers N] [--verbose]

DESCRIPTION
    Builds the benchmarks and the plugins optimized, then runs each workload's lio rows and
    their raw references (liburing, epoll, libuv, fio) interleaved in the same run, and prints
    one table: the medians, the ratio lio / reference, and the target each ratio is held to.
    A benchmark is never a test: it exits 0 whether or not targets are met. bench/README.md
    explains every row. Only through tools/lio (it is its own program, bench/lio_bench).

OPTIONS
    --quick               short loops, 3 repetitions (what tools/test runs)
    --filter REGEX        only rows whose "workload lio-row params" match
    --json FILE           also write the rows, the machine and the settings as JSON
    --plot FILE.png       also draw the ratios and their targets with gnuplot
    --list                list the rows (after --filter) and exit
    --list_variants       list what is measured for the rows: lio variants and references
    --variants REGEX      only the lio variants and references that match
    --repetitions N       repetitions per variant (default 5, --quick 3)
    --seconds S           measured seconds per repetition of a timed loop (1, --quick 0.25)
    --file_dir DIR        directory of file_read's test file (default /var/tmp; needs O_DIRECT)
    --poller_workers N    poller worker threads, and the references' thread pools (default 4)
    --verbose             print every sample on stderr as it is taken

EXIT STATUS
    0 when the table was printed; non-zero when the build or a workload could not run.

EXAMPLES
    tools/lio bench --quick
    tools/lio bench --filter 'tcp_echo' --json rows.json --plot ratios.png
)"},
    {"help", "this reference: lio help COMMAND",
     R"(NAME
    lio help - the reference of each command

SYNOPSIS
    lio help [COMMAND]
    lio help --markdown

DESCRIPTION
    Without COMMAND, lists the commands. With COMMAND, prints its reference page. --markdown
    prints every page as the "Command reference" section of tools/README.md, which is generated
    from this text (tools/checks/cli_help.sh checks that the two match).

EXIT STATUS
    0; 2 for an unknown command.
)"},
};

const Page* Find(std::string_view command) {
  for (const Page& p : kPages) {
    if (command == p.command) return &p;
  }
  return nullptr;
}

}  // namespace

std::string HelpSummary() {
  std::string out = "usage: lio COMMAND [OPTIONS]   (from a checkout: tools/lio COMMAND)\n\ncommands:\n";
  for (const Page& p : kPages) {
    std::string name = p.command;
    out += "  " + name + std::string(name.size() < 13 ? 13 - name.size() : 1, ' ') + p.summary + "\n";
  }
  out += "\nlio help COMMAND shows a command's reference.\n";
  return out;
}

std::string HelpPage(const std::string& command) {
  const Page* p = Find(command);
  return p == nullptr ? "" : p->text;
}

std::string HelpMarkdown() {
  std::string out;
  for (const Page& p : kPages) {
    out += "### lio " + std::string(p.command) + "\n\n```text\n" + p.text + "```\n\n";
  }
  return out;
}

int HelpCommand(const std::vector<std::string>& args) {
  if (args.empty()) {
    std::fputs(HelpSummary().c_str(), stdout);
    return 0;
  }
  if (args[0] == "--markdown") {
    std::fputs(HelpMarkdown().c_str(), stdout);
    return 0;
  }
  std::string page = HelpPage(args[0]);
  if (page.empty()) {
    std::fprintf(stderr, "lio help: no command '%s'\n\n%s", args[0].c_str(), HelpSummary().c_str());
    return 2;
  }
  std::fputs(page.c_str(), stdout);
  return 0;
}

}  // namespace lio::cli
