// Reactor on Linux: epoll with edge-triggered (EPOLLET) registrations that
// stay, plus an eventfd (level-triggered) for notify().
//
// The wait is bounded with epoll_pwait2 (Linux 5.11), which takes a timespec,
// so a 300 us timer sleeps 300 us. Where it is missing (older kernels, or a
// seccomp profile that does not know it) the wait falls back to epoll_wait
// with the timeout rounded *up* to whole milliseconds: a timer may then fire
// up to 1 ms late, never early, and a 1 us timeout never becomes a 0 ms
// busy-loop.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <ctime>
#include <new>
#include <vector>

#include "lio/core/plugin_abi.h"
#include "lio/plugins/poller/errno_map.h"
#include "lio/plugins/poller/reactor.h"

namespace lio::poller {
namespace {

static_assert(LIO_POLL_IN == EPOLLIN && LIO_POLL_OUT == EPOLLOUT && LIO_POLL_ERR == EPOLLERR &&
              LIO_POLL_HUP == EPOLLHUP);
constexpr uint32_t kReportedEvents = EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP;

// epoll_event.data of the eventfd; a watched fd's data is the fd itself (>= 0).
constexpr uint64_t kNotifierTag = UINT64_MAX;

// epoll_pwait2 through glibc when it has it (2.35), else the raw system call.
int epoll_pwait2_call(int epfd, epoll_event* events, int max_events, const timespec* timeout) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
  return epoll_pwait2(epfd, events, max_events, timeout, nullptr);
#elif defined(SYS_epoll_pwait2)
  return static_cast<int>(syscall(SYS_epoll_pwait2, epfd, events, max_events, timeout, nullptr, 0));
#else
  errno = ENOSYS;
  return -1;
#endif
}

int timeout_ms_rounded_up(int64_t timeout_ns) {
  if (timeout_ns < 0) return -1;
  int64_t ms = timeout_ns / 1'000'000 + (timeout_ns % 1'000'000 != 0 ? 1 : 0);
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

class EpollReactor final : public Reactor {
 public:
  ~EpollReactor() override {
    if (event_fd_ >= 0) close(event_fd_);
    if (epoll_fd_ >= 0) close(epoll_fd_);
  }

  int init(uint32_t max_events) {
    events_.resize(std::max<uint32_t>(max_events, 1));
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) return last_lio_error();
    event_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (event_fd_ < 0) return last_lio_error();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kNotifierTag;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, event_fd_, &ev) != 0) return last_lio_error();
    return 0;
  }

  // EPOLL_CTL_MOD also looks at the file's readiness now, so a handle that
  // is ready already is reported (as ADD does). ENOENT on MOD: never
  // registered, or the registration went with the file (the number may name
  // another one now) — add it. EEXIST on ADD: registered already — change it.
  // Only a MOD that finds the registration keeps it: epoll looks it up by
  // the file the number names now, so it is that file's. (An ADD that finds
  // one is conservatively not "kept".)
  int watch(int fd, uint32_t events, bool registered, bool* kept) noexcept override {
    if (kept != nullptr) *kept = false;
    epoll_event ev = watch_event(fd, events);
    const int first = registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(epoll_fd_, first, fd, &ev) == 0) {
      if (kept != nullptr) *kept = registered;
      return 0;
    }
    if (errno != (registered ? ENOENT : EEXIST)) return last_lio_error();
    if (epoll_ctl(epoll_fd_, registered ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev) == 0) return 0;
    return last_lio_error();
  }

  void forget(int fd) noexcept override {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);  // ENOENT/EBADF: nothing to forget
  }

  int wait(int64_t timeout_ns, std::span<ReadyEvent> out, bool* notified) noexcept override {
    *notified = false;
    // At most out.size() events, so none is lost: an edge not reported
    // stays on epoll's ready list for next time.
    int capacity = static_cast<int>(std::clamp<size_t>(out.size(), 1, events_.size()));
    int n = wait_for_events(timeout_ns, capacity);
    if (n < 0) return errno == EINTR ? 0 : last_lio_error();
    int ready = 0;
    for (int i = 0; i < n; ++i) {
      if (events_[i].data.u64 == kNotifierTag) {
        consume_notification();
        *notified = true;
        continue;
      }
      out[ready++] = ReadyEvent{static_cast<int>(events_[i].data.u64), events_[i].events & kReportedEvents};
    }
    return ready;
  }

  int notify() noexcept override {
    uint64_t one = 1;
    // EAGAIN: the counter is saturated, which still wakes the waiter.
    if (write(event_fd_, &one, sizeof one) < 0 && errno != EAGAIN) return last_lio_error();
    return 0;
  }

 private:
  static epoll_event watch_event(int fd, uint32_t events) {
    epoll_event ev{};
    ev.events = (events & (EPOLLIN | EPOLLOUT)) | EPOLLET;
    ev.data.u64 = static_cast<uint32_t>(fd);
    return ev;
  }

  int wait_for_events(int64_t timeout_ns, int capacity) {
    if (have_pwait2_ && timeout_ns != 0) {
      timespec ts{static_cast<time_t>(timeout_ns / 1'000'000'000), static_cast<long>(timeout_ns % 1'000'000'000)};
      int n = epoll_pwait2_call(epoll_fd_, events_.data(), capacity, timeout_ns < 0 ? nullptr : &ts);
      if (n >= 0 || (errno != ENOSYS && errno != EPERM)) return n;
      have_pwait2_ = false;  // not in this kernel, or refused by seccomp
    }
    return epoll_wait(epoll_fd_, events_.data(), capacity, timeout_ms_rounded_up(timeout_ns));
  }

  void consume_notification() {
    uint64_t count;
    while (read(event_fd_, &count, sizeof count) < 0 && errno == EINTR) {
    }
  }

  int epoll_fd_ = -1;
  int event_fd_ = -1;
  bool have_pwait2_ = true;
  std::vector<epoll_event> events_;
};

}  // namespace

int Reactor::Probe(char* why, size_t why_size) noexcept {
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) {
    int error = errno;
    std::snprintf(why, why_size, "epoll_create1 failed (errno %d): epoll is unavailable or blocked by seccomp", error);
    return lio_error(error);
  }
  close(epfd);
  int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (efd < 0) {
    int error = errno;
    std::snprintf(why, why_size, "eventfd failed (errno %d): eventfd is unavailable or blocked by seccomp", error);
    return lio_error(error);
  }
  close(efd);
  return 0;
}

int Reactor::Create(uint32_t max_events, std::unique_ptr<Reactor>* out) noexcept {
  auto reactor = std::unique_ptr<EpollReactor>(new (std::nothrow) EpollReactor);
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
