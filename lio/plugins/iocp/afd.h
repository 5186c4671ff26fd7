// The AFD poll request: readiness of a socket as an overlapped operation.
//
// Windows has no documented overlapped "poll": WSAPoll blocks. The Ancillary
// Function Driver that implements Winsock has one, IOCTL_AFD_POLL, and it is
// how libuv, mio (Rust's Tokio) and wepoll wait for socket readiness on an
// I/O completion port. It is issued with DeviceIoControl on a socket handle
// with an OVERLAPPED, completes through the port like any other I/O, and is
// cancelled with CancelIoEx. The layouts below are those of the Windows DDK
// (ReactOS's afd/shared.h documents them too).
#ifndef LIO_PLUGINS_IOCP_AFD_H_
#define LIO_PLUGINS_IOCP_AFD_H_

#include <windows.h>

#include <cstdint>

#include "lio/core/plugin_abi.h"

namespace lio::iocp::afd {

inline constexpr DWORD kIoctlPoll = 0x00012024;  // IOCTL_AFD_POLL

// AFD_POLL_* event bits.
inline constexpr ULONG kReceive = 0x0001;           // data to read
inline constexpr ULONG kReceiveExpedited = 0x0002;  // out-of-band data
inline constexpr ULONG kSend = 0x0004;              // room to write
inline constexpr ULONG kDisconnect = 0x0008;        // the peer shut down its sending side
inline constexpr ULONG kAbort = 0x0010;             // the connection was reset
inline constexpr ULONG kLocalClose = 0x0020;        // the socket was closed here
inline constexpr ULONG kConnect = 0x0040;           // a connect completed
inline constexpr ULONG kAccept = 0x0080;            // a connection waits to be accepted
inline constexpr ULONG kConnectFail = 0x0100;       // a connect failed

struct PollHandleInfo {
  HANDLE handle;
  ULONG events;
  LONG status;  // NTSTATUS
};

struct PollInfo {
  LARGE_INTEGER timeout;  // INT64_MAX: none
  ULONG number_of_handles;
  ULONG exclusive;
  PollHandleInfo handles[1];
};

// The AFD events that answer a poll for `lio_events` (LIO_POLL_IN/OUT). Hang
// ups, resets and failed connects are always asked for: poll(2) reports
// them unasked.
inline ULONG EventsFor(uint32_t lio_events) {
  ULONG events = kDisconnect | kAbort | kLocalClose | kConnectFail;
  if (lio_events & LIO_POLL_IN) events |= kReceive | kAccept;
  if (lio_events & LIO_POLL_OUT) events |= kSend | kConnect;
  return events;
}

// The LIO_POLL_* events of AFD `events`, as WSAPoll reports them (a hang up
// or a reset is POLLHUP, a reset or a failed connect POLLERR), restricted to
// what was asked plus ERR/HUP. A hung-up stream reads end-of-stream without
// blocking, so it is also readable when readability was asked for.
inline uint32_t LioEventsOf(ULONG events, uint32_t asked) {
  uint32_t ready = 0;
  if (events & (kReceive | kAccept)) ready |= LIO_POLL_IN;
  if (events & (kSend | kConnect)) ready |= LIO_POLL_OUT;
  if (events & (kDisconnect | kAbort)) ready |= LIO_POLL_HUP | LIO_POLL_IN;
  if (events & (kAbort | kConnectFail)) ready |= LIO_POLL_ERR;
  return ready & (asked | LIO_POLL_ERR | LIO_POLL_HUP);
}

}  // namespace lio::iocp::afd

#endif  // LIO_PLUGINS_IOCP_AFD_H_
