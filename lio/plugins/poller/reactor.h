// Reactor: the one OS-specific piece of the poller — readiness of handles,
// a bounded wait, and a thread-safe notification.
//
// Two implementations, one compiled per OS: reactor_epoll.cc (Linux: epoll +
// an eventfd) and reactor_kqueue.cc (macOS/BSD: kqueue + EVFILT_USER).
// Everything above it — op state machines, per-handle wait queues, timers,
// the worker pool — is shared and tested on Linux.
//
// Readiness is one-shot (EPOLLONESHOT, EV_DISPATCH): an armed handle is
// reported once, then stays registered but disarmed until armed again. So
// the backend arms a handle with one system call each time ops start
// waiting on it, never has to disarm one, and a registration it forgot
// about (the ops left, the fd was closed and its number reused) can report
// at most once — the backend ignores reports for handles nothing waits on.
// Error and hang-up conditions are reported whatever the events armed
// (LIO_POLL_ERR, LIO_POLL_HUP; kqueue: only along with a read or write
// filter). Event bits are LIO_POLL_* everywhere.
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

  // Report `fd` once when it is ready for `events` (LIO_POLL_IN and/or
  // LIO_POLL_OUT; none: errors and hang-ups only). Re-arming replaces the
  // events. 0 or a negative LIO_E* code (a regular file cannot be watched:
  // -LIO_EPERM).
  virtual int arm(int fd, uint32_t events) noexcept = 0;

  // Drop the registration of `fd` (about to be closed through the backend;
  // one left behind would live on in the OS while a dup of the fd does).
  // Not registered is not an error.
  virtual void forget(int fd) noexcept = 0;

  // Waits until an armed handle is ready, notify() was called, or
  // `timeout_ns` passed (< 0: no limit; 0: just look). Writes ready handles
  // to `out` (not empty; those that do not fit stay armed and ready for the
  // next wait) and returns how many (0 on timeout), or a negative LIO_E* code;
  // an interrupted wait returns 0. *notified is set when a notification was
  // consumed; notifications made before this wait are not lost, several may
  // be merged into one.
  virtual int wait(int64_t timeout_ns, std::span<ReadyEvent> out, bool* notified) noexcept = 0;

  // Thread-safe: makes a current or the next wait return with *notified.
  virtual int notify() noexcept = 0;
};

}  // namespace lio::poller

#endif  // LIO_PLUGINS_POLLER_REACTOR_H_
