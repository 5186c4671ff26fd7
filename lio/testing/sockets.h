// Loopback sockets for the socket cases, made with blocking system calls
// (platform.h), so the backend is only exercised by the operation under test.
// Handles are raw: the fixture owns them (ConformanceTest::Own).
#ifndef LIO_TESTING_SOCKETS_H_
#define LIO_TESTING_SOCKETS_H_

#include <cstdint>

#include "lio/core/plugin_abi.h"
#include "lio/testing/platform.h"

namespace lio::testing {

// 127.0.0.1:port.
sockaddr_in LoopbackAddress(uint16_t port);
uint16_t PortOf(const sockaddr_in& address);
bool SameAddress(const sockaddr_in& a, const sockaddr_in& b);

struct Listener {
  lio_handle handle = LIO_INVALID_HANDLE;
  sockaddr_in address{};  // where it listens
};
// A TCP socket listening on 127.0.0.1 at an ephemeral port.
Listener LoopbackListener();

struct TcpPair {
  lio_handle tested = LIO_INVALID_HANDLE;  // the end the backend operates on
  lio_handle peer = LIO_INVALID_HANDLE;    // the end the case drives with blocking calls
  bool ok() const { return tested >= 0 && peer >= 0; }
};
// A connected TCP connection over loopback.
TcpPair ConnectedTcpPair();

struct UdpSocket {
  lio_handle handle = LIO_INVALID_HANDLE;
  sockaddr_in address{};  // where it is bound
};
// A UDP socket bound to 127.0.0.1 at an ephemeral port.
UdpSocket BoundUdpSocket();

// A loopback port nobody listens on (bound once, then released).
uint16_t UnusedLoopbackPort();

const sockaddr* AsSockaddr(const sockaddr_in& address);

}  // namespace lio::testing

#endif  // LIO_TESTING_SOCKETS_H_
