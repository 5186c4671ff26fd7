// Native errno -> LIO_E* (Linux numbering on every OS, see plugin_abi.h).
//
// On Linux the numbers are the same and the map is the identity. On macOS and
// the BSDs many differ (EAGAIN is 35 there), so each code the ABI names is
// translated; a code the ABI does not name becomes -LIO_EIO.
#ifndef LIO_PLUGINS_POLLER_ERRNO_MAP_H_
#define LIO_PLUGINS_POLLER_ERRNO_MAP_H_

#include <cerrno>

#include "lio/core/plugin_abi.h"

namespace lio::poller {

#if defined(__linux__)

static_assert(EAGAIN == LIO_EAGAIN && ECANCELED == LIO_ECANCELED && ETIME == LIO_ETIME &&
              EINPROGRESS == LIO_EINPROGRESS && ECONNREFUSED == LIO_ECONNREFUSED);

// -errno as a LIO result.
inline int lio_error(int native_errno) noexcept { return -native_errno; }

#else

inline int lio_error(int native_errno) noexcept {
  switch (native_errno) {
    case EPERM: return -LIO_EPERM;
    case ENOENT: return -LIO_ENOENT;
    case EINTR: return -LIO_EINTR;
    case EIO: return -LIO_EIO;
    case EBADF: return -LIO_EBADF;
    case EAGAIN: return -LIO_EAGAIN;
    case ENOMEM: return -LIO_ENOMEM;
    case EACCES: return -LIO_EACCES;
    case EFAULT: return -LIO_EFAULT;
    case EBUSY: return -LIO_EBUSY;
    case EEXIST: return -LIO_EEXIST;
    case ENOTDIR: return -LIO_ENOTDIR;
    case EISDIR: return -LIO_EISDIR;
    case EINVAL: return -LIO_EINVAL;
    case EMFILE: return -LIO_EMFILE;
    case ENOSPC: return -LIO_ENOSPC;
    case EPIPE: return -LIO_EPIPE;
    case ENOSYS: return -LIO_ENOSYS;
    case ENAMETOOLONG: return -LIO_ENAMETOOLONG;
#ifdef ETIME
    case ETIME: return -LIO_ETIME;
#endif
    case ENOTSOCK: return -LIO_ENOTSOCK;
    case EMSGSIZE: return -LIO_EMSGSIZE;
    case EOPNOTSUPP: return -LIO_EOPNOTSUPP;
    case EAFNOSUPPORT: return -LIO_EAFNOSUPPORT;
    case EADDRINUSE: return -LIO_EADDRINUSE;
    case EADDRNOTAVAIL: return -LIO_EADDRNOTAVAIL;
    case ENETUNREACH: return -LIO_ENETUNREACH;
    case ECONNABORTED: return -LIO_ECONNABORTED;
    case ECONNRESET: return -LIO_ECONNRESET;
    case ENOBUFS: return -LIO_ENOBUFS;
    case EISCONN: return -LIO_EISCONN;
    case ENOTCONN: return -LIO_ENOTCONN;
    case ETIMEDOUT: return -LIO_ETIMEDOUT;
    case ECONNREFUSED: return -LIO_ECONNREFUSED;
    case EHOSTUNREACH: return -LIO_EHOSTUNREACH;
    case EALREADY: return -LIO_EALREADY;
    case EINPROGRESS: return -LIO_EINPROGRESS;
    case ECANCELED: return -LIO_ECANCELED;
    default: return -LIO_EIO;
  }
}

#endif

// The LIO result of the errno a failed call just left.
inline int last_lio_error() noexcept { return lio_error(errno); }

}  // namespace lio::poller

#endif  // LIO_PLUGINS_POLLER_ERRNO_MAP_H_
