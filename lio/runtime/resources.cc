#include "lio/runtime/resources.h"

namespace lio {
namespace {

// A handle that is closed directly if set-up fails before the loop owns it.
class SetupHandle {
 public:
  explicit SetupHandle(lio_handle h) : h_(h) {}
  ~SetupHandle() { net::CloseNow(h_); }
  lio_handle get() const { return h_; }
  lio_handle release() { return std::exchange(h_, LIO_INVALID_HANDLE); }

 private:
  lio_handle h_;
};

}  // namespace

Expected<TcpListener> TcpListener::Bind(Loop& loop, const SocketAddress& address, const ListenOptions& options) {
  auto h = net::Socket(address.family(), net::StreamType());
  if (!h) return Unexpected{h.error()};
  SetupHandle s(*h);
  if (options.reuse_address) {
    if (auto ec = net::SetReuseAddress(s.get(), true)) return Unexpected{ec};
  }
  if (options.reuse_port) {
    if (auto ec = net::SetReusePort(s.get(), true)) return Unexpected{ec};
  }
  if (auto ec = net::Bind(s.get(), address)) return Unexpected{ec};
  if (auto ec = net::Listen(s.get(), options.backlog)) return Unexpected{ec};
  return TcpListener(Handle::Adopt(loop, s.release()));
}

Expected<UdpSocket> UdpSocket::Bind(Loop& loop, const SocketAddress& address, bool reuse_port) {
  auto h = net::Socket(address.family(), net::DatagramType());
  if (!h) return Unexpected{h.error()};
  SetupHandle s(*h);
  if (reuse_port) {
    if (auto ec = net::SetReusePort(s.get(), true)) return Unexpected{ec};
  }
  if (auto ec = net::Bind(s.get(), address)) return Unexpected{ec};
  return UdpSocket(Handle::Adopt(loop, s.release()));
}

}  // namespace lio
