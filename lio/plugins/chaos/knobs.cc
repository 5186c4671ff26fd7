#include "lio/plugins/chaos/knobs.h"

#include <cstdlib>

#include "lio/plugins/common/options.h"

namespace lio::chaos {

namespace {

// Microseconds beyond this are surely a typo (an hour).
constexpr uint64_t kMaxDelayUs = 3'600'000'000ull;

}  // namespace

bool ParseRate(std::string_view text, double* out) {
  // Digits as an integer over a power of ten, so "0.75" is exactly 75 / 100.
  if (text.empty() || text.size() > 18) return false;
  uint64_t numerator = 0;
  uint64_t denominator = 1;
  bool digits = false;
  bool point = false;
  for (char c : text) {
    if (c == '.' && !point) {
      point = true;
    } else if (c >= '0' && c <= '9') {
      numerator = numerator * 10 + static_cast<uint64_t>(c - '0');
      if (point) denominator *= 10;
      digits = true;
    } else {
      return false;
    }
  }
  if (!digits || numerator > denominator) return false;
  *out = static_cast<double>(numerator) / static_cast<double>(denominator);
  return true;
}

bool SetKnob(Knobs* knobs, std::string_view key, std::string_view value) {
  Knobs k = *knobs;
  bool ok = false;
  if (key == "seed") {
    ok = plugin::parse_uint(value, 0, UINT64_MAX / 10, &k.seed);
  } else if (key == "short") {
    ok = ParseRate(value, &k.short_io);
  } else if (key == "eintr") {
    ok = ParseRate(value, &k.eintr);
  } else if (key == "eagain") {
    ok = ParseRate(value, &k.eagain);
  } else if (key == "delay") {
    ok = ParseRate(value, &k.delay);
  } else if (key == "delay_max_us") {
    ok = plugin::parse_uint(value, 0, kMaxDelayUs, &k.delay_max_us);
  } else if (key == "reorder") {
    ok = ParseRate(value, &k.reorder);
  } else if (key == "cancel_race") {
    ok = ParseRate(value, &k.cancel_race);
  } else if (key == "cancel_delay_max_us") {
    ok = plugin::parse_uint(value, 0, kMaxDelayUs, &k.cancel_delay_max_us);
  }
  if (ok) *knobs = k;
  return ok;
}

std::string EnvName(std::string_view key) {
  std::string name = "LIO_CHAOS_";
  for (char c : key) name.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  return name;
}

bool ApplyEnvironment(Knobs* knobs, std::string* bad) {
  for (std::string_view key : kKnobKeys) {
    std::string name = EnvName(key);
    const char* value = std::getenv(name.c_str());
    if (value == nullptr || value[0] == '\0') continue;
    if (!SetKnob(knobs, key, value)) {
      *bad = name + "=" + value;
      return false;
    }
  }
  return true;
}

}  // namespace lio::chaos
