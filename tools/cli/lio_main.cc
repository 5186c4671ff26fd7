// lio: the command-line tool. `lio help` lists the commands, `lio help
// COMMAND` gives each one's reference (tools/cli/help.cc).
#include <cstring>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_format.h"
#include "tools/cli/commands.h"
#include "tools/cli/help.h"

ABSL_FLAG(std::vector<std::string>, plugin, {}, "plugin file(s) to load by path (comma-separated)");
ABSL_FLAG(std::string, backend, "", "backend name (conformance: which backend of --plugin to test)");
ABSL_FLAG(std::string, json, "", "backends: JSON instead of the table (--json alone: stdout); conformance: also "
          "write the clause report as JSON to this file");
ABSL_FLAG(bool, isolate, false, "conformance: run each case in its own process (a crash fails one case)");

namespace {

constexpr char kUsage[] =
    "lio backends [--plugin PATH] [--json[=FILE]]\n"
    "  lio conformance NAME | --plugin PATH [--backend NAME] [--json FILE] [--isolate] [-- RUNNER_ARGS]\n"
    "  lio help [COMMAND]";

// `lio backends --json` takes no value (JSON on stdout): absl flags would
// take the next argument as the value, or fail at the end of the line.
std::vector<char*> BareJsonMeansStdout(int argc, char** argv) {
  static char kStdout[] = "--json=-";
  std::vector<char*> args(argv, argv + argc);
  bool backends = false;
  for (int i = 1; i < argc; ++i) backends = backends || std::strcmp(argv[i], "backends") == 0;
  if (!backends) return args;
  for (size_t i = 1; i < args.size(); ++i) {
    if (std::strcmp(args[i], "--json") != 0) continue;
    bool has_value = i + 1 < args.size() && args[i + 1][0] != '-' && std::strcmp(args[i + 1], "backends") != 0;
    if (!has_value) args[i] = kStdout;
  }
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  // help needs no flag parsing (and takes --markdown, which is no flag).
  if (argc >= 2 && std::strcmp(argv[1], "help") == 0) {
    return lio::cli::HelpCommand(std::vector<std::string>(argv + 2, argv + argc));
  }
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> args = BareJsonMeansStdout(argc, argv);
  std::vector<char*> positional = absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  if (positional.size() < 2) {
    absl::FPrintF(stderr, "%s", lio::cli::HelpSummary());
    return 2;
  }
  std::string command = positional[1];
  std::vector<std::string> rest(positional.begin() + 2, positional.end());
  if (command == "backends") {
    if (!rest.empty()) {
      absl::FPrintF(stderr, "lio backends takes no arguments (did you mean --plugin %s?)\n", rest[0]);
      return 2;
    }
    return lio::cli::BackendsCommand({absl::GetFlag(FLAGS_plugin), absl::GetFlag(FLAGS_json)});
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
    args.extra = rest;
    return lio::cli::ConformanceCommand(args);
  }
  absl::FPrintF(stderr, "lio: unknown command '%s'\n\n%s", command, lio::cli::HelpSummary());
  return 2;
}
