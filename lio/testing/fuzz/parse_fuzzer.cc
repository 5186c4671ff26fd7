// parse_fuzzer: the strings lio takes from users, fuzzed. The first byte picks
// one of:
//   0 LIO_PLUGIN_PATH splitting (Registry::DefaultSearchDirs): entries are
//     the non-empty absolute ':'-separated pieces, in order, then the
//     install dir; an empty piece never becomes the current directory, and
//     each relative piece is refused with an error naming it.
//   1 backend names given to Registry::Find / Resolve / Open: no crash; a
//     found backend has exactly the name asked; nothing is ever loaded from
//     outside the search dirs, nor a file not named liblio_*.so.
//   2 backend option strings given to Open ("key=value,..." for io_uring,
//     poller, chaos:io_uring): an instance or an error, never a crash.
//   3 chaos knobs (SetKnob / ParseRate): a refused value leaves the knobs
//     unchanged, an accepted rate is in [0, 1] and equals the decimal read
//     the usual way.
//   4 the option splitter plugins share (for_each_option / split_options):
//     keys and values never contain the separators, "inner." pairs are
//     forwarded whole.
// The CLI (tools/cli) parses its flags with absl: no parser of ours to fuzz.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "lio/core/backend.h"
#include "lio/core/registry.h"
#include "lio/plugins/chaos/knobs.h"
#include "lio/plugins/common/options.h"
#include "lio/plugins/common/wrapped_backend.h"
#include "lio/testing/fuzz/byte_reader.h"
#include "lio/testing/fuzz/plugin_dirs.h"

namespace {

namespace fs = std::filesystem;
using lio::fuzz::ByteReader;

[[noreturn]] void Fail(const char* what, std::string_view input) {
  std::fprintf(stderr, "parse_fuzzer: %s; input \"", what);
  for (unsigned char c : input) std::fprintf(stderr, c >= 32 && c < 127 ? "%c" : "\\x%02x", c);
  std::fprintf(stderr, "\"\n");
  std::fflush(stderr);
  std::abort();
}

lio::Registry* g_registry = nullptr;
std::vector<fs::path> g_plugin_dirs;

void SearchPath(std::string_view text) {
  const std::string value(text.substr(0, text.find('\0')));  // what an environment can hold
  setenv("LIO_PLUGIN_PATH", value.c_str(), 1);
  std::vector<lio::Error> refused;
  std::vector<fs::path> dirs = lio::Registry::DefaultSearchDirs(&refused);
  unsetenv("LIO_PLUGIN_PATH");

  std::vector<std::string> expected;
  size_t relative = 0;
  std::string_view rest(value);
  while (!rest.empty()) {
    size_t sep = rest.find(':');
    std::string_view piece = rest.substr(0, sep);
    rest = sep == std::string_view::npos ? std::string_view() : rest.substr(sep + 1);
    if (piece.empty()) continue;
    if (piece.front() != '/') {
      if (relative < refused.size() &&
          refused[relative].message.find("'" + std::string(piece) + "' is relative") == std::string::npos) {
        Fail("a refused entry's error does not name it", value);
      }
      ++relative;
      continue;
    }
    expected.emplace_back(piece);
  }
  if (refused.size() != relative) Fail("not one error per relative piece", value);
  if (dirs.empty()) Fail("no search dir at all (the install dir is always last)", value);
  if (dirs.size() != expected.size() + 1) Fail("search dirs are not the non-empty pieces + install dir", value);
  for (size_t i = 0; i < expected.size(); ++i)
    if (dirs[i].string() != expected[i]) Fail("a search dir differs from its piece", value);
  for (const fs::path& dir : dirs) {
    if (dir.empty()) Fail("an empty search dir (the current directory)", value);
    if (dir.is_relative()) Fail("a relative search dir", value);
  }
}

void CheckLoadedFromSearchDir(std::string_view name) {
  for (const lio::BackendInfo* info : g_registry->backends()) {
    fs::path file(info->plugin_path);
    std::string base = file.filename().string();
    bool inside = false;
    for (const fs::path& dir : g_plugin_dirs) inside = inside || file.parent_path() == dir;
    if (!inside) Fail("a plugin loaded from outside the search dirs", name);
    if (!base.starts_with("liblio_") || !base.ends_with(".so")) Fail("a plugin file not named liblio_*.so", name);
  }
}

void Names(std::string_view name) {
  auto found = g_registry->Find(name);
  if (found && (*found)->name != name) Fail("Find returned another backend than the name asked", name);
  auto resolved = g_registry->Resolve(name);
  if (resolved && !name.empty() && name != "auto" && (*resolved)->name != name)
    Fail("Resolve returned another backend than the name asked", name);
  const bool plain = !name.empty() && name != "auto";
  if (plain && found.has_value() != resolved.has_value())
    Fail("Find and Resolve disagree about a plain name", name);
  CheckLoadedFromSearchDir(name);
}

void Options(ByteReader& in) {
  static const char* kNames[] = {"io_uring", "poller", "chaos:io_uring"};
  const char* name = kNames[in.byte() % 3];
  std::string options = in.string(64);
  options = options.substr(0, options.find('\0'));  // the ABI passes a C string
  auto backend = g_registry->Open(name, {.capacity = 1u + in.byte() % 16, .options = options});
  if (!backend && backend.error().message.empty()) Fail("an open error without a message", options);
}

void Knobs(std::string_view key, std::string_view value) {
  lio::chaos::Knobs before;
  before.seed = 7;
  lio::chaos::Knobs knobs = before;
  const bool ok = lio::chaos::SetKnob(&knobs, key, value);
  if (!ok && std::memcmp(&knobs, &before, sizeof knobs) != 0) Fail("a refused knob changed the knobs", value);
  for (double rate : {knobs.short_io, knobs.eintr, knobs.eagain, knobs.delay, knobs.reorder, knobs.cancel_race})
    if (!(rate >= 0 && rate <= 1)) Fail("a rate outside [0, 1]", value);

  double rate = -1;
  if (!lio::chaos::ParseRate(value, &rate)) return;
  if (!(rate >= 0 && rate <= 1)) Fail("ParseRate accepted a rate outside [0, 1]", value);
  const std::string text(value);
  char* end = nullptr;
  const double reference = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) Fail("ParseRate accepted what strtod does not read whole", value);
  if (std::fabs(reference - rate) > 1e-12) Fail("ParseRate disagrees with strtod", value);
}

