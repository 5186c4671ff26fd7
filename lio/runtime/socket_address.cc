#include "lio/runtime/socket_address.h"

#include <cstring>

#include "lio/core/error.h"

#if defined(_WIN32)
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

namespace lio {
namespace {

static_assert(sizeof(sockaddr_storage) <= SocketAddress::kCapacity, "SocketAddress holds any sockaddr");

#if defined(_WIN32)
// Winsock errors to lio's (Linux) numbering; the few set-up can produce.
std::error_code LastSocketError() noexcept {
  switch (WSAGetLastError()) {
    case WSAEADDRINUSE: return make_error(-LIO_EADDRINUSE);
    case WSAEADDRNOTAVAIL: return make_error(-LIO_EADDRNOTAVAIL);
    case WSAEACCES: return make_error(-LIO_EACCES);
    case WSAEAFNOSUPPORT: return make_error(-LIO_EAFNOSUPPORT);
    case WSAEINVAL: return make_error(-LIO_EINVAL);
    case WSAEMFILE: return make_error(-LIO_EMFILE);
    case WSAENOBUFS: return make_error(-LIO_ENOBUFS);
    case WSAENOTSOCK: return make_error(-LIO_ENOTSOCK);
    case WSAENOTCONN: return make_error(-LIO_ENOTCONN);
    case WSAEOPNOTSUPP: return make_error(-LIO_EOPNOTSUPP);
    default: return make_error(-LIO_EIO);
  }
}
void EnsureWinsock() noexcept {
  static const bool started = [] {
    WSADATA data;
    return WSAStartup(MAKEWORD(2, 2), &data) == 0;
  }();
  (void)started;
}
using socklen = int;
using NativeSocket = SOCKET;
#else
// POSIX errno numbers are lio's on Linux; elsewhere the common ones agree.
std::error_code LastSocketError() noexcept { return make_error(-errno); }
void EnsureWinsock() noexcept {}
using socklen = socklen_t;
using NativeSocket = int;
#endif

}  // namespace

Expected<SocketAddress> SocketAddress::Ipv4(std::string_view host, uint16_t port) {
  EnsureWinsock();
  std::string h(host);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  if (inet_pton(AF_INET, h.c_str(), &sin.sin_addr) != 1) return Unexpected{make_error(-LIO_EINVAL)};
  return FromNative(&sin, sizeof sin);
}

Expected<SocketAddress> SocketAddress::Parse(std::string_view host_port) {
  EnsureWinsock();
  std::string_view host;
  std::string_view port_text;
  if (!host_port.empty() && host_port.front() == '[') {
    size_t close = host_port.find(']');
    if (close == std::string_view::npos || close + 1 >= host_port.size() || host_port[close + 1] != ':') {
      return Unexpected{make_error(-LIO_EINVAL)};
    }
    host = host_port.substr(1, close - 1);
    port_text = host_port.substr(close + 2);
  } else {
    size_t colon = host_port.rfind(':');
    if (colon == std::string_view::npos) return Unexpected{make_error(-LIO_EINVAL)};
    host = host_port.substr(0, colon);
    port_text = host_port.substr(colon + 1);
  }
  if (port_text.empty() || port_text.size() > 5) return Unexpected{make_error(-LIO_EINVAL)};
  uint32_t port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9') return Unexpected{make_error(-LIO_EINVAL)};
    port = port * 10 + static_cast<uint32_t>(c - '0');
  }
  if (port > 65535) return Unexpected{make_error(-LIO_EINVAL)};
  std::string h(host);
  sockaddr_in sin{};
  if (inet_pton(AF_INET, h.c_str(), &sin.sin_addr) == 1) {
    sin.sin_family = AF_INET;
    sin.sin_port = htons(static_cast<uint16_t>(port));
    return FromNative(&sin, sizeof sin);
  }
  sockaddr_in6 sin6{};
  if (inet_pton(AF_INET6, h.c_str(), &sin6.sin6_addr) == 1) {
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(static_cast<uint16_t>(port));
    return FromNative(&sin6, sizeof sin6);
  }
  return Unexpected{make_error(-LIO_EINVAL)};
}

SocketAddress SocketAddress::Loopback(uint16_t port) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return FromNative(&sin, sizeof sin);
}

SocketAddress SocketAddress::Ipv6Loopback(uint16_t port) {
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(port);
  sin6.sin6_addr = in6addr_loopback;
  return FromNative(&sin6, sizeof sin6);
}

SocketAddress SocketAddress::Any(uint16_t port) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(INADDR_ANY);
  return FromNative(&sin, sizeof sin);
}

