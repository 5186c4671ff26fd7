// Windows implementation of lio/testing/platform.h (MinGW-w64 or MSVC).
//
// The reference results here come from the blocking Win32/Winsock calls,
// mapped to -LIO_E* with the same table the iocp plugin uses
// (lio/plugins/iocp/errno_map.h), so a mismatch means the backend's
// operation behaved differently, not that two tables disagree.
//
// Files are opened for overlapped I/O, as the iocp backend wants them (a
// Windows file has no non-blocking mode; FILE_FLAG_OVERLAPPED only means
// calls name their offset). The positioned calls below are blocking anyway:
// they wait on an event, and set the event handle's low bit so a handle bound
// to the backend's completion port does not also post a packet there.
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <windows.h>
#include <tlhelp32.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "lio/plugins/iocp/errno_map.h"
#include "lio/testing/platform.h"

namespace lio::testing::platform {
namespace {

using lio::iocp::ErrorResult;
using lio::iocp::ReadErrorResult;

HANDLE H(lio_handle h) { return reinterpret_cast<HANDLE>(h); }
SOCKET S(lio_handle h) { return static_cast<SOCKET>(h); }

int64_t WsaError() { return ErrorResult(WSAGetLastError()); }
int64_t Win32Error() { return ErrorResult(GetLastError()); }

bool IsOpen(lio_handle h) {
  DWORD flags = 0;
  return GetHandleInformation(H(h), &flags) != 0;
}

bool IsSocket(lio_handle h) {
  int type = 0;
  int len = sizeof type;
  return getsockopt(S(h), SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type), &len) == 0;
}

// One blocking ReadFile/WriteFile at `offset` (or, for handles without
// positions, wherever they are). Bytes, or the Win32 error in *error.
int64_t BlockingIo(lio_handle h, bool write, void* buf, size_t len, int64_t offset, DWORD* error) {
  *error = 0;
  HANDLE event = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (event == nullptr) {
    *error = GetLastError();
    return -1;
  }
  OVERLAPPED ov{};
  ov.Offset = static_cast<DWORD>(static_cast<uint64_t>(offset));
  ov.OffsetHigh = static_cast<DWORD>(static_cast<uint64_t>(offset) >> 32);
  // Low bit set: no completion packet even if `h` is bound to a port.
  ov.hEvent = reinterpret_cast<HANDLE>(reinterpret_cast<uintptr_t>(event) | 1);
  DWORD n = len > MAXDWORD ? MAXDWORD : static_cast<DWORD>(len);
  BOOL ok = write ? WriteFile(H(h), buf, n, nullptr, &ov) : ReadFile(H(h), buf, n, nullptr, &ov);
  DWORD done = 0;
  if (ok || GetLastError() == ERROR_IO_PENDING) ok = GetOverlappedResult(H(h), &ov, &done, TRUE);
  if (!ok) *error = GetLastError();
  ::CloseHandle(event);
  return ok ? static_cast<int64_t>(done) : -1;
}

// Waits until `s` is readable (or hung up), up to kBlockingBound.
bool WaitReadable(lio_handle h) {
  WSAPOLLFD p{S(h), POLLRDNORM, 0};
  int timeout_ms = static_cast<int>(std::chrono::milliseconds(kBlockingBound).count());
  return WSAPoll(&p, 1, timeout_ms) > 0;
}

LPFN_WSARECVMSG RecvMsgFunction(SOCKET s) {
  static LPFN_WSARECVMSG fn = nullptr;
  if (fn == nullptr) {
    GUID guid = WSAID_WSARECVMSG;
    DWORD bytes = 0;
    WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof guid, &fn, sizeof fn, &bytes, nullptr, nullptr);
  }
  return fn;
}

std::vector<WSABUF> Buffers(const lio_msghdr* msg) {
  std::vector<WSABUF> bufs;
  for (uint32_t i = 0; i < msg->iovcnt; ++i) {
    bufs.push_back(WSABUF{static_cast<ULONG>(msg->iov[i].len), static_cast<char*>(msg->iov[i].base)});
  }
  return bufs;
}

