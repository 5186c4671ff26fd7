// `lio conformance`: runs the shared conformance suite (the
// //lio/testing:conformance_runner binary) against a backend by name or a
// plugin file by path. The runner prints the per-clause table; this command
// checks the input first so a wrong path or a non-plugin gets a clear message.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "lio/core/registry.h"
#include "tools/cli/commands.h"

namespace lio::cli {
namespace {

// $LIO_CONFORMANCE_RUNNER (tools/lio sets it to the built runner), else the
// one tools/install put beside this command: PREFIX/libexec/lio/.
std::string RunnerPath() {
  if (const char* env = std::getenv("LIO_CONFORMANCE_RUNNER")) return env;
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  return (self.parent_path().parent_path() / "libexec" / "lio" / "conformance_runner").string();
}

// fork + exec, so a runner killed by a signal is reported, not mistaken for
// a plain failure.
int Run(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    absl::FPrintF(stderr, "lio conformance: fork failed: %s\n", std::strerror(errno));
    return 2;
  }
  if (pid == 0) {
    execv(args[0], args.data());
    absl::FPrintF(stderr, "lio conformance: cannot run %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    absl::FPrintF(stderr, "lio conformance: the suite was killed by signal %d (%s); run with --isolate to run each "
                  "case in its own process and see which one.\n", WTERMSIG(status), strsignal(WTERMSIG(status)));
    return 1;
  }
  return WEXITSTATUS(status);
}

}  // namespace

int ConformanceCommand(const ConformanceArgs& args) {
  if (args.backend.empty() && args.plugin.empty()) {
    absl::FPrintF(stderr, "usage: lio conformance NAME | --plugin PATH [--backend NAME] [--json FILE] [--isolate]\n");
    return 2;
  }
  // Load here first: a wrong path or a file that is not a plugin is reported
  // with the registry's own message before the suite starts.
  Registry& registry = Registry::Default();
  if (!args.plugin.empty()) {
    auto loaded = registry.LoadPlugin(args.plugin);
    if (!loaded) {
      absl::FPrintF(stderr, "lio conformance: %s\n", loaded.error().message);
      return 2;
    }
  }
  if (!args.backend.empty()) {
    auto found = registry.Find(args.backend);
    if (!found) {
      absl::FPrintF(stderr, "lio conformance: %s\n", found.error().message);
      return 2;
    }
  }
  std::string runner = RunnerPath();
  if (runner.empty() || access(runner.c_str(), X_OK) != 0) {
    absl::FPrintF(stderr, "lio conformance: the suite runner was not found (%s); run this command through "
                  "tools/lio, which builds it, or set LIO_CONFORMANCE_RUNNER.\n", runner);
    return 2;
  }
  std::vector<std::string> argv = {runner};
  if (!args.plugin.empty()) argv.push_back("--lio_plugin=" + args.plugin);
  if (!args.backend.empty()) argv.push_back("--lio_backend=" + args.backend);
  if (!args.json.empty()) argv.push_back("--lio_json=" + args.json);
  if (args.isolate) argv.push_back("--lio_isolate");
  argv.insert(argv.end(), args.extra.begin(), args.extra.end());
  return Run(argv);
}

}  // namespace lio::cli