SocketAddress SocketAddress::FromNative(const void* sockaddr, uint32_t size) noexcept {
  SocketAddress a;
  a.size_ = size < kCapacity ? size : kCapacity;
  if (a.size_ != 0) std::memcpy(a.storage_, sockaddr, a.size_);
  return a;
}

int SocketAddress::family() const noexcept {
  if (size_ < 2) return 0;  // shorter than the family field
  return reinterpret_cast<const sockaddr*>(storage_)->sa_family;
}

uint16_t SocketAddress::port() const noexcept {
  switch (family()) {
    case AF_INET: return ntohs(reinterpret_cast<const sockaddr_in*>(storage_)->sin_port);
    case AF_INET6: return ntohs(reinterpret_cast<const sockaddr_in6*>(storage_)->sin6_port);
    default: return 0;
  }
}

std::string SocketAddress::ToString() const {
  char text[64] = {};
  switch (family()) {
    case AF_INET:
      inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(storage_)->sin_addr, text, sizeof text);
      return std::string(text) + ":" + std::to_string(port());
    case AF_INET6:
      inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(storage_)->sin6_addr, text, sizeof text);
      return "[" + std::string(text) + "]:" + std::to_string(port());
    default:
      return "(no address)";
  }
}

int DefaultSendFlags() noexcept {
#if defined(MSG_NOSIGNAL)
  return MSG_NOSIGNAL;
#else
  return 0;
#endif
}

namespace net {

int StreamType() noexcept { return SOCK_STREAM; }
int DatagramType() noexcept { return SOCK_DGRAM; }

Expected<lio_handle> Socket(int family, int type) noexcept {
  EnsureWinsock();
#if defined(_WIN32)
  SOCKET s = WSASocketW(family, type, 0, nullptr, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (s == INVALID_SOCKET) return Unexpected{LastSocketError()};
  return static_cast<lio_handle>(s);
#else
#if defined(SOCK_CLOEXEC)
  int fd = ::socket(family, type | SOCK_CLOEXEC, 0);
#else
  int fd = ::socket(family, type, 0);
  if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
#endif
  if (fd < 0) return Unexpected{LastSocketError()};
  return static_cast<lio_handle>(fd);
#endif
}

namespace {
std::error_code SetIntOption(lio_handle h, int level, int name, int value) noexcept {
  if (setsockopt(static_cast<NativeSocket>(h), level, name, reinterpret_cast<const char*>(&value),
                 sizeof value) != 0) {
    return LastSocketError();
  }
  return {};
}
}  // namespace

std::error_code SetReuseAddress(lio_handle h, bool on) noexcept {
  return SetIntOption(h, SOL_SOCKET, SO_REUSEADDR, on ? 1 : 0);
}

std::error_code SetReusePort(lio_handle h, bool on) noexcept {
#if defined(SO_REUSEPORT)
  return SetIntOption(h, SOL_SOCKET, SO_REUSEPORT, on ? 1 : 0);
#else
  (void)h;
  return on ? make_error(-LIO_EOPNOTSUPP) : std::error_code{};
#endif
}

std::error_code SetNoDelay(lio_handle h, bool on) noexcept { return SetIntOption(h, IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0); }

std::error_code Bind(lio_handle h, const SocketAddress& address) noexcept {
  if (::bind(static_cast<NativeSocket>(h), static_cast<const sockaddr*>(address.native()),
             static_cast<socklen>(address.size())) != 0) {
    return LastSocketError();
  }
  return {};
}

std::error_code Listen(lio_handle h, int backlog) noexcept {
  if (::listen(static_cast<NativeSocket>(h), backlog) != 0) return LastSocketError();
  return {};
}

Expected<SocketAddress> LocalAddress(lio_handle h) noexcept {
  SocketAddress a;
  socklen len = SocketAddress::kCapacity;
  if (getsockname(static_cast<NativeSocket>(h), static_cast<sockaddr*>(a.native()), &len) != 0) {
    return Unexpected{LastSocketError()};
  }
  a.set_size(static_cast<uint32_t>(len));
  return a;
}

Expected<SocketAddress> PeerAddress(lio_handle h) noexcept {
  SocketAddress a;
  socklen len = SocketAddress::kCapacity;
  if (getpeername(static_cast<NativeSocket>(h), static_cast<sockaddr*>(a.native()), &len) != 0) {
    return Unexpected{LastSocketError()};
  }
  a.set_size(static_cast<uint32_t>(len));
  return a;
}

void CloseNow(lio_handle h) noexcept {
  if (h == LIO_INVALID_HANDLE) return;
#if defined(_WIN32)
  closesocket(static_cast<SOCKET>(h));
#else
  ::close(static_cast<int>(h));
#endif
}

}  // namespace net
}  // namespace lio
