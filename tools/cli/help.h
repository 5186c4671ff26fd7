// `lio help [COMMAND]`: the man-page-style reference of each command. The
// same text is tools/README.md's "Command reference" (tools/lio help
// --markdown prints that section; tools/checks/cli_help.sh checks they match).
#ifndef LIO_TOOLS_CLI_HELP_H_
#define LIO_TOOLS_CLI_HELP_H_

#include <string>
#include <vector>

namespace lio::cli {

// One line per command: "  backends     every backend found, ...".
std::string HelpSummary();

// The reference page of `command`, or "" when there is no such command.
std::string HelpPage(const std::string& command);

// Every page as the markdown section of tools/README.md.
std::string HelpMarkdown();

// `lio help ARGS...`: prints and returns the exit status.
int HelpCommand(const std::vector<std::string>& args);

}  // namespace lio::cli

#endif  // LIO_TOOLS_CLI_HELP_H_