void Splitter(std::string_view text) {
  const std::string options(text.substr(0, text.find('\0')));
  std::string inner;
  size_t inner_pairs = 0;
  for (size_t at = 0; at < options.size();) {  // count "inner." pairs by hand
    size_t comma = options.find(',', at);
    std::string_view pair = std::string_view(options).substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (pair.starts_with("inner.") && pair.find('=') != std::string_view::npos) ++inner_pairs;
    at = comma == std::string::npos ? options.size() : comma + 1;
  }
  bool ok = lio::plugin::split_options(options.c_str(), &inner, [&](std::string_view key, std::string_view value) {
    if (key.find(',') != std::string_view::npos || key.find('=') != std::string_view::npos ||
        value.find(',') != std::string_view::npos)
      Fail("a key or value holds a separator", options);
    return true;
  });
  if (!ok) return;  // a pair without '=' stops it (and that is the caller's error)
  size_t forwarded = 0;
  bool ok_inner = lio::plugin::for_each_option(inner.c_str(), [&](std::string_view, std::string_view) {
    ++forwarded;
    return true;
  });
  if (!ok_inner) Fail("forwarded inner options do not parse again", options);
  if (forwarded > inner_pairs) Fail("more inner options forwarded than given", options);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_plugin_dirs = lio::fuzz::PluginDirs();
  if (g_plugin_dirs.empty()) {
    std::fprintf(stderr, "parse_fuzzer: no plugins in its runfiles: build it with bazel (--config=fuzz)\n");
    std::exit(2);
  }
  g_registry = new lio::Registry(g_plugin_dirs);
  unsetenv("LIO_BACKEND");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteReader in(data, size);
  const uint8_t which = in.byte() % 5;
  std::string_view rest(reinterpret_cast<const char*>(data) + (size > 0 ? 1 : 0), size > 0 ? size - 1 : 0);
  switch (which) {
    case 0:
      SearchPath(rest);
      break;
    case 1:
      Names(rest.substr(0, 80));
      break;
    case 2:
      Options(in);
      break;
    case 3: {
      size_t eq = rest.find('=');
      Knobs(rest.substr(0, eq), eq == std::string_view::npos ? std::string_view() : rest.substr(eq + 1));
      break;
    }
    case 4:
      Splitter(rest);
      break;
  }
  return 0;
}
