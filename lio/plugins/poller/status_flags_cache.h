// fcntl(F_GETFL) answers kept for a short while, per descriptor number.
//
// The poller reads at an offset from the page cache on its own thread
// (read_if_cached, op_calls.h) only when the handle is not O_DIRECT:
// RWF_NOWAIT does not stop a direct read from waiting for the device. Asking
// before every read doubled the system calls of a stream of cached reads;
// asking once per kFreshNs per handle does not. A stale answer costs time,
// never a wrong result: a handle made O_DIRECT since (F_SETFL, or its number
// closed and reused behind the backend's back) has its reads block this
// thread on the device for at most kFreshNs, and one no longer O_DIRECT has
// them go to a worker. The backend forgets the numbers it closes or makes.
#ifndef LIO_PLUGINS_POLLER_STATUS_FLAGS_CACHE_H_
#define LIO_PLUGINS_POLLER_STATUS_FLAGS_CACHE_H_

#include <fcntl.h>

#include <array>
#include <cstdint>

namespace lio::poller {

class StatusFlagsCache {
 public:
  static constexpr int64_t kFreshNs = 1'000'000;

  // The status flags of `fd` (F_GETFL), asked again when the last answer is
  // kFreshNs old at `now_ns`; -1 when the call fails (nothing is kept).
  int get(int fd, int64_t now_ns) noexcept {
    if (fd < 0) return -1;
    Entry& entry = entries_[static_cast<unsigned>(fd) % kEntries];
    if (entry.fd == fd && now_ns - entry.asked_at < kFreshNs) return entry.flags;
    const int flags = fcntl(fd, F_GETFL);
    entry = flags < 0 ? Entry{} : Entry{fd, flags, now_ns};
    return flags;
  }

  // `fd` was closed or names a new file: its next get asks.
  void forget(int fd) noexcept {
    if (fd < 0) return;
    Entry& entry = entries_[static_cast<unsigned>(fd) % kEntries];
    if (entry.fd == fd) entry = Entry{};
  }

 private:
  static constexpr unsigned kEntries = 64;  // direct-mapped: a few files read at once
  struct Entry {
    int fd = -1;
    int flags = 0;
    int64_t asked_at = 0;
  };
  std::array<Entry, kEntries> entries_{};
};

}  // namespace lio::poller

#endif  // LIO_PLUGINS_POLLER_STATUS_FLAGS_CACHE_H_
