// Reactor on macOS and the BSDs: kqueue with EV_CLEAR filters (edge-triggered:
// the state is reset once delivered, and reported again when it changes;
// the filter stays until deleted or the descriptor is closed), and
// EVFILT_USER for notify().
//
// Built natively on macOS/BSD, and on Linux over libkqueue's emulation
// (LIO_POLLER_LIBKQUEUE, the `poller_kqueue` plugin) so the conformance suite
// runs it here. The code is written for real kqueue; what only the emulation
// needs is under LIO_POLLER_LIBKQUEUE, each part saying why. It mirrors
// reactor_epoll.cc: IN and OUT are the EVFILT_READ and EVFILT_WRITE
// filters; EV_EOF reads as LIO_POLL_HUP and a pending socket error (EV_EOF
// with fflags, or EV_ERROR) as LIO_POLL_ERR. kevent's timeout is a timespec,
// so the nearest deadline bounds the wait to the nanosecond without an
// EVFILT_TIMER. kqueue has no "errors only" interest: watching for no events
// registers no filter (a poll for no events waits until cancelled).
#include <fcntl.h>
#include <sys/event.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <new>
#include <vector>

#include "lio/core/plugin_abi.h"
#include "lio/plugins/poller/errno_map.h"
#include "lio/plugins/poller/reactor.h"

#if defined(LIO_POLLER_LIBKQUEUE)
// libkqueue's, not in its sys/event.h: frees every kqueue closed so far.
extern "C" void libkqueue_drain_pending_close(void);
#endif

#ifndef EVFILT_USER
#error "the poller's kqueue reactor needs EVFILT_USER (macOS, FreeBSD, NetBSD 10, DragonFly)"
#endif

namespace lio::poller {
namespace {

constexpr uintptr_t kNotifierIdent = 0;  // EVFILT_USER idents are their own namespace

#if defined(LIO_POLLER_LIBKQUEUE)
// libkqueue only: it reads at most half the room in epoll events, each a
// READ and a WRITE event at most, for one handle (merged into one ReadyEvent
// below); so room for 2 events fits one handle, and never more handles than
// `out` holds. Without the halving (third_party/libkqueue/libkqueue_fixes.c)
// it would drop events that do not fit, where real kqueue keeps them.
constexpr size_t kMinRoom = 2;
#else
constexpr size_t kMinRoom = 1;
#endif

struct kevent change(int fd, int16_t filter, uint16_t flags) {
  struct kevent ev;
  EV_SET(&ev, static_cast<uintptr_t>(fd), filter, flags, 0, 0, nullptr);
  return ev;
}

class KqueueReactor final : public Reactor {
 public:
  ~KqueueReactor() override {
    if (kq_ < 0) return;
    close(kq_);
#if defined(LIO_POLLER_LIBKQUEUE)
    // libkqueue only: a closed kqueue is freed later by its monitoring
    // thread, which drops the filters then — by when their numbers may name
    // other files (a regular file's EPERM makes it keep their state: a
    // leak), and its descriptors outlive the close. Real kqueue frees it
    // in close(). Waiting for that thread here makes it so.
    libkqueue_drain_pending_close();
#endif
  }

  int init(uint32_t max_events) {
    events_.resize(std::max<uint32_t>(max_events, kMinRoom));
    kq_ = kqueue();
    if (kq_ < 0) return last_lio_error();
    fcntl(kq_, F_SETFD, FD_CLOEXEC);
    struct kevent user;
    EV_SET(&user, kNotifierIdent, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, nullptr);
    if (kevent(kq_, &user, 1, nullptr, 0, nullptr) < 0) return last_lio_error();
    return 0;
  }

  // EV_ADD adds the filter, or updates one added before (a close() drops
  // them), and reports it if ready now. A filter watched before and not
  // wanted now is left: nothing waits on it, reports for it are ignored.
  int watch(int fd, uint32_t events, bool /*registered*/, bool* kept) noexcept override {
    if (kept != nullptr) *kept = false;  // EV_ADD adds or changes: no telling which
#if defined(LIO_POLLER_LIBKQUEUE)
    // libkqueue only: it keeps a filter when its descriptor is closed (it
    // cannot see the close), so after the number is reused EV_ADD finds the
    // old filter and only updates it, never watching the new file; and an
    // EV_ADD of a filter it has does not report it when ready now, as
    // kqueue does. Deleting first makes every watch a fresh add.
    forget(fd);
#endif
    struct kevent changes[2];
    int n = 0;
    if (events & LIO_POLL_IN) changes[n++] = change(fd, EVFILT_READ, EV_ADD | EV_CLEAR);
    if (events & LIO_POLL_OUT) changes[n++] = change(fd, EVFILT_WRITE, EV_ADD | EV_CLEAR);
    if (n == 0) return 0;
    if (kevent(kq_, changes, n, nullptr, 0, nullptr) < 0) return last_lio_error();
    return 0;
  }

