// Reactor: the one OS-specific piece of the poller — readiness of handles,
// a bounded wait, and a thread-safe notification.
//
// Two implementations, one compiled per OS: reactor_epoll.cc (Linux: epoll +
// an eventfd) and reactor_kqueue.cc (macOS/BSD: kqueue + EVFILT_USER).
// Everything above it — op state machines, per-handle wait queues, timers,
// the worker pool — is shared and tested on Linux.
//
// Readiness is edge-triggered and the registration persistent (EPOLLET,
// EV_CLEAR): a watched handle is reported each time it *becomes* ready for
// an event it is watched for, and stays registered until forgotten or until
// the OS drops it (epoll: when the last reference to the file goes; kqueue:
// when the descriptor is closed). So the backend watches a handle with one
// system call the first time ops wait on it (or wait for a new direction),
// and a connection that waits again and again costs none after that. The
// price of edges: an op may wait only after the OS said "not ready"
// (EAGAIN) since the last report, else it could wait for an edge that
// already went. A registration the backend forgot about (the fd was closed
// behind its back and the number reused) reports edges of the old file at
// most; the backend ignores reports for handles nothing waits on. Error and
// hang-up conditions are reported whatever the events watched (LIO_POLL_ERR,
// LIO_POLL_HUP; kqueue: only along with a read or write filter). Event bits
// are LIO_POLL_* everywhere.
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

  // Report `fd` whenever it becomes ready for `events` (LIO_POLL_IN and/or
  // LIO_POLL_OUT; none: errors and hang-ups only), from now on; a handle
  // ready now is reported by the next wait. Watching again replaces the
  // events, and is how the backend checks that the registration is the
  // current file's. `registered`: the backend believes `fd` is registered
  // (tried as a change first) or not (tried as an addition first); either
  // way the other is tried when the OS says otherwise. 0 or a negative LIO_E*
  // code (a regular file cannot be watched: -LIO_EPERM). `kept` (if not
  // null) is set when the OS changed a registration of the file `fd` names
  // now, one made before (so what was learnt of that file still holds), and
  // cleared when the registration was made now or the OS cannot tell (kqueue:
  // EV_ADD adds or changes alike).
  virtual int watch(int fd, uint32_t events, bool registered, bool* kept = nullptr) noexcept = 0;

  // Drop the registration of `fd` (about to be closed through the backend;
  // one left behind would live on in the OS while a dup of the fd does).
  // Not registered is not an error.
  virtual void forget(int fd) noexcept = 0;

  // Waits until a watched handle is ready, notify() was called, or
  // `timeout_ns` passed (< 0: no limit; 0: just look). Writes ready handles
  // to `out` (not empty; those that do not fit stay ready for the
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
