// The Windows error table: well formed, and the mappings the contract
// depends on.
#include "lio/plugins/iocp/errno_map.h"

#include <gtest/gtest.h>
#include <winsock2.h>
#include <windows.h>

#include <set>
#include <string>

#include "lio/core/error.h"
#include "lio/core/plugin_abi.h"

namespace lio::iocp {
namespace {

TEST(WinErrorTable, IsSortedWithoutDuplicates) {
  auto table = ErrorTable();
  ASSERT_FALSE(table.empty());
  for (size_t i = 1; i < table.size(); ++i) {
    EXPECT_LT(table[i - 1].windows, table[i].windows)
        << table[i - 1].name << " and " << table[i].name << " are out of order or the same code";
  }
}

TEST(WinErrorTable, EveryResultIsZeroOrAnAbiErrorTheCoreCanName) {
  for (const ErrorMapping& m : ErrorTable()) {
    EXPECT_LE(m.result, 0) << m.name;
    if (m.result < 0) {
      EXPECT_STRNE(error_name(-m.result), "E?") << m.name << " maps to " << m.result << ", not a LIO_E* code";
    }
  }
}

TEST(WinErrorTable, EveryEntryIsFoundByLookup) {
  for (const ErrorMapping& m : ErrorTable()) {
    EXPECT_EQ(ErrorResult(m.windows), m.result) << m.name;
  }
}

TEST(WinErrorTable, EveryWindowsCodeHasASystemMessage) {
  // Catches a typo'd constant: FormatMessage knows every real Win32 and
  // Winsock code.
  for (const ErrorMapping& m : ErrorTable()) {
    wchar_t text[512];
    DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr, m.windows, 0, text,
                             512, nullptr);
    if (n == 0) {
      // Wine's message table lacks a few; record them rather than fail.
      RecordProperty(std::string("no_message_") + m.name, static_cast<int>(m.windows));
    }
  }
}

struct Case {
  uint32_t windows;
  int64_t result;
  const char* what;
};

TEST(WinErrorTable, ContractMappings) {
  const Case cases[] = {
      {NO_ERROR, 0, "success"},
      {ERROR_OPERATION_ABORTED, -LIO_ECANCELED, "CancelIoEx'd op"},
      {ERROR_HANDLE_EOF, 0, "read at end of file is 0 bytes"},
      {WSAECONNREFUSED, -LIO_ECONNREFUSED, "ConnectEx refused"},
      {ERROR_CONNECTION_REFUSED, -LIO_ECONNREFUSED, "refused, via GetOverlappedResult"},
      {ERROR_INVALID_HANDLE, -LIO_EBADF, "closed handle"},
      {WSAENOTSOCK, -LIO_ENOTSOCK, "socket call on a file"},
      {ERROR_FILE_NOT_FOUND, -LIO_ENOENT, "openat of a missing file"},
      {ERROR_PATH_NOT_FOUND, -LIO_ENOENT, "openat in a missing directory"},
      {ERROR_FILE_EXISTS, -LIO_EEXIST, "CREATE_NEW of an existing file"},
      {ERROR_ALREADY_EXISTS, -LIO_EEXIST, "exists"},
      {ERROR_ACCESS_DENIED, -LIO_EACCES, "access denied"},
      {WSAECONNRESET, -LIO_ECONNRESET, "reset"},
      {ERROR_NETNAME_DELETED, -LIO_ECONNRESET, "reset, via GetOverlappedResult"},
      {WSAECONNABORTED, -LIO_ECONNABORTED, "aborted"},
      {WSAENOTCONN, -LIO_ENOTCONN, "not connected"},
      {WSAEISCONN, -LIO_EISCONN, "already connected"},
      {WSAEADDRINUSE, -LIO_EADDRINUSE, "address in use"},
      {WSAEAFNOSUPPORT, -LIO_EAFNOSUPPORT, "unknown family"},
      {WSAEMSGSIZE, -LIO_EMSGSIZE, "datagram too long"},
      {WSAESHUTDOWN, -LIO_EPIPE, "send after shutdown"},
      {WSAEWOULDBLOCK, -LIO_EAGAIN, "would block"},
      {WSAETIMEDOUT, -LIO_ETIMEDOUT, "timed out"},
      {WSAEINVAL, -LIO_EINVAL, "invalid"},
      {ERROR_INVALID_PARAMETER, -LIO_EINVAL, "invalid"},
      {ERROR_DISK_FULL, -LIO_ENOSPC, "disk full"},
      {ERROR_NOT_ENOUGH_MEMORY, -LIO_ENOMEM, "no memory"},
      {ERROR_BROKEN_PIPE, -LIO_EPIPE, "write to a pipe with no reader"},
      {ERROR_DIRECTORY, -LIO_ENOTDIR, "not a directory"},
      {0xDEADu, -LIO_EIO, "unknown codes are EIO"},
  };
  for (const Case& c : cases) EXPECT_EQ(ErrorResult(c.windows), c.result) << c.what << " (" << c.windows << ")";
}

TEST(WinErrorTable, ReadsSeeTheWriterGoingAwayAsEndOfStream) {
  EXPECT_EQ(ReadErrorResult(ERROR_BROKEN_PIPE), 0);
  EXPECT_EQ(ReadErrorResult(ERROR_HANDLE_EOF), 0);
  EXPECT_EQ(ReadErrorResult(ERROR_OPERATION_ABORTED), -LIO_ECANCELED);
  EXPECT_EQ(ErrorResult(ERROR_BROKEN_PIPE), -LIO_EPIPE);
}

TEST(WinErrorTable, RealCallsProduceMappedCodes) {
  // Errors fresh from the OS, not just constants.
  HANDLE missing = CreateFileW(L"Z:\\no\\such\\dir\\file", GENERIC_READ, 0, nullptr, OPEN_EXISTING, 0, nullptr);
  ASSERT_EQ(missing, INVALID_HANDLE_VALUE);
  EXPECT_EQ(ErrorResult(GetLastError()), -LIO_ENOENT);

  WSADATA data;
  ASSERT_EQ(WSAStartup(MAKEWORD(2, 2), &data), 0);
  SOCKET s = socket(4000, SOCK_STREAM, 0);
  ASSERT_EQ(s, INVALID_SOCKET);
  EXPECT_EQ(ErrorResult(WSAGetLastError()), -LIO_EAFNOSUPPORT);
  WSACleanup();
}

}  // namespace
}  // namespace lio::iocp
