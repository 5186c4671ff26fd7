// Parsing of lio_backend_config::options ("key=value,key=value").
// Plugin-side helper; unknown keys are the caller's error to report.
#ifndef LIO_PLUGINS_COMMON_OPTIONS_H_
#define LIO_PLUGINS_COMMON_OPTIONS_H_

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace lio::plugin {

// Calls visit(key, value) for each pair; stops and returns false as soon as
// visit returns false or a pair has no '='. nullptr or "" is no pairs.
template <class Visit>
bool for_each_option(const char* options, Visit&& visit) {
  if (options == nullptr) return true;
  std::string_view rest(options);
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view pair = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) return false;
    if (!visit(pair.substr(0, eq), pair.substr(eq + 1))) return false;
  }
  return true;
}

// A decimal unsigned integer in [min, max], or false.
inline bool parse_uint(std::string_view text, uint64_t min, uint64_t max, uint64_t* out) {
  if (text.empty() || text.size() > 19) return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v < min || v > max) return false;
  *out = v;
  return true;
}

}  // namespace lio::plugin

#endif  // LIO_PLUGINS_COMMON_OPTIONS_H_
