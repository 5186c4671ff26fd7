// The iocp backend's errno map: Windows error codes -> the plugin ABI's
// results (-LIO_E*, Linux errno numbering), in one table. (The poller's
// errno_map.h is the same idea for POSIX errno.)
//
// Both kinds of Windows error live in the same number space and the same
// table: Win32 codes (GetLastError, and GetOverlappedResult's translation of
// a completed op's NTSTATUS) and Winsock codes (WSAGetLastError,
// WSAGetOverlappedResult). A code the table does not know is -LIO_EIO.
//
// Two codes are not errors in POSIX terms: ERROR_HANDLE_EOF (reading at or
// past the end of a file) is 0 bytes, and for a read ERROR_BROKEN_PIPE (the
// writer closed the pipe) is 0 bytes too — ReadResult() applies both.
//
// Shared by the iocp plugin and by lio/testing's platform_windows.cc, so the
// conformance suite's "blocking system call" results are mapped the same way
// as the backend's. Windows only.
#ifndef LIO_PLUGINS_IOCP_ERRNO_MAP_H_
#define LIO_PLUGINS_IOCP_ERRNO_MAP_H_

#include <cstdint>
#include <span>

namespace lio::iocp {

struct ErrorMapping {
  uint32_t windows;  // ERROR_* or WSAE*
  int32_t result;    // -LIO_E*, or 0 (not an error: 0 bytes)
  const char* name;  // "ERROR_HANDLE_EOF", for messages and the table's test
};

// Every mapping, sorted by `windows`, no code twice.
std::span<const ErrorMapping> ErrorTable() noexcept;

// The result for `windows_error`: 0 for NO_ERROR and ERROR_HANDLE_EOF,
// -LIO_E* for the rest, -LIO_EIO when the table does not know the code.
int64_t ErrorResult(uint32_t windows_error) noexcept;

// As ErrorResult, for a read (ReadFile, WSARecv...): the writer's end going
// away (ERROR_BROKEN_PIPE) is end of stream, 0 bytes.
int64_t ReadErrorResult(uint32_t windows_error) noexcept;

}  // namespace lio::iocp

#endif  // LIO_PLUGINS_IOCP_ERRNO_MAP_H_