// Quotes one argument the way CommandLineToArgvW / the C runtime split it.
std::wstring Quote(const std::wstring& arg) {
  if (!arg.empty() && arg.find_first_of(L" \t\"") == std::wstring::npos) return arg;
  std::wstring out = L"\"";
  size_t backslashes = 0;
  for (wchar_t c : arg) {
    if (c == L'\\') {
      ++backslashes;
      continue;
    }
    if (c == L'"') {
      out.append(backslashes * 2 + 1, L'\\');
    } else {
      out.append(backslashes, L'\\');
    }
    backslashes = 0;
    out += c;
  }
  out.append(backslashes * 2, L'\\');
  out += L'"';
  return out;
}

std::wstring Wide(const std::string& utf8) {
  if (utf8.empty()) return {};
  int n = MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
  std::wstring out(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), out.data(), n);
  return out;
}

}  // namespace

void InitProcess() {
  // No error dialog boxes: a crash must end the test run, not wait for a click.
  SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX | SEM_NOOPENFILEERRORBOX);
  WSADATA data;
  WSAStartup(MAKEWORD(2, 2), &data);
}

// ---- handles -------------------------------------------------------------

void CloseHandle(lio_handle h) {
  if (h < 0) return;
  if (closesocket(S(h)) != 0) ::CloseHandle(H(h));
}

lio_handle KnownClosedHandle() {
  // Handle values are small multiples of 4 handed out from the bottom of the
  // process's handle table; this one would need a quarter-billion handles.
  return static_cast<lio_handle>(0x3FFFFFFC);
}

bool IsOpenOn(lio_handle h, const std::filesystem::path& path) {
  BY_HANDLE_FILE_INFORMATION of_handle{}, of_path{};
  if (!IsOpen(h) || !GetFileInformationByHandle(H(h), &of_handle)) return false;
  HANDLE file = CreateFileW(path.wstring().c_str(), 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                            OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr);
  if (file == INVALID_HANDLE_VALUE) return false;
  bool same = GetFileInformationByHandle(file, &of_path) &&
              of_handle.dwVolumeSerialNumber == of_path.dwVolumeSerialNumber &&
              of_handle.nFileIndexHigh == of_path.nFileIndexHigh && of_handle.nFileIndexLow == of_path.nFileIndexLow;
  ::CloseHandle(file);
  return same;
}

bool IsInheritable(lio_handle h) {
  DWORD flags = 0;
  return GetHandleInformation(H(h), &flags) && (flags & HANDLE_FLAG_INHERIT) != 0;
}

