// The conformance suite's main: choose the backends, run gtest, print the
// per-clause table.
//
//   conformance_runner --lio_plugin=PATH [--lio_backend=NAME] [options] [gtest flags]
//   conformance_runner --lio_backend=NAME [options] [gtest flags]
//
// Options:
//   --lio_json=FILE   also write the clause report as JSON (clause_report.h)
//   --lio_isolate     run each case in its own process (a crash fails one case)
//   --lio_clause=ID[,ID...]  run only the cases of these plugin_abi.h ids
//   --lio_clauses     print the clause map (id -> cases) and exit; no backend
//   --lio_load=PATH   load this plugin file first (repeatable): backends a
//                     wrapper under test finds by name (chaos's inner one)
//   --lio_options=K=V,...  backend options for the instance each case starts
//                     with (e.g. io_uring's native_fs=0); cases that make
//                     their own instances choose theirs
//   --lio_unique_ids  create every instance with LIO_CONFIG_UNIQUE_IDS (the
//                     cases of [push.duplicate] and [cancel.enoent] skip)
//
// --lio_plugin loads that plugin file and tests every backend it registers
// (or only NAME). --lio_backend alone finds NAME through the registry's search
// path ($LIO_PLUGIN_PATH, then the install directory). Without flags,
// $LIO_CONFORMANCE_PLUGIN and $LIO_CONFORMANCE_BACKEND are used. $LIO_CONFORMANCE_OPTIONS, when set, are
// the backend options ("key=value,...") each case's instance is created with. A plugin or
// backend that cannot be found or loaded is a usage error: exit status 2.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lio/core/backend.h"
#include "lio/core/op.h"
#include "lio/core/registry.h"
#include "lio/testing/backends_under_test.h"
#include "lio/testing/case_watchdog.h"
#include "lio/testing/clause_map.h"
#include "lio/testing/clause_report.h"
#include "lio/testing/isolate.h"
#include "lio/testing/platform.h"
#include "lio/testing/report_listener.h"

namespace {

constexpr int kUsageError = 2;
// Far past kDeadline and every wait the suite makes.
constexpr std::chrono::seconds kCaseLimit{60};

struct Choice {
  std::string plugin_path;
  std::string backend_name;
  std::string json_path;
  bool isolate = false;
  bool print_map = false;
  bool unique_ids = false;
  std::string clause_ids;
  std::string case_outcome_path;  // internal: an isolated case reports here
  std::vector<std::string> preload_paths;  // --lio_load
  std::string options;            // --lio_options
};

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

[[noreturn]] void UsageError(const std::string& message) {
  std::cerr << "lio conformance: " << message << "\n";
  std::exit(kUsageError);
}

// Takes the --lio_* flags out of argv (gtest sees the rest).
Choice TakeFlags(int* argc, char** argv) {
  Choice choice{Env("LIO_CONFORMANCE_PLUGIN"), Env("LIO_CONFORMANCE_BACKEND")};
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value = arg.substr(arg.find('=') + 1);
    if (arg.starts_with("--lio_plugin=")) {
      choice.plugin_path = value;
    } else if (arg.starts_with("--lio_backend=")) {
      choice.backend_name = value;
    } else if (arg.starts_with("--lio_json=")) {
      choice.json_path = value;
    } else if (arg == "--lio_isolate") {
      choice.isolate = true;
    } else if (arg == "--lio_unique_ids") {
      choice.unique_ids = true;
    } else if (arg == "--lio_clauses") {
      choice.print_map = true;
    } else if (arg.starts_with("--lio_clause=")) {
      choice.clause_ids = value;
    } else if (arg.starts_with("--lio_load=")) {
      choice.preload_paths.emplace_back(value);
    } else if (arg.starts_with("--lio_options=")) {
      choice.options = value;
    } else if (arg.starts_with("--lio_case_outcome=")) {
      choice.case_outcome_path = value;
    } else if (arg.starts_with("--lio_")) {
      UsageError("unknown flag " + std::string(arg) +
                 " (known: --lio_plugin=PATH, --lio_backend=NAME, --lio_json=FILE, --lio_isolate, --lio_clause=ID,... "
                 "--lio_clauses, --lio_load=PATH, --lio_options=K=V,..., --lio_unique_ids)");
    } else {
      argv[kept++] = argv[i];
    }
  }
  *argc = kept;
  argv[kept] = nullptr;
  return choice;
}

