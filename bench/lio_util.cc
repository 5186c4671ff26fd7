#include "bench/lio_util.h"

#include <map>

#include "absl/strings/str_format.h"
#include "lio/core/error.h"

namespace lio::bench {

std::optional<lio::Backend> OpenBackend(const std::string& name, uint32_t capacity, const std::string& options,
                                        std::string* note, uint32_t flags) {
  lio::BackendOptions o;
  o.capacity = capacity;
  o.options = options;
  o.flags = flags;
  auto b = lio::Backend::Open(name, o);
  if (!b) {
    *note = b.error().message;
    return std::nullopt;
  }
  return std::move(b).value();
}

std::string PollerOptions(int workers) {
  static std::map<int, std::string> known;
  auto it = known.find(workers);
  if (it != known.end()) return it->second;
  std::string options = absl::StrFormat("workers=%d", workers);
  std::string note;
  if (!OpenBackend("poller", 8, options, &note)) options.clear();
  known[workers] = options;
  return options;
}

std::string ResultText(int64_t result) {
  if (result >= 0) return absl::StrFormat("%d", result);
  return absl::StrFormat("-%s", lio::error_name(static_cast<int>(-result)));
}

}  // namespace lio::bench
