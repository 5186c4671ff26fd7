#include "lio/testing/sockets.h"

#include <cstring>

namespace lio::testing {

sockaddr_in LoopbackAddress(uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

uint16_t PortOf(const sockaddr_in& address) { return ntohs(address.sin_port); }

bool SameAddress(const sockaddr_in& a, const sockaddr_in& b) {
  return a.sin_family == b.sin_family && a.sin_port == b.sin_port && a.sin_addr.s_addr == b.sin_addr.s_addr;
}

const sockaddr* AsSockaddr(const sockaddr_in& address) { return reinterpret_cast<const sockaddr*>(&address); }

namespace {

// A socket of `type` bound to 127.0.0.1:0, and where it was bound.
lio_handle BoundLoopbackSocket(int type, sockaddr_in* bound) {
  int64_t h = platform::Socket(AF_INET, type, 0);
  if (h < 0) return LIO_INVALID_HANDLE;
  sockaddr_in any_port = LoopbackAddress(0);
  if (platform::Bind(h, AsSockaddr(any_port), sizeof any_port) < 0 || platform::LocalAddress(h, bound) < 0) {
    platform::CloseHandle(h);
    return LIO_INVALID_HANDLE;
  }
  return h;
}

}  // namespace

Listener LoopbackListener() {
  Listener listener;
  listener.handle = BoundLoopbackSocket(SOCK_STREAM, &listener.address);
  if (listener.handle >= 0 && platform::Listen(listener.handle) < 0) {
    platform::CloseHandle(listener.handle);
    listener.handle = LIO_INVALID_HANDLE;
  }
  return listener;
}

TcpPair ConnectedTcpPair() {
  TcpPair pair;
  Listener listener = LoopbackListener();
  if (listener.handle < 0) return pair;
  int64_t tested = platform::Socket(AF_INET, SOCK_STREAM, 0);
  if (tested >= 0 && platform::Connect(tested, AsSockaddr(listener.address), sizeof listener.address) == 0) {
    int64_t peer = platform::Accept(listener.handle, nullptr, nullptr);
    if (peer >= 0) {
      pair.tested = tested;
      pair.peer = peer;
    }
  }
  if (!pair.ok() && tested >= 0) platform::CloseHandle(tested);
  platform::CloseHandle(listener.handle);
  return pair;
}

UdpSocket BoundUdpSocket() {
  UdpSocket socket;
  socket.handle = BoundLoopbackSocket(SOCK_DGRAM, &socket.address);
  return socket;
}

uint16_t UnusedLoopbackPort() {
  sockaddr_in bound{};
  lio_handle h = BoundLoopbackSocket(SOCK_STREAM, &bound);
  if (h < 0) return 0;
  platform::CloseHandle(h);
  return PortOf(bound);
}

}  // namespace lio::testing