std::vector<const lio::BackendInfo*> ChooseBackends(const Choice& choice) {
  lio::Registry& registry = lio::Registry::Default();
  for (const std::string& path : choice.preload_paths) {
    auto loaded = registry.LoadPlugin(path);
    if (!loaded) UsageError("cannot load plugin " + path + " (--lio_load): " + loaded.error().message);
  }
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

std::vector<std::string> BackendArgs(const Choice& choice) {
  std::vector<std::string> args;
  for (const std::string& path : choice.preload_paths) args.push_back("--lio_load=" + path);
  if (!choice.plugin_path.empty()) args.push_back("--lio_plugin=" + choice.plugin_path);
  if (!choice.backend_name.empty()) args.push_back("--lio_backend=" + choice.backend_name);
  if (!choice.options.empty()) args.push_back("--lio_options=" + choice.options);
  if (choice.unique_ids) args.push_back("--lio_unique_ids");
  return args;
}

// The table on stdout and --lio_json; an isolated case only writes its outcome.
void Publish(const lio::testing::ClauseReport& report, const Choice& choice) {
  if (!choice.case_outcome_path.empty()) {
    std::ofstream out(choice.case_outcome_path, std::ios::trunc);
    for (const lio::testing::CaseOutcome& outcome : report.outcomes()) out << ToLine(outcome) << "\n";
    return;
  }
  report.PrintTable(std::cout);
  if (!choice.json_path.empty()) report.WriteJson(choice.json_path);
}

}  // namespace

int main(int argc, char** argv) {
  Choice choice = TakeFlags(&argc, argv);
  if (choice.print_map) {
    lio::testing::PrintClauseMap(std::cout);
    return 0;
  }
  if (choice.plugin_path.empty() && choice.backend_name.empty()) {
    UsageError(
        "no backend chosen. Pass --lio_plugin=PATH (a plugin file: test every backend it registers) and/or "
        "--lio_backend=NAME (found through $LIO_PLUGIN_PATH), or set $LIO_CONFORMANCE_PLUGIN / "
        "$LIO_CONFORMANCE_BACKEND.");
  }
  bool quiet = !choice.case_outcome_path.empty();
  std::vector<lio::testing::BackendUnderTest> backends;
  for (const lio::BackendInfo* info : ChooseBackends(choice)) {
    backends.push_back({info, lio::Backend::Probe(*info), choice.options});
    if (!quiet) Describe(backends.back());
  }
  lio::testing::SetBackendsUnderTest(std::move(backends));
  if (choice.unique_ids) lio::testing::SetConfigFlags(LIO_CONFIG_UNIQUE_IDS);
  lio::testing::platform::InitProcess();
  ::testing::InitGoogleTest(&argc, argv);
  if (!choice.clause_ids.empty()) {
    std::string error;
    std::optional<std::string> filter = lio::testing::FilterForClauses(choice.clause_ids, &error);
    if (!filter) UsageError(error);
    GTEST_FLAG_SET(filter, *filter);
  }

  lio::testing::ClauseReport report;
  if (choice.isolate) {
    lio::testing::RunIsolated({lio::testing::platform::SelfExecutable(argv[0]), BackendArgs(choice),
                               GTEST_FLAG_GET(filter)},
                              report);
    Publish(report, choice);
    return report.any_failed() ? 1 : 0;
  }

  ::testing::TestEventListeners& listeners = ::testing::UnitTest::GetInstance()->listeners();
  listeners.Append(new lio::testing::ReportListener(report));  // gtest owns its listeners
  auto* watchdog = new lio::testing::CaseWatchdog(kCaseLimit, [&](const std::string& hung_case) {
    report.Add(lio::testing::UnfinishedOutcome(
        hung_case, "the case hung: it ran past the suite's own bounds (the backend is stuck in wait, cancel or "
                   "destroy)"));
    Publish(report, choice);
  });
  listeners.Append(watchdog);
  int status = RUN_ALL_TESTS();
  watchdog->Stop();
  Publish(report, choice);
  return status;
}
