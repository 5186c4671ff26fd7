// `lio backends`: every plugin found, each backend's ABI, capabilities, probe
// result and a short exercise by name.
#include "tools/cli/commands.h"

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lio/core/op.h"
#include "lio/core/registry.h"
#include "tools/cli/exercise.h"

namespace lio::cli {
namespace {

std::string AbiText(uint32_t v) { return absl::StrFormat("%d.%d", LIO_ABI_MAJOR(v), LIO_ABI_MINOR(v)); }

std::string OpsText(uint64_t caps) {
  std::vector<std::string> ops;
  for (uint32_t code = 0; code < LIO_OP_COUNT; ++code) {
    if (caps & LIO_CAP(code)) ops.push_back(op_name(code));
  }
  return ops.size() == LIO_OP_COUNT ? "all " + std::to_string(LIO_OP_COUNT) : absl::StrJoin(ops, ",");
}

}  // namespace

int BackendsCommand(const std::vector<std::string>& plugin_paths) {
  Registry& registry = Registry::Default();
  std::vector<std::string> problems;
  for (const std::string& path : plugin_paths) {
    auto loaded = registry.LoadPlugin(path);
    if (!loaded) problems.push_back(loaded.error().message);
  }
  for (const Error& e : registry.LoadAll()) problems.push_back(e.message);

  std::vector<std::string> dirs;
  for (const auto& d : registry.search_dirs()) dirs.push_back(d.string());
  absl::PrintF("lio ABI %s; plugin search path: %s\n\n", AbiText(LIO_ABI_VERSION), absl::StrJoin(dirs, ":"));

  auto backends = registry.backends();
  if (backends.empty()) {
    absl::FPrintF(stderr, "No backend found. Set LIO_PLUGIN_PATH to a directory holding %s files.\n",
                  Registry::PluginFileName("NAME"));
  }
  int failures = 0;
  absl::PrintF("%-15s %-4s %-5s %-8s %-50s %s\n", "BACKEND", "ABI", "PRIO", "PROBE", "EXERCISE (opened by name)", "OPS");
  for (const BackendInfo* info : backends) {
    ProbeResult probe = Backend::Probe(*info);
    std::string exercise = "skipped: probe failed";
    if (probe.ok()) {
      ExerciseResult r = Exercise(registry, *info);
      exercise = (r.ok ? "ok: " : "FAILED: ") + r.summary;
      if (!r.ok) ++failures;
    }
    absl::PrintF("%-15s %-4s %-5d %-8s %-50s %s\n", info->name, AbiText(info->abi_version), info->priority,
                 probe.ok() ? "ok" : "FAILED", exercise, OpsText(info->capabilities));
  }
  absl::PrintF("\n");
  for (const BackendInfo* info : backends) {
    ProbeResult probe = Backend::Probe(*info);
    absl::PrintF("%-15s %s\n%-15s from %s\n", info->name, info->description, "", info->plugin_path);
    if (!probe.ok()) absl::PrintF("%-15s probe: %s\n", "", probe.why);
  }
  auto chosen = registry.Resolve("");
  absl::PrintF("\nauto%s chooses: %s\n", std::getenv("LIO_BACKEND") ? " (LIO_BACKEND set)" : "",
               chosen ? (*chosen)->name : "nothing — " + chosen.error().message);
  for (const std::string& p : problems) absl::FPrintF(stderr, "warning: %s\n", p);
  return (backends.empty() || failures > 0) ? 1 : 0;
}

}  // namespace lio::cli
