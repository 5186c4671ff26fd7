// The iocp backend's clock: what timers and wait's timeout are measured on,
// and wait's conversion to GetQueuedCompletionStatusEx's milliseconds.
#ifndef LIO_PLUGINS_IOCP_CLOCK_H_
#define LIO_PLUGINS_IOCP_CLOCK_H_

#include <windows.h>

#include <cstdint>

namespace lio::iocp {

// Nanoseconds on QueryPerformanceCounter's clock — what std::chrono::
// steady_clock reads with both MSVC and MinGW — rounded down, so a timer
// never fires before the caller's clock reaches its deadline.
class SteadyClock {
 public:
  SteadyClock() {
    LARGE_INTEGER f;
    QueryPerformanceFrequency(&f);
    frequency_ = f.QuadPart;
  }
  int64_t now() const {
    LARGE_INTEGER c;
    QueryPerformanceCounter(&c);
    int64_t whole = c.QuadPart / frequency_;
    int64_t part = c.QuadPart % frequency_;
    return whole * 1'000'000'000 + part * 1'000'000'000 / frequency_;
  }

 private:
  int64_t frequency_ = 1;
};

inline int64_t SaturatingAdd(int64_t a, int64_t b) {
  if (b > 0 && a > INT64_MAX - b) return INT64_MAX;
  return a + b;
}

// A wait of `ns` in GetQueuedCompletionStatusEx's milliseconds, rounded up
// so the wait never ends before `ns`.
inline DWORD CeilMs(int64_t ns) {
  if (ns <= 0) return 0;
  int64_t ms = (ns + 999'999) / 1'000'000;
  return ms >= INFINITE ? INFINITE - 1 : static_cast<DWORD>(ms);
}

}  // namespace lio::iocp

#endif  // LIO_PLUGINS_IOCP_CLOCK_H_
