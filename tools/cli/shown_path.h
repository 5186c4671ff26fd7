// Paths as a person reads them: a plugin built in this repository shows as
// bazel-bin/lio/plugins/... (relative to the repository), a file under the
// home directory as ~/..., anything else in full. For display only; --json
// keeps full paths.
#ifndef LIO_TOOLS_CLI_SHOWN_PATH_H_
#define LIO_TOOLS_CLI_SHOWN_PATH_H_

#include <string>

namespace lio::cli {

// `repo_root` is the repository tools/lio runs from ($LIO_ROOT; empty when
// lio runs installed), `home` is $HOME (may be empty).
std::string ShownPath(const std::string& path, const std::string& repo_root, const std::string& home);

// The same with $LIO_ROOT and $HOME.
std::string ShownPath(const std::string& path);

}  // namespace lio::cli

#endif  // LIO_TOOLS_CLI_SHOWN_PATH_H_
