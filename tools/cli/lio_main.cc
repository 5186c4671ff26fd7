// lio: the command-line tool.
//   lio backends                 every backend found: ABI, ops, probe, a short exercise
//   lio conformance NAME         the conformance suite against a backend by name
//   lio conformance --plugin P   ... against a plugin file by path
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_format.h"
#include "tools/cli/commands.h"

ABSL_FLAG(std::vector<std::string>, plugin, {}, "plugin file(s) to load by path (comma-separated)");
ABSL_FLAG(std::string, backend, "", "backend name (conformance: which backend of --plugin to test)");
ABSL_FLAG(std::string, json, "", "conformance: also write the clause report as JSON to this file");
ABSL_FLAG(bool, isolate, false, "conformance: run each case in its own process (a crash fails one case)");
ABSL_FLAG(bool, clauses, false, "conformance: print the clause map (plugin_abi.h id -> cases) and exit");

namespace {

constexpr char kUsage[] =
    "lio backends [--plugin PATH]\n"
    "  lio conformance NAME | --plugin PATH [--backend NAME] [--json FILE] [--isolate] [-- RUNNER_ARGS]\n"
    "  lio conformance --clauses";

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() < 2) {
    absl::FPrintF(stderr, "usage: %s\n", kUsage);
    return 2;
  }
  std::string command = positional[1];
  std::vector<std::string> rest(positional.begin() + 2, positional.end());
  if (command == "backends") {
    if (!rest.empty()) {
      absl::FPrintF(stderr, "lio backends takes no arguments (did you mean --plugin %s?)\n", rest[0]);
      return 2;
    }
    return lio::cli::BackendsCommand(absl::GetFlag(FLAGS_plugin));
  }
  if (command == "conformance") {
    lio::cli::ConformanceArgs args;
    std::vector<std::string> plugins = absl::GetFlag(FLAGS_plugin);
    if (plugins.size() > 1) {
      absl::FPrintF(stderr, "lio conformance tests one plugin at a time\n");
      return 2;
    }
    if (!plugins.empty()) args.plugin = plugins[0];
    args.backend = absl::GetFlag(FLAGS_backend);
    if (!rest.empty() && args.backend.empty() && rest[0].rfind("--", 0) != 0) {
      args.backend = rest[0];
      rest.erase(rest.begin());
    }
    args.json = absl::GetFlag(FLAGS_json);
    args.isolate = absl::GetFlag(FLAGS_isolate);
    args.print_clauses = absl::GetFlag(FLAGS_clauses);
    args.extra = rest;
    return lio::cli::ConformanceCommand(args);
  }
  absl::FPrintF(stderr, "unknown command '%s'\nusage: %s\n", command, kUsage);
  return 2;
}
