#include "lio/core/error.h"

#include <string>

#include "lio/core/plugin_abi.h"

namespace lio {
namespace {

struct Entry {
  int code;
  const char* name;
  const char* text;
};

// Our own table, not strerror: numbers are Linux's on every OS (the host's
// strerror would name Windows' numbers differently).
constexpr Entry kEntries[] = {
    {LIO_EPERM, "EPERM", "operation not permitted"},
    {LIO_ENOENT, "ENOENT", "no such file, directory or operation"},
    {LIO_ESRCH, "ESRCH", "no such process"},
    {LIO_EINTR, "EINTR", "interrupted"},
    {LIO_EIO, "EIO", "input/output error"},
    {LIO_EBADF, "EBADF", "bad file descriptor or handle"},
    {LIO_ECHILD, "ECHILD", "no child processes"},
    {LIO_EAGAIN, "EAGAIN", "resource temporarily unavailable (queue full: flush, wait, retry)"},
    {LIO_ENOMEM, "ENOMEM", "out of memory"},
    {LIO_EACCES, "EACCES", "permission denied"},
    {LIO_EFAULT, "EFAULT", "bad address"},
    {LIO_EBUSY, "EBUSY", "device or resource busy"},
    {LIO_EEXIST, "EEXIST", "already exists (or id already in flight)"},
    {LIO_EXDEV, "EXDEV", "cross-device link or rename"},
    {LIO_ENOTDIR, "ENOTDIR", "not a directory"},
    {LIO_EISDIR, "EISDIR", "is a directory"},
    {LIO_EINVAL, "EINVAL", "invalid argument"},
    {LIO_EMFILE, "EMFILE", "too many open files"},
    {LIO_EFBIG, "EFBIG", "file too large"},
    {LIO_ENOSPC, "ENOSPC", "no space left on device"},
    {LIO_ESPIPE, "ESPIPE", "illegal seek"},
    {LIO_EPIPE, "EPIPE", "broken pipe"},
    {LIO_ENAMETOOLONG, "ENAMETOOLONG", "file name too long"},
    {LIO_ENOSYS, "ENOSYS", "function not implemented"},
    {LIO_ENOTEMPTY, "ENOTEMPTY", "directory not empty"},
    {LIO_ELOOP, "ELOOP", "too many levels of symbolic links"},
    {LIO_ETIME, "ETIME", "timer expired"},
    {LIO_ENOTSOCK, "ENOTSOCK", "not a socket"},
    {LIO_EMSGSIZE, "EMSGSIZE", "message too long"},
    {LIO_EOPNOTSUPP, "EOPNOTSUPP", "operation not supported"},
    {LIO_EAFNOSUPPORT, "EAFNOSUPPORT", "address family not supported"},
    {LIO_EADDRINUSE, "EADDRINUSE", "address already in use"},
    {LIO_EADDRNOTAVAIL, "EADDRNOTAVAIL", "address not available"},
    {LIO_ENETUNREACH, "ENETUNREACH", "network unreachable"},
    {LIO_ECONNABORTED, "ECONNABORTED", "connection aborted"},
    {LIO_ECONNRESET, "ECONNRESET", "connection reset by peer"},
    {LIO_ENOBUFS, "ENOBUFS", "no buffer space available"},
    {LIO_EISCONN, "EISCONN", "already connected"},
    {LIO_ENOTCONN, "ENOTCONN", "not connected"},
    {LIO_ETIMEDOUT, "ETIMEDOUT", "connection timed out"},
    {LIO_ECONNREFUSED, "ECONNREFUSED", "connection refused"},
    {LIO_EHOSTUNREACH, "EHOSTUNREACH", "host unreachable"},
    {LIO_EALREADY, "EALREADY", "operation already in progress"},
    {LIO_EINPROGRESS, "EINPROGRESS", "operation in progress"},
    {LIO_ECANCELED, "ECANCELED", "operation canceled"},
};

const Entry* find(int code) noexcept {
  for (const Entry& e : kEntries) {
    if (e.code == code) return &e;
  }
  return nullptr;
}

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "lio"; }
  std::string message(int code) const override {
    const Entry* e = find(code);
    if (e == nullptr) return "error " + std::to_string(code);
    return std::string(e->text) + " (" + e->name + ")";
  }
  // So `ec == std::errc::bad_file_descriptor` works where the numbers agree
  // (Linux); elsewhere compare with lio's own codes.
  std::error_condition default_error_condition(int code) const noexcept override {
#if defined(__linux__)
    return {code, std::generic_category()};
#else
    return {code, *this};
#endif
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

const char* error_name(int lio_errno) noexcept {
  if (lio_errno < 0) lio_errno = -lio_errno;
  const Entry* e = find(lio_errno);
  return e == nullptr ? "E?" : e->name;
}

}  // namespace lio
