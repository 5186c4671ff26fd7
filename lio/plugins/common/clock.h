// The one clock of every backend: the steady clock (CLOCK_MONOTONIC on
// POSIX, QueryPerformanceCounter on Windows — what LIO_TIMEOUT_ABSOLUTE
// deadlines are read against), in nanoseconds, and deadline arithmetic that
// saturates instead of overflowing when a caller asks for centuries.
//
// Plugin-side helper (header-only); nothing here crosses the ABI.
#ifndef LIO_PLUGINS_COMMON_CLOCK_H_
#define LIO_PLUGINS_COMMON_CLOCK_H_

#include <chrono>
#include <cstdint>

namespace lio::plugin {

inline int64_t monotonic_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// a + b for b >= 0, INT64_MAX where that would overflow.
constexpr int64_t saturating_add(int64_t a, int64_t b) noexcept { return a > INT64_MAX - b ? INT64_MAX : a + b; }

// The deadline `timeout_ns` (>= 0) from now.
inline int64_t deadline_after(int64_t timeout_ns) noexcept { return saturating_add(monotonic_ns(), timeout_ns); }

}  // namespace lio::plugin

#endif  // LIO_PLUGINS_COMMON_CLOCK_H_
