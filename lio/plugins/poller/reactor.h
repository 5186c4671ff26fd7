// Reactor: the one OS-specific piece of the poller — readiness of handles,
// a bounded wait, and a thread-safe notification.
//
// Two implementations, one compiled per OS: reactor_epoll.cc (Linux: epoll +
// an eventfd) and reactor_kqueue.cc (macOS/BSD: kqueue + EVFILT_USER).
// Everything above it — op state machines, per-handle wait queues, timers,
// the worker pool — is shared and tested on Linux.
//
// Interest is level-triggered: a handle stays reported while it is ready and
// watched for it, so the backend need not drain it in one go. Error and
// hang-up conditions are reported whatever the interest (LIO_POLL_ERR,
// LIO_POLL_HUP). Event bits are LIO_POLL_* everywhere.
//
// Not thread-safe, except notify().
#ifndef LIO_PLUGINS_POLLER_REACTOR_H_
#define LIO_PLUGINS_POLLER_REACTOR_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace lio::poller {

struct ReadyEvent {
  int fd;
  uint32_t events;  // LIO_POLL_* bits that are ready
};

class Reactor {
 public:
  // Can this OS mechanism be used here? 0, or a negative LIO_E* code and a
  // sentence in `why`. No lasting side effects.
  static int Probe(char* why, size_t why_size) noexcept;

  // A reactor able to report up to `max_events` handles per wait. 0 and
  // *out set, or a negative LIO_E* code.
  static int Create(uint32_t max_events, std::unique_ptr<Reactor>* out) noexcept;

  virtual ~Reactor() = default;

  // Start watching `fd` for `events` (LIO_POLL_IN / LIO_POLL_OUT, possibly
  // none: then only errors and hang-ups). 0 or a negative LIO_E* code (a
  // regular file, for instance, cannot be watched: -LIO_EPERM).
  virtual int add(int fd, uint32_t events) noexcept = 0;

  // Change the interest of a watched `fd` from `old_events` to `new_events`.
  virtual int modify(int fd, uint32_t old_events, uint32_t new_events) noexcept = 0;

  // Stop watching `fd` (watched with `old_events`). A handle already closed
  // has left the OS's interest list by itself; that is not an error.
  virtual void remove(int fd, uint32_t old_events) noexcept = 0;

  // Waits until a watched handle is ready, notify() was called, or
  // `timeout_ns` passed (< 0: no limit; 0: just look). Writes ready handles
  // to `out` and returns how many (0 on timeout), or a negative LIO_E* code;
  // an interrupted wait returns 0. *notified is set when a notification was
  // consumed; notifications made before this wait are not lost, several may
  // be merged into one.
  virtual int wait(int64_t timeout_ns, std::span<ReadyEvent> out, bool* notified) noexcept = 0;

  // Thread-safe: makes a current or the next wait return with *notified.
  virtual int notify() noexcept = 0;
};

}  // namespace lio::poller

#endif  // LIO_PLUGINS_POLLER_REACTOR_H_
