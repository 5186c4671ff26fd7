// The conformance suite's main: choose the backends, then run gtest.
//
//   conformance_runner --lio_plugin=PATH [--lio_backend=NAME] [gtest flags]
//   conformance_runner --lio_backend=NAME [gtest flags]
//
// --lio_plugin loads that plugin file and tests every backend it registers
// (or only NAME). --lio_backend alone finds NAME through the registry's search
// path ($LIO_PLUGIN_PATH, then the install directory). Without flags,
// $LIO_CONFORMANCE_PLUGIN and $LIO_CONFORMANCE_BACKEND are used. A plugin or
// backend that cannot be found or loaded is a usage error: exit status 2.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "lio/core/backend.h"
#include "lio/core/op.h"
#include "lio/core/registry.h"
#include "lio/testing/backends_under_test.h"
#include "lio/testing/case_watchdog.h"
#include "lio/testing/platform.h"

namespace {

constexpr int kUsageError = 2;
// Far past kDeadline and every wait the suite makes.
constexpr std::chrono::seconds kCaseLimit{120};

struct Choice {
  std::string plugin_path;
  std::string backend_name;
};

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// Takes --lio_plugin=/--lio_backend= out of argv (gtest sees the rest).
Choice TakeFlags(int* argc, char** argv) {
  Choice choice{Env("LIO_CONFORMANCE_PLUGIN"), Env("LIO_CONFORMANCE_BACKEND")};
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.starts_with("--lio_plugin=")) {
      choice.plugin_path = arg.substr(arg.find('=') + 1);
    } else if (arg.starts_with("--lio_backend=")) {
      choice.backend_name = arg.substr(arg.find('=') + 1);
    } else {
      argv[kept++] = argv[i];
    }
  }
  *argc = kept;
  argv[kept] = nullptr;
  return choice;
}

[[noreturn]] void UsageError(const std::string& message) {
  std::cerr << "lio conformance: " << message << "\n";
  std::exit(kUsageError);
}

std::vector<const lio::BackendInfo*> ChooseBackends(const Choice& choice) {
  lio::Registry& registry = lio::Registry::Default();
  if (choice.plugin_path.empty()) {
    auto found = registry.Find(choice.backend_name);
    if (!found) UsageError("cannot find backend \"" + choice.backend_name + "\": " + found.error().message);
    return {*found};
  }
  auto names = registry.LoadPlugin(choice.plugin_path);
  if (!names) UsageError("cannot load plugin " + choice.plugin_path + ": " + names.error().message);
  std::vector<const lio::BackendInfo*> chosen;
  std::string registered;
  for (const std::string& name : *names) {
    registered += " " + name;
    if (!choice.backend_name.empty() && name != choice.backend_name) continue;
    auto found = registry.Find(name);
    if (!found) UsageError("plugin " + choice.plugin_path + " registered \"" + name + "\" but it cannot be found: " +
                           found.error().message);
    chosen.push_back(*found);
  }
  if (names->empty()) UsageError("plugin " + choice.plugin_path + " registers no backend.");
  if (chosen.empty()) {
    UsageError("plugin " + choice.plugin_path + " registers" + registered + " but not \"" + choice.backend_name +
               "\".");
  }
  return chosen;
}

void Describe(const lio::testing::BackendUnderTest& backend) {
  const lio::BackendInfo& info = *backend.info;
  std::cerr << "lio conformance: backend " << info.name << " from " << info.plugin_path << "\n  declares:";
  for (uint32_t code = 0; code < LIO_OP_COUNT; ++code) {
    if (info.supports(code)) std::cerr << " " << lio::op_name(code);
  }
  std::cerr << "\n  probe: " << (backend.probe.ok() ? "ok" : "refused (" + backend.probe.why + "); every case that "
                                                                "needs an instance is skipped")
            << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  Choice choice = TakeFlags(&argc, argv);
  if (choice.plugin_path.empty() && choice.backend_name.empty()) {
    UsageError(
        "no backend chosen. Pass --lio_plugin=PATH (a plugin file: test every backend it registers) and/or "
        "--lio_backend=NAME (found through $LIO_PLUGIN_PATH), or set $LIO_CONFORMANCE_PLUGIN / "
        "$LIO_CONFORMANCE_BACKEND.");
  }
  std::vector<lio::testing::BackendUnderTest> backends;
  for (const lio::BackendInfo* info : ChooseBackends(choice)) {
    backends.push_back({info, lio::Backend::Probe(*info)});
    Describe(backends.back());
  }
  lio::testing::SetBackendsUnderTest(std::move(backends));
  lio::testing::platform::InitProcess();

  ::testing::InitGoogleTest(&argc, argv);
  auto* watchdog = new lio::testing::CaseWatchdog(kCaseLimit);
  ::testing::UnitTest::GetInstance()->listeners().Append(watchdog);  // gtest owns it
  int status = RUN_ALL_TESTS();
  watchdog->Stop();
  return status;
}
