// Typed resources: lio::File, lio::TcpListener, lio::TcpStream,
// lio::UdpSocket. Each is a Handle (handle.h: shared ownership, closed through
// the backend when the last owner — a copy or an operation in flight — lets
// go), so any of them can be passed where an operation wants a Target:
//
//   lio::Expected<lio::File> f = co_await lio::open("data.bin", LIO_OPEN_RDONLY);
//   auto [n, buf] = co_await lio::read(*f, lio::Buffer(4096), 0);
//
//   auto listener = lio::TcpListener::Bind(loop, lio::SocketAddress::Loopback(0));
//   lio::Expected<lio::TcpStream> conn = co_await lio::accept(*listener);
//
// Creating a listening or UDP socket (socket, setsockopt, bind, listen) is
// synchronous set-up; streams come from accept or lio::connect, files from
// lio::open — all operations of the backend.
#ifndef LIO_RUNTIME_RESOURCES_H_
#define LIO_RUNTIME_RESOURCES_H_

#include <utility>

#include "lio/core/expected.h"
#include "lio/runtime/handle.h"
#include "lio/runtime/socket_address.h"

namespace lio {

class File : public Handle {
 public:
  File() noexcept = default;
  explicit File(Handle h) noexcept : Handle(std::move(h)) {}
};

class TcpStream : public Handle {
 public:
  TcpStream() noexcept = default;
  explicit TcpStream(Handle h) noexcept : Handle(std::move(h)) {}

  Expected<SocketAddress> local_address() const noexcept { return net::LocalAddress(get()); }
  Expected<SocketAddress> peer_address() const noexcept { return net::PeerAddress(get()); }
  std::error_code set_nodelay(bool on) const noexcept { return net::SetNoDelay(get(), on); }
};

struct ListenOptions {
  int backlog = 1024;
  bool reuse_address = true;  // SO_REUSEADDR
  // SO_REUSEPORT: several listeners (one per loop/thread) share the port and
  // the kernel spreads connections across them. Linux/BSD only.
  bool reuse_port = false;
};

class TcpListener : public Handle {
 public:
  TcpListener() noexcept = default;
  explicit TcpListener(Handle h) noexcept : Handle(std::move(h)) {}

  // socket + setsockopt + bind + listen, synchronously.
  static Expected<TcpListener> Bind(Loop& loop, const SocketAddress& address, const ListenOptions& options = {});

  // The bound address (with the port the OS chose for port 0).
  Expected<SocketAddress> local_address() const noexcept { return net::LocalAddress(get()); }
};

class UdpSocket : public Handle {
 public:
  UdpSocket() noexcept = default;
  explicit UdpSocket(Handle h) noexcept : Handle(std::move(h)) {}

  // socket + bind, synchronously. `reuse_port` as in ListenOptions.
  static Expected<UdpSocket> Bind(Loop& loop, const SocketAddress& address, bool reuse_port = false);

  Expected<SocketAddress> local_address() const noexcept { return net::LocalAddress(get()); }
};

}  // namespace lio

#endif  // LIO_RUNTIME_RESOURCES_H_