  void forget(int fd) noexcept override {
    // Each delete on its own: kevent stops at the first failing change, and
    // a filter never added fails with ENOENT.
    struct kevent read_filter = change(fd, EVFILT_READ, EV_DELETE);
    struct kevent write_filter = change(fd, EVFILT_WRITE, EV_DELETE);
    kevent(kq_, &read_filter, 1, nullptr, 0, nullptr);
    kevent(kq_, &write_filter, 1, nullptr, 0, nullptr);
  }

  int wait(int64_t timeout_ns, std::span<ReadyEvent> out, bool* notified) noexcept override {
    *notified = false;
    timespec ts{static_cast<time_t>(timeout_ns / 1'000'000'000), static_cast<long>(timeout_ns % 1'000'000'000)};
    // At most out.size() events, so none is lost: one not delivered stays
    // pending for next time. (libkqueue: room for kMinRoom, see there.)
    int capacity = static_cast<int>(std::clamp<size_t>(out.size(), kMinRoom, events_.size()));
    int n = kevent(kq_, nullptr, 0, events_.data(), capacity, timeout_ns < 0 ? nullptr : &ts);
    if (n < 0) return errno == EINTR ? 0 : last_lio_error();
    int ready = 0;
    for (int i = 0; i < n; ++i) {
      const struct kevent& ev = events_[i];
      if (ev.filter == EVFILT_USER) {
        *notified = true;  // EV_CLEAR re-arms it
        continue;
      }
      const int fd = static_cast<int>(ev.ident);
      // A handle's READ and WRITE filters come as two events, often side by
      // side: one ReadyEvent for both.
      if (ready > 0 && out[ready - 1].fd == fd) {
        out[ready - 1].events |= events_of(ev);
        continue;
      }
      if (static_cast<size_t>(ready) == out.size()) break;  // cannot happen (see kMinRoom); memory stays safe
      out[ready++] = ReadyEvent{fd, events_of(ev)};
    }
    return ready;
  }

  int notify() noexcept override {
    struct kevent user;
    EV_SET(&user, kNotifierIdent, EVFILT_USER, 0, NOTE_TRIGGER, 0, nullptr);
    if (kevent(kq_, &user, 1, nullptr, 0, nullptr) < 0) return last_lio_error();
    return 0;
  }

 private:
  static uint32_t events_of(const struct kevent& ev) {
    uint32_t events = ev.filter == EVFILT_READ ? LIO_POLL_IN : LIO_POLL_OUT;
    if (ev.flags & EV_ERROR) return events | LIO_POLL_ERR;
    if (ev.flags & EV_EOF) events |= LIO_POLL_HUP | (ev.fflags != 0 ? LIO_POLL_ERR : 0);
    return events;
  }

  int kq_ = -1;
  std::vector<struct kevent> events_;
};

}  // namespace

int Reactor::Probe(char* why, size_t why_size) noexcept {
  int kq = kqueue();
  if (kq < 0) {
    int error = errno;
    std::snprintf(why, why_size, "kqueue failed (errno %d): kqueue is unavailable here", error);
    return lio_error(error);
  }
  close(kq);
#if defined(LIO_POLLER_LIBKQUEUE)
  libkqueue_drain_pending_close();  // freed now, as a real close does (see ~KqueueReactor)
#endif
  return 0;
}

int Reactor::Create(uint32_t max_events, std::unique_ptr<Reactor>* out) noexcept {
  auto reactor = std::unique_ptr<KqueueReactor>(new (std::nothrow) KqueueReactor);
  if (!reactor) return -LIO_ENOMEM;
  int error;
  try {
    error = reactor->init(max_events);
  } catch (const std::bad_alloc&) {
    error = -LIO_ENOMEM;
  }
  if (error != 0) return error;
  *out = std::move(reactor);
  return 0;
}

}  // namespace lio::poller
