// The OS-specific helpers of the conformance suite: native handles for files
// and sockets, and the blocking system calls whose results the backend's
// completions are compared against.
//
// One implementation per OS family: platform_posix.cc here, a
// platform_windows.cc twin later. Everything else in lio/testing is portable
// C++ over this header. Results follow the plugin ABI: >= 0 success, or a
// negative LIO_E* code (Linux errno numbering on every OS).
//
// Calls that wait for a peer (accept, recv, recvmsg, poll) are bounded by
// kBlockingBound and answer -LIO_ETIMEDOUT past it, so a backend that never
// sends what it should fails a case instead of hanging it.
#ifndef LIO_TESTING_PLATFORM_H_
#define LIO_TESTING_PLATFORM_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "lio/core/plugin_abi.h"

#if defined(_WIN32)
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#endif

namespace lio::testing::platform {

inline constexpr std::chrono::seconds kBlockingBound{5};

// Once per process, before any test: ignore SIGPIPE (a send to a closed peer
// must be an -EPIPE result, not a dead test), start Winsock, ...
void InitProcess();

// ---- handles -------------------------------------------------------------
void CloseHandle(lio_handle h);
// Whether `h` is open on the file at `path` (not merely open: a closed
// handle's value may already name something another thread opened).
bool IsOpenOn(lio_handle h, const std::filesystem::path& path);
// A handle value that is certainly not open now and that the OS will not hand
// out again while the test runs.
lio_handle KnownClosedHandle();
// Whether a child process would inherit `h`: false = close-on-exec.
bool IsInheritable(lio_handle h);
// Whether calls on `h` block (false: O_NONBLOCK is set); nullopt where the OS
// cannot tell (Windows has no query for FIONBIO).
std::optional<bool> IsBlocking(lio_handle h);

// ---- files ---------------------------------------------------------------
enum class Access { kReadOnly, kWriteOnly, kReadWrite };
// An existing file, or LIO_INVALID_HANDLE.
lio_handle OpenFile(const std::filesystem::path& path, Access access);
// A handle to a directory usable as openat's `dir`, or LIO_INVALID_HANDLE
// when this OS has none.
lio_handle OpenDirectory(const std::filesystem::path& path);
int64_t PositionedRead(lio_handle h, void* buf, size_t len, int64_t offset);   // pread
int64_t PositionedWrite(lio_handle h, const void* buf, size_t len, int64_t offset);  // pwrite
int64_t Write(lio_handle h, const void* buf, size_t len);  // write at the file position
int64_t FilePosition(lio_handle h);                        // or -LIO_E*
int64_t Fsync(lio_handle h, bool data_only);
int64_t Close(lio_handle h);  // close(2) itself, for comparing results
// openat(2) with LIO_OPEN_* flags; `dir` may be LIO_AT_FDCWD.
int64_t Openat(lio_handle dir, const char* path, uint32_t lio_open_flags, uint32_t mode);

// ---- 1.1 file-system ops ([result.as_blocking_call]) ----------------------
// The blocking call a FTRUNCATE, LINKAT, SYMLINKAT, RENAMEAT, UNLINKAT,
// MKDIRAT, STATX, FALLOCATE or FADVISE op stands for, made here on the same
// arguments: its result (0 or -LIO_E*). nullopt where this OS has no such
// call to compare with (Windows, macOS): cases then hold the backend to the
// Linux answer they state.
std::optional<int64_t> FsCall(const lio_op& op);
// A writable directory on another file system than `than` (for EXDEV), or
// nullopt when there is none to be found.
std::optional<std::filesystem::path> DirectoryOnAnotherFilesystem(const std::filesystem::path& than);

// ---- sockets -------------------------------------------------------------
int64_t Socket(int domain, int type, int protocol);
int64_t Bind(lio_handle h, const sockaddr* addr, uint32_t addrlen);
int64_t Listen(lio_handle h);
int64_t Connect(lio_handle h, const sockaddr* addr, uint32_t addrlen);
int64_t Accept(lio_handle h, sockaddr* addr, uint32_t* addrlen);  // bounded
int64_t Send(lio_handle h, const void* buf, size_t len, int flags);
int64_t Recv(lio_handle h, void* buf, size_t len, int flags);  // bounded
int64_t Sendmsg(lio_handle h, lio_msghdr* msg, int flags);
int64_t Recvmsg(lio_handle h, lio_msghdr* msg, int flags);  // bounded
int64_t Shutdown(lio_handle h, int how);                    // 0 read, 1 write, 2 both
// The bound local address of `h` into *addr (IPv4).
int64_t LocalAddress(lio_handle h, sockaddr_in* addr);
// Ready LIO_POLL_* events of `h` within `timeout` (0 when none are).
int64_t Poll(lio_handle h, uint32_t lio_events, std::chrono::milliseconds timeout);

// MSG_TRUNC in lio_msghdr::flags after a truncated datagram.
int MessageTruncatedFlag();

// ---- what the process holds (destroy.releases_everything) -----------------
// Counts of what a backend's create may make; -1 where the OS cannot say.
// POSIX (Linux): entries of /proc/self/fd and /proc/self/task, and the named
// mappings of /proc/self/maps (files, kernel objects such as an io_uring
// ring; not anonymous memory, which the allocator keeps and reuses at will).
// Windows: GetProcessHandleCount, the process's threads (a Toolhelp
// snapshot), no mapping count; under Wine the handle count is Wine's own
// bookkeeping and may be approximate.
struct ResourceCounts {
  int64_t handles = -1;
  int64_t threads = -1;
  int64_t mappings = -1;
  friend bool operator==(const ResourceCounts&, const ResourceCounts&) = default;
};
ResourceCounts CountResources();

// ---- processes (the runner's --lio_isolate) --------------------------------
// This program's own executable (`argv0` when the OS cannot say).
std::filesystem::path SelfExecutable(const char* argv0);

// The lio_plugin_register of the plugin file at `path`, which the registry
// has already loaded (so this takes a reference to the same library and
// runs no initializer twice); nullptr if it cannot be found. The reference
// is held until the process exits.
lio_plugin_register_fn PluginRegisterFunction(const std::filesystem::path& path);

struct ProcessExit {
  bool crashed = false;  // killed by a signal / an unhandled exception
  int code = 0;          // the exit status, or the signal / exception code
  std::string description;  // "exit status 1", "signal 11 (Segmentation fault)"
};
// Runs `argv` (argv[0] a path) and waits for it; its stdout goes to
// `stdout_path` when given, else to ours.
ProcessExit RunProcess(const std::vector<std::string>& argv, const std::filesystem::path* stdout_path = nullptr);

}  // namespace lio::testing::platform

#endif  // LIO_TESTING_PLATFORM_H_
