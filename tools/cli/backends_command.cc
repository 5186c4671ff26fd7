// `lio backends`: every plugin found, each backend's ABI, capabilities, probe
// result and a short exercise by name, and per op whether each backend runs
// it natively, emulated or not at all; as tables, or as JSON for scripts
// (tools/checks/op_table.py makes the README's operation table from it).
#include "tools/cli/commands.h"

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "lio/core/op.h"
#include "lio/core/registry.h"
#include "tools/cli/exercise.h"
#include "tools/cli/json.h"
#include "tools/cli/shown_path.h"

namespace lio::cli {
namespace {

std::string AbiText(uint32_t v) { return absl::StrFormat("%d.%d", LIO_ABI_MAJOR(v), LIO_ABI_MINOR(v)); }

std::vector<std::string> OpNames(uint64_t caps) {
  std::vector<std::string> ops;
  for (uint32_t code = 0; code < LIO_OP_COUNT; ++code) {
    if (caps & LIO_CAP(code)) ops.push_back(op_name(code));
  }
  return ops;
}

// "native: ...; emulated: ..." for a backend that says which of its ops the
// OS performs itself ([register.native_ops]), or "" when it does not say.
std::string NativeText(const BackendInfo& info) {
  const std::optional<uint64_t> native = info.native_ops();
  if (!native) return "";
  const uint64_t emulated = info.capabilities & ~*native;
  return absl::StrFormat("native: %s; emulated: %s", absl::StrJoin(OpNames(*native), ","),
                         emulated == 0 ? "none" : absl::StrJoin(OpNames(emulated), ","));
}

std::string OpsText(uint64_t caps) {
  std::vector<std::string> ops = OpNames(caps);
  return ops.size() == LIO_OP_COUNT ? "all " + std::to_string(LIO_OP_COUNT) : absl::StrJoin(ops, ",");
}

// How a backend runs op `code`: "native" (the OS mechanism does it),
// "emulated" (a worker thread or an inline call), "unsupported" (not
// declared), or "declared" when the backend does not say (a 1.0 plugin).
const char* OpStatus(const BackendInfo& info, uint32_t code) {
  if (!info.supports(code)) return "unsupported";
  const std::optional<uint64_t> native = info.native_ops();
  if (!native) return "declared";
  return (*native & LIO_CAP(code)) != 0 ? "native" : "emulated";
}

// What `lio backends` found out about one backend.
struct Row {
  const BackendInfo* info;
  ProbeResult probe;
  std::optional<ExerciseResult> exercise;  // absent: the probe failed
};

// Everything the command reports, gathered before printing either form.
struct Findings {
  std::vector<std::string> search_path;
  std::vector<Row> rows;
  std::string auto_backend;  // or auto_error
  std::string auto_error;
  std::vector<std::string> warnings;
  int failures = 0;
};

Findings Gather(const std::vector<std::string>& plugin_paths) {
  Registry& registry = Registry::Default();
  Findings f;
  for (const std::string& path : plugin_paths) {
    auto loaded = registry.LoadPlugin(path);
    if (!loaded) f.warnings.push_back(loaded.error().message);
  }
  for (const Error& e : registry.LoadAll()) f.warnings.push_back(e.message);
  for (const auto& d : registry.search_dirs()) f.search_path.push_back(d.string());
  for (const BackendInfo* info : registry.backends()) {
    Row row{info, Backend::Probe(*info), std::nullopt};
    if (row.probe.ok()) {
      row.exercise = Exercise(registry, *info);
      if (!row.exercise->ok) ++f.failures;
    }
    f.rows.push_back(std::move(row));
  }
  auto chosen = registry.Resolve("");
  if (chosen) {
    f.auto_backend = (*chosen)->name;
  } else {
    f.auto_error = chosen.error().message;
  }
  return f;
}

// One row per op code, one column per backend.
void PrintOpTable(const Findings& f) {
  if (f.rows.empty()) return;
  auto print_row = [&](std::string line, auto cell) {
    for (const Row& r : f.rows) line += absl::StrFormat(" %-14s", cell(r));
    absl::PrintF("%s\n", absl::StripTrailingAsciiWhitespace(line));
  };
  absl::PrintF("\n");
  print_row(absl::StrFormat("%-13s", "OPERATION"), [](const Row& r) { return r.info->name; });
  for (uint32_t code = 0; code < LIO_OP_COUNT; ++code) {
    print_row(absl::StrFormat("%-13s", op_name(code)), [code](const Row& r) { return OpStatus(*r.info, code); });
  }
}

void PrintTable(const Findings& f) {
  std::vector<std::string> dirs;
  for (const std::string& d : f.search_path) dirs.push_back(ShownPath(d));
  absl::PrintF("lio ABI %s; plugin search path: %s\n\n", AbiText(LIO_ABI_VERSION), absl::StrJoin(dirs, ":"));
  if (f.rows.empty()) {
    absl::FPrintF(stderr, "No backend found. Set LIO_PLUGIN_PATH to a directory holding %s files.\n",
                  Registry::PluginFileName("NAME"));
  }
  absl::PrintF("%-15s %-4s %-5s %-8s %-50s %s\n", "BACKEND", "ABI", "PRIO", "PROBE", "EXERCISE (opened by name)", "OPS");
  for (const Row& r : f.rows) {
    std::string exercise = "skipped: probe failed";
    if (r.exercise) exercise = (r.exercise->ok ? "ok: " : "FAILED: ") + r.exercise->summary;
    absl::PrintF("%-15s %-4s %-5d %-8s %-50s %s\n", r.info->name, AbiText(r.info->abi_version), r.info->priority,
                 r.probe.ok() ? "ok" : "FAILED", exercise, OpsText(r.info->capabilities));
  }
  absl::PrintF("\n");
  for (const Row& r : f.rows) {
    absl::PrintF("%-15s %s\n%-15s from %s\n", r.info->name, r.info->description, "", ShownPath(r.info->plugin_path));
    if (!r.probe.ok()) absl::PrintF("%-15s probe: %s\n", "", r.probe.why);
    if (std::string native = NativeText(*r.info); !native.empty()) absl::PrintF("%-15s %s\n", "", native);
  }
  PrintOpTable(f);
  absl::PrintF("\nauto%s chooses: %s\n", std::getenv("LIO_BACKEND") ? " (LIO_BACKEND set)" : "",
               f.auto_error.empty() ? f.auto_backend : "nothing — " + f.auto_error);
  for (const std::string& w : f.warnings) absl::FPrintF(stderr, "warning: %s\n", w);
}

std::string ToJson(const Findings& f) {
  Json out;
  out.BeginObject();
  out.Key("abi").String(AbiText(LIO_ABI_VERSION));
  out.Key("search_path").Strings(f.search_path);
  out.Key("backends").BeginArray();
  for (const Row& r : f.rows) {
    out.BeginObject();
    out.Key("name").String(r.info->name);
    out.Key("description").String(r.info->description);
    out.Key("plugin").String(r.info->plugin_path);
    out.Key("abi").String(AbiText(r.info->abi_version));
    out.Key("priority").Number(r.info->priority);
    out.Key("probe").BeginObject().Key("ok").Bool(r.probe.ok()).Key("why").String(r.probe.why).EndObject();
    out.Key("exercise").BeginObject();
    out.Key("ok").Bool(r.exercise && r.exercise->ok);
    out.Key("summary").String(r.exercise ? r.exercise->summary : "skipped: probe failed");
    out.EndObject();
    out.Key("ops").Strings(OpNames(r.info->capabilities));
    out.Key("op_table").BeginObject();
    for (uint32_t code = 0; code < LIO_OP_COUNT; ++code) out.Key(op_name(code)).String(OpStatus(*r.info, code));
    out.EndObject();
    if (std::optional<uint64_t> native = r.info->native_ops()) {  // absent: the backend does not say
      out.Key("native_ops").Strings(OpNames(*native));
      out.Key("emulated_ops").Strings(OpNames(r.info->capabilities & ~*native));
    }
    out.EndObject();
  }
  out.EndArray();
  out.Key("auto").BeginObject();
  if (f.auto_error.empty()) {
    out.Key("backend").String(f.auto_backend);
  } else {
    out.Key("error").String(f.auto_error);
  }
  out.EndObject();
  out.Key("warnings").Strings(f.warnings);
  out.EndObject();
  return out.str() + "\n";
}

}  // namespace

int BackendsCommand(const BackendsArgs& args) {
  Findings f = Gather(args.plugin_paths);
  if (args.json.empty()) {
    PrintTable(f);
  } else {
    std::string json = ToJson(f);
    std::FILE* file = args.json == "-" ? stdout : std::fopen(args.json.c_str(), "w");
    if (file == nullptr) {
      absl::FPrintF(stderr, "lio backends: cannot write %s\n", args.json);
      return 2;
    }
    std::fputs(json.c_str(), file);
    if (file != stdout) std::fclose(file);
  }
  return (f.rows.empty() || f.failures > 0) ? 1 : 0;
}

}  // namespace lio::cli
