// The subcommands of `lio`, each returning the process exit status.
#ifndef LIO_TOOLS_CLI_COMMANDS_H_
#define LIO_TOOLS_CLI_COMMANDS_H_

#include <string>
#include <vector>

namespace lio::cli {

// `lio backends [--plugin PATH]... [--json[=FILE]]`
struct BackendsArgs {
  std::vector<std::string> plugin_paths;
  std::string json;  // "" the table; "-" JSON on stdout; else JSON into this file
};
int BackendsCommand(const BackendsArgs& args);

// `lio conformance NAME | --plugin PATH [--backend NAME] [--json FILE] [--isolate]`
struct ConformanceArgs {
  std::string backend;
  std::string plugin;
  std::string json;
  bool isolate = false;
  std::vector<std::string> extra;  // passed to the runner (e.g. --gtest_filter)
};
int ConformanceCommand(const ConformanceArgs& args);

}  // namespace lio::cli

#endif  // LIO_TOOLS_CLI_COMMANDS_H_