std::optional<bool> IsBlocking(lio_handle h) {
  // Files have no non-blocking mode on Windows. Sockets do (FIONBIO,
  // WSAEventSelect), but Windows offers no way to read it back, so probe a
  // connected socket with nothing to read: a 1 ms SO_RCVTIMEO peek times
  // out when it is blocking and answers WSAEWOULDBLOCK at once when it is
  // not. A socket that is not connected, or has data waiting, cannot be
  // probed without changing it: nullopt.
  if (!IsSocket(h)) return true;
  sockaddr_storage peer;
  int peer_len = sizeof peer;
  if (getpeername(S(h), reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) return std::nullopt;
  u_long pending = 0;
  if (ioctlsocket(S(h), FIONREAD, &pending) != 0 || pending > 0) return std::nullopt;
  DWORD old_timeout = 0;
  int len = sizeof old_timeout;
  getsockopt(S(h), SOL_SOCKET, SO_RCVTIMEO, reinterpret_cast<char*>(&old_timeout), &len);
  DWORD probe_timeout = 1;
  setsockopt(S(h), SOL_SOCKET, SO_RCVTIMEO, reinterpret_cast<const char*>(&probe_timeout), sizeof probe_timeout);
  char byte;
  int rc = recv(S(h), &byte, 1, MSG_PEEK);
  int error = WSAGetLastError();
  setsockopt(S(h), SOL_SOCKET, SO_RCVTIMEO, reinterpret_cast<const char*>(&old_timeout), sizeof old_timeout);
  if (rc == SOCKET_ERROR && error == WSAEWOULDBLOCK) return false;
  if (rc == SOCKET_ERROR && error == WSAETIMEDOUT) return true;
  return std::nullopt;  // data arrived meanwhile, or the connection ended
}

// ---- files ---------------------------------------------------------------

lio_handle OpenFile(const std::filesystem::path& path, Access access) {
  DWORD rights = access == Access::kReadOnly    ? GENERIC_READ
                 : access == Access::kWriteOnly ? GENERIC_WRITE
                                                : GENERIC_READ | GENERIC_WRITE;
  HANDLE h = CreateFileW(path.wstring().c_str(), rights, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                         nullptr, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, nullptr);
  return h == INVALID_HANDLE_VALUE ? LIO_INVALID_HANDLE : reinterpret_cast<lio_handle>(h);
}

lio_handle OpenDirectory(const std::filesystem::path& path) {
  HANDLE h = CreateFileW(path.wstring().c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                         nullptr, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr);
  return h == INVALID_HANDLE_VALUE ? LIO_INVALID_HANDLE : reinterpret_cast<lio_handle>(h);
}

int64_t PositionedRead(lio_handle h, void* buf, size_t len, int64_t offset) {
  DWORD error;
  int64_t n = BlockingIo(h, false, buf, len, offset, &error);
  return error != 0 ? ReadErrorResult(error) : n;
}

int64_t PositionedWrite(lio_handle h, const void* buf, size_t len, int64_t offset) {
  DWORD error;
  int64_t n = BlockingIo(h, true, const_cast<void*>(buf), len, offset, &error);
  return error != 0 ? ErrorResult(error) : n;
}

int64_t Write(lio_handle h, const void* buf, size_t len) {
  LARGE_INTEGER zero{}, position{};
  bool seekable = SetFilePointerEx(H(h), zero, &position, FILE_CURRENT);
  DWORD error;
  int64_t n = BlockingIo(h, true, const_cast<void*>(buf), len, seekable ? position.QuadPart : 0, &error);
  if (error != 0) return ErrorResult(error);
  if (seekable) {
    LARGE_INTEGER to;
    to.QuadPart = position.QuadPart + n;
    SetFilePointerEx(H(h), to, nullptr, FILE_BEGIN);
  }
  return n;
}

int64_t FilePosition(lio_handle h) {
  LARGE_INTEGER zero{}, position{};
  if (!SetFilePointerEx(H(h), zero, &position, FILE_CURRENT)) return Win32Error();
  return position.QuadPart;
}

int64_t Fsync(lio_handle h, bool /*data_only*/) {
  SetLastError(NO_ERROR);
  DWORD type = GetFileType(H(h));
  if (type == FILE_TYPE_UNKNOWN && GetLastError() != NO_ERROR) return Win32Error();
  if (type != FILE_TYPE_DISK) return -LIO_EINVAL;  // fsync(2) of a pipe or socket
  return FlushFileBuffers(H(h)) ? 0 : Win32Error();
}

int64_t Close(lio_handle h) {
  if (closesocket(S(h)) == 0) return 0;
  if (WSAGetLastError() != WSAENOTSOCK) return WsaError();
  return ::CloseHandle(H(h)) ? 0 : Win32Error();
}

// Windows has none of these calls; cases state the Linux answer.
std::optional<int64_t> FsCall(const lio_op&) { return std::nullopt; }

std::optional<std::filesystem::path> DirectoryOnAnotherFilesystem(const std::filesystem::path&) {
  return std::nullopt;  // drives: none known to be writable and distinct here
}

int64_t Openat(lio_handle dir, const char* path, uint32_t flags, uint32_t mode) {
  std::filesystem::path target = std::filesystem::u8path(path);
  if (dir != LIO_AT_FDCWD && target.is_relative()) {
    wchar_t dir_path[32768];
    DWORD n = GetFinalPathNameByHandleW(H(dir), dir_path, 32768, FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
    if (n == 0 || n >= 32768) return Win32Error();
    target = std::filesystem::path(dir_path) / target;
  }
  DWORD access = 0;
  switch (flags & LIO_OPEN_ACCMODE) {
    case LIO_OPEN_RDONLY: access = GENERIC_READ; break;
    case LIO_OPEN_WRONLY: access = GENERIC_WRITE; break;
    case LIO_OPEN_RDWR: access = GENERIC_READ | GENERIC_WRITE; break;
    default: return -LIO_EINVAL;
  }
  if ((flags & LIO_OPEN_APPEND) && (access & GENERIC_WRITE)) {
    access = (access & ~GENERIC_WRITE) | (FILE_GENERIC_WRITE & ~FILE_WRITE_DATA);
  }
  bool create = flags & LIO_OPEN_CREATE, trunc = flags & LIO_OPEN_TRUNC;
  DWORD disposition = create && (flags & LIO_OPEN_EXCL) ? CREATE_NEW
                      : create                         ? (trunc ? CREATE_ALWAYS : OPEN_ALWAYS)
                      : trunc                          ? TRUNCATE_EXISTING
                                                       : OPEN_EXISTING;
  DWORD attributes = FILE_FLAG_OVERLAPPED | ((create && !(mode & 0222)) ? FILE_ATTRIBUTE_READONLY : 0);
  if (flags & LIO_OPEN_DIRECTORY) attributes |= FILE_FLAG_BACKUP_SEMANTICS;
  HANDLE h = CreateFileW(target.wstring().c_str(), access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                         nullptr, disposition, attributes, nullptr);
  if (h == INVALID_HANDLE_VALUE) return Win32Error();
  if (flags & LIO_OPEN_DIRECTORY) {
    BY_HANDLE_FILE_INFORMATION info;
    if (!GetFileInformationByHandle(h, &info) || !(info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) {
      ::CloseHandle(h);
      return -LIO_ENOTDIR;
    }
  }
  return reinterpret_cast<lio_handle>(h);
}

// ---- sockets -------------------------------------------------------------

int64_t Socket(int domain, int type, int protocol) {
  SOCKET s = WSASocketW(domain, type, protocol, nullptr, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  return s == INVALID_SOCKET ? WsaError() : static_cast<int64_t>(s);
}

int64_t Bind(lio_handle h, const sockaddr* addr, uint32_t addrlen) {
  return bind(S(h), addr, static_cast<int>(addrlen)) == 0 ? 0 : WsaError();
}

int64_t Listen(lio_handle h) { return listen(S(h), 64) == 0 ? 0 : WsaError(); }

int64_t Connect(lio_handle h, const sockaddr* addr, uint32_t addrlen) {
  return connect(S(h), addr, static_cast<int>(addrlen)) == 0 ? 0 : WsaError();
}

int64_t Accept(lio_handle h, sockaddr* addr, uint32_t* addrlen) {
  if (!WaitReadable(h)) return -LIO_ETIMEDOUT;
  int len = addrlen ? static_cast<int>(*addrlen) : 0;
  SOCKET s = accept(S(h), addr, addrlen ? &len : nullptr);
  if (s == INVALID_SOCKET) return WsaError();
  SetHandleInformation(reinterpret_cast<HANDLE>(s), HANDLE_FLAG_INHERIT, 0);  // as accept4(SOCK_CLOEXEC)
  if (addrlen) *addrlen = static_cast<uint32_t>(len);
  return static_cast<int64_t>(s);
}

int64_t Send(lio_handle h, const void* buf, size_t len, int flags) {
  int n = send(S(h), static_cast<const char*>(buf), static_cast<int>(len), flags);
  return n == SOCKET_ERROR ? WsaError() : n;
}

int64_t Recv(lio_handle h, void* buf, size_t len, int flags) {
  if (IsSocket(h) && !WaitReadable(h)) return -LIO_ETIMEDOUT;
  int n = recv(S(h), static_cast<char*>(buf), static_cast<int>(len), flags);
  return n == SOCKET_ERROR ? WsaError() : n;
}

int64_t Sendmsg(lio_handle h, lio_msghdr* msg, int flags) {
  std::vector<WSABUF> bufs = Buffers(msg);
  WSAMSG m{};
  m.name = static_cast<LPSOCKADDR>(msg->name);
  m.namelen = msg->name ? static_cast<INT>(msg->namelen) : 0;
  m.lpBuffers = bufs.data();
  m.dwBufferCount = static_cast<DWORD>(bufs.size());
  m.Control.buf = static_cast<char*>(msg->control);
  m.Control.len = msg->control ? static_cast<ULONG>(msg->controllen) : 0;
  DWORD sent = 0;
  if (WSASendMsg(S(h), &m, static_cast<DWORD>(flags), &sent, nullptr, nullptr) != 0) return WsaError();
  return sent;
}

int64_t Recvmsg(lio_handle h, lio_msghdr* msg, int flags) {
  if (!WaitReadable(h)) return -LIO_ETIMEDOUT;
  std::vector<WSABUF> bufs = Buffers(msg);
  WSAMSG m{};
  m.name = static_cast<LPSOCKADDR>(msg->name);
  m.namelen = msg->name ? static_cast<INT>(msg->namelen) : 0;
  m.lpBuffers = bufs.data();
  m.dwBufferCount = static_cast<DWORD>(bufs.size());
  m.Control.buf = static_cast<char*>(msg->control);
  m.Control.len = msg->control ? static_cast<ULONG>(msg->controllen) : 0;
  m.dwFlags = static_cast<DWORD>(flags);
  LPFN_WSARECVMSG recv_msg = RecvMsgFunction(S(h));
  if (recv_msg == nullptr) return -LIO_EOPNOTSUPP;
  DWORD received = 0;
  int64_t result;
  bool truncated = false;
  if (recv_msg(S(h), &m, &received, nullptr, nullptr) == 0) {
    result = received;
  } else if (WSAGetLastError() == WSAEMSGSIZE) {
    // The buffers were filled with the start of a longer datagram.
    truncated = true;
    result = 0;
    for (const WSABUF& b : bufs) result += b.len;
  } else {
    return WsaError();
  }
  msg->namelen = msg->name ? static_cast<uint32_t>(m.namelen) : 0;
  msg->controllen = msg->control ? m.Control.len : 0;
  msg->flags = static_cast<int32_t>(m.dwFlags) | (truncated ? MSG_TRUNC : 0);
  return result;
}

int64_t Shutdown(lio_handle h, int how) {
  int native = how == 0 ? SD_RECEIVE : how == 1 ? SD_SEND : SD_BOTH;
  return shutdown(S(h), native) == 0 ? 0 : WsaError();
}

int64_t LocalAddress(lio_handle h, sockaddr_in* addr) {
  int len = sizeof *addr;
  return getsockname(S(h), reinterpret_cast<sockaddr*>(addr), &len) == 0 ? 0 : WsaError();
}

int64_t Poll(lio_handle h, uint32_t lio_events, std::chrono::milliseconds timeout) {
  // WSAPoll's bits are Windows' own (POLLRDNORM, POLLWRNORM, ...), mapped
  // here to the ABI's (Linux) values. A hang-up reads end-of-stream without
  // blocking, so it is readable too, as poll(2) reports it.
  WSAPOLLFD p{S(h), 0, 0};
  if (lio_events & LIO_POLL_IN) p.events |= POLLRDNORM;
  if (lio_events & LIO_POLL_OUT) p.events |= POLLWRNORM;
  int n = WSAPoll(&p, 1, static_cast<int>(timeout.count()));
  if (n < 0) return WsaError();
  if (n == 0) return 0;
  if (p.revents & POLLNVAL) return -LIO_EBADF;
  uint32_t ready = 0;
  if (p.revents & (POLLRDNORM | POLLRDBAND)) ready |= LIO_POLL_IN;
  if (p.revents & POLLWRNORM) ready |= LIO_POLL_OUT;
  if (p.revents & POLLERR) ready |= LIO_POLL_ERR;
  if (p.revents & POLLHUP) ready |= LIO_POLL_HUP | LIO_POLL_IN;
  return ready & (lio_events | LIO_POLL_ERR | LIO_POLL_HUP);
}

int MessageTruncatedFlag() { return MSG_TRUNC; }

// ---- processes -------------------------------------------------------------

std::filesystem::path SelfExecutable(const char* argv0) {
  wchar_t path[32768];
  DWORD n = GetModuleFileNameW(nullptr, path, 32768);
  if (n == 0 || n >= 32768) return std::filesystem::path(argv0);
  return std::filesystem::path(path);
}

ProcessExit RunProcess(const std::vector<std::string>& argv, const std::filesystem::path* stdout_path) {
  std::wstring command_line;
  for (const std::string& arg : argv) {
    if (!command_line.empty()) command_line += L' ';
    command_line += Quote(Wide(arg));
  }
  std::fflush(stdout);
  std::fflush(stderr);
  STARTUPINFOW startup{};
  startup.cb = sizeof startup;
  HANDLE out = nullptr;
  if (stdout_path != nullptr) {
    SECURITY_ATTRIBUTES inheritable{sizeof inheritable, nullptr, TRUE};
    out = CreateFileW(stdout_path->wstring().c_str(), GENERIC_WRITE, FILE_SHARE_READ, &inheritable, CREATE_ALWAYS,
                      FILE_ATTRIBUTE_NORMAL, nullptr);
    if (out == INVALID_HANDLE_VALUE) {
      return {true, static_cast<int>(GetLastError()), "cannot create " + stdout_path->string()};
    }
    startup.dwFlags = STARTF_USESTDHANDLES;
    startup.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
    startup.hStdOutput = out;
    startup.hStdError = GetStdHandle(STD_ERROR_HANDLE);
  }
  PROCESS_INFORMATION process{};
  std::wstring application = Wide(argv.empty() ? std::string() : argv[0]);
  BOOL started = CreateProcessW(application.c_str(), command_line.data(), nullptr, nullptr, TRUE, 0, nullptr,
                                nullptr, &startup, &process);
  DWORD start_error = GetLastError();
  if (out != nullptr) ::CloseHandle(out);
  if (!started) {
    return {true, static_cast<int>(start_error), "CreateProcess failed: error " + std::to_string(start_error)};
  }
  WaitForSingleObject(process.hProcess, INFINITE);
  DWORD code = 0;
  GetExitCodeProcess(process.hProcess, &code);
  ::CloseHandle(process.hThread);
  ::CloseHandle(process.hProcess);
  if (code >= 0xC0000000u) {  // an NTSTATUS: the process died of an exception
    char text[32];
    std::snprintf(text, sizeof text, "exception 0x%08lX", static_cast<unsigned long>(code));
    return {true, static_cast<int>(code), text};
  }
  return {false, static_cast<int>(code), "exit status " + std::to_string(code)};
}

lio_plugin_register_fn PluginRegisterFunction(const std::filesystem::path& path) {
  HMODULE library = GetModuleHandleW(path.wstring().c_str());
  if (library == nullptr) library = LoadLibraryExW(path.wstring().c_str(), nullptr, 0);
  if (library == nullptr) return nullptr;
  return reinterpret_cast<lio_plugin_register_fn>(
      reinterpret_cast<void*>(GetProcAddress(library, LIO_PLUGIN_REGISTER_SYMBOL)));
}

ResourceCounts CountResources() {
  ResourceCounts counts;
  DWORD handles = 0;
  if (GetProcessHandleCount(GetCurrentProcess(), &handles)) counts.handles = handles;
  HANDLE snapshot = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
  if (snapshot != INVALID_HANDLE_VALUE) {
    THREADENTRY32 entry;
    entry.dwSize = sizeof entry;
    int64_t threads = 0;
    DWORD self = GetCurrentProcessId();
    for (BOOL more = Thread32First(snapshot, &entry); more; more = Thread32Next(snapshot, &entry)) {
      threads += entry.th32OwnerProcessID == self;
    }
    ::CloseHandle(snapshot);
    counts.threads = threads;
  }
  return counts;
}

}  // namespace lio::testing::platform
