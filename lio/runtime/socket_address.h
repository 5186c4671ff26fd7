// lio::SocketAddress — an IPv4 or IPv6 address and port in the OS's native
// sockaddr layout (what connect, accept, sendmsg and recvmsg take), plus the
// few synchronous socket calls that have no operation in the backend contract
// (bind, listen, setsockopt, getsockname). Those run at set-up, not on the
// I/O path.
//
//   auto addr = lio::SocketAddress::Parse("127.0.0.1:8080");
//   auto any = lio::SocketAddress::Loopback(0);  // 127.0.0.1, ephemeral port
//
// BSD sockets on POSIX, Winsock on Windows; no OS header leaks from here.
#ifndef LIO_RUNTIME_SOCKET_ADDRESS_H_
#define LIO_RUNTIME_SOCKET_ADDRESS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "lio/core/expected.h"
#include "lio/core/plugin_abi.h"

namespace lio {

class SocketAddress {
 public:
  static constexpr uint32_t kCapacity = 128;  // sizeof(sockaddr_storage)

  SocketAddress() noexcept = default;  // empty: size() 0

  // "1.2.3.4:80", "[::1]:80". Numeric only (no name resolution).
  static Expected<SocketAddress> Parse(std::string_view host_port);
  // An IPv4 address given as "1.2.3.4" and a port.
  static Expected<SocketAddress> Ipv4(std::string_view host, uint16_t port);
  static SocketAddress Loopback(uint16_t port);      // 127.0.0.1
  static SocketAddress Ipv6Loopback(uint16_t port);  // ::1
  static SocketAddress Any(uint16_t port);           // 0.0.0.0
  // From a native sockaddr of `size` bytes (truncated to kCapacity).
  static SocketAddress FromNative(const void* sockaddr, uint32_t size) noexcept;

  const void* native() const noexcept { return storage_; }
  void* native() noexcept { return storage_; }
  uint32_t size() const noexcept { return size_; }
  void set_size(uint32_t size) noexcept { size_ = size < kCapacity ? size : kCapacity; }
  bool empty() const noexcept { return size_ == 0; }

  int family() const noexcept;  // AF_INET, AF_INET6, or 0 when empty
  uint16_t port() const noexcept;
  std::string ToString() const;  // "127.0.0.1:8080", "[::1]:80"

 private:
  alignas(8) unsigned char storage_[kCapacity] = {};
  uint32_t size_ = 0;
};

// Native flags: MSG_NOSIGNAL where it exists (so a send to a closed peer is an
// EPIPE result, not a SIGPIPE), else 0. The default flags of lio::send.
int DefaultSendFlags() noexcept;

namespace net {

// Native constants, so callers need no OS header.
int StreamType() noexcept;    // SOCK_STREAM
int DatagramType() noexcept;  // SOCK_DGRAM

// Synchronous set-up calls on a handle; errors in lio's category.
Expected<lio_handle> Socket(int family, int type) noexcept;  // close-on-exec, blocking
std::error_code SetReuseAddress(lio_handle h, bool on) noexcept;
std::error_code SetReusePort(lio_handle h, bool on) noexcept;  // operation_not_supported where absent
std::error_code SetNoDelay(lio_handle h, bool on) noexcept;
std::error_code Bind(lio_handle h, const SocketAddress& address) noexcept;
std::error_code Listen(lio_handle h, int backlog) noexcept;
Expected<SocketAddress> LocalAddress(lio_handle h) noexcept;
Expected<SocketAddress> PeerAddress(lio_handle h) noexcept;
// close(2)/closesocket right now, for handles the loop never saw (set-up
// failures). Everything else is closed through the backend.
void CloseNow(lio_handle h) noexcept;

}  // namespace net
}  // namespace lio

#endif  // LIO_RUNTIME_SOCKET_ADDRESS_H_
