// NonblockingScope: O_NONBLOCK on a caller's handle for one call, the old
// flags put back after it (op_calls.h says why and when).
#ifndef LIO_PLUGINS_POLLER_NONBLOCKING_SCOPE_H_
#define LIO_PLUGINS_POLLER_NONBLOCKING_SCOPE_H_

#include <fcntl.h>

#include <cerrno>

#include "lio/plugins/poller/errno_map.h"

namespace lio::poller {

// O_NONBLOCK on `fd` for this scope, when it is in blocking mode; the old
// flags come back when the scope ends. A non-blocking fd is left alone.
class NonblockingScope {
 public:
  explicit NonblockingScope(int fd) : fd_(fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) {
      error_ = last_lio_error();
      return;
    }
    if (flags & O_NONBLOCK) return;
    if (fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
      error_ = last_lio_error();
      return;
    }
    saved_flags_ = flags;
  }
  ~NonblockingScope() {
    if (saved_flags_ < 0) return;
    int saved_errno = errno;
    fcntl(fd_, F_SETFL, saved_flags_);
    errno = saved_errno;
  }
  NonblockingScope(const NonblockingScope&) = delete;
  NonblockingScope& operator=(const NonblockingScope&) = delete;

  int error() const { return error_; }

 private:
  int fd_;
  int saved_flags_ = -1;
  int error_ = 0;
};

}  // namespace lio::poller

#endif  // LIO_PLUGINS_POLLER_NONBLOCKING_SCOPE_H_
