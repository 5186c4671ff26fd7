// The iocp backend: Windows I/O completion ports.
//
// Every operation becomes one of four things:
//   - overlapped I/O on the caller's handle, whose completion packet the
//     port delivers: ReadFile/WriteFile (read, write, and readv/writev on
//     files, one segment after another), WSARecv/WSASend (recv, send, and
//     readv/writev on sockets), WSARecvMsg/WSASendMsg (recvmsg, sendmsg on
//     datagram sockets), AcceptEx, ConnectEx, and the AFD poll request (poll,
//     see afd.h);
//   - a packet posted to the port with PostQueuedCompletionStatus (nop, and
//     wake, which completes nothing);
//   - a job for the worker threads, which post their own packet when done:
//     openat -> CreateFileW and fsync -> FlushFileBuffers (Windows has no
//     overlapped form of either), and read/write/readv/writev on a handle
//     opened without FILE_FLAG_OVERLAPPED (stdin, a file from fopen), whose
//     calls would otherwise block this thread and post no packet. Cancel
//     interrupts a job in its call with CancelSynchronousIo. Sockets made
//     without WSA_FLAG_OVERLAPPED (socket() and lio's socket op never make
//     such) are refused with -EOPNOTSUPP;
//   - a call made at once because it never blocks (close, socket, shutdown,
//     connect of a datagram socket), or a timer in a heap whose nearest
//     deadline bounds GetQueuedCompletionStatusEx.
//
// Everything an operation needs — its OVERLAPPED, WSABUF array, WSAMSG,
// AcceptEx address buffer, AFD poll block — lives in its slot of a table made
// in create for `capacity` operations, so push, flush, wait and cancel
// allocate nothing. A completion packet's OVERLAPPED pointer leads back to
// its slot; a pointer outside the table (someone else's I/O on a handle bound
// to this port) is ignored.
//
// Rules of the completion port this code relies on: a handle is bound to one
// port for life (CreateIoCompletionPort, done before each op; a handle already
// bound to this port answers ERROR_INVALID_PARAMETER, which is fine; one bound
// to another port never completes here — use a handle with one iocp instance);
// an overlapped call that returns success or ERROR_IO_PENDING queues exactly
// one packet, as does one that fails with a warning (ERROR_MORE_DATA,
// WSAEMSGSIZE on a receive: the datagram was truncated); one that fails
// otherwise queues none. The plugin never sets
// FILE_SKIP_COMPLETION_PORT_ON_SUCCESS (that would change the caller's handle).
//
// Cancel is CancelIoEx on the op's own OVERLAPPED; the op then completes
// with ERROR_OPERATION_ABORTED (-ECANCELED) or, if it won the race, its real
// result — exactly once either way, since a packet is reaped once. destroy
// cancels everything in flight and reaps every packet before the table is
// freed, so the OS never writes into freed memory.
//
// Options ("key=value,..."): workers=N (1..64, default 2), the threads that
// run openat and fsync.
// (std::min)(...) below: <windows.h> may define min/max macros (MSVC does
// unless NOMINMAX).
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <windows.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>
#include <vector>

#include "lio/core/plugin_abi.h"
#include "lio/plugins/common/op_table.h"
#include "lio/plugins/common/options.h"
#include "lio/plugins/common/timer_heap.h"
#include "lio/plugins/iocp/afd.h"
#include "lio/plugins/iocp/blocking_ops.h"
#include "lio/plugins/iocp/errno_map.h"
#include "lio/plugins/iocp/worker.h"

namespace lio::iocp {
namespace {

// ---- constants -------------------------------------------------------------

// Completion keys. Handles are bound with kIoKey; the posted packets carry
// their own, so a wake (no OVERLAPPED) is told from everything else.
constexpr ULONG_PTR kIoKey = 0;
constexpr ULONG_PTR kNopKey = 1;
constexpr ULONG_PTR kWorkerKey = 2;
constexpr ULONG_PTR kWakeKey = 3;

// WSABUFs per socket call. A readv/recvmsg with more buffers receives into
// the first kMaxBufs (a short read, which POSIX allows); a writev/send over a
// stream sends the rest in further calls; a sendmsg of a datagram with more
// is -EMSGSIZE.
constexpr uint32_t kMaxBufs = 16;
// Linux's IOV_MAX: readv/writev with more buffers are -EINVAL there too.
constexpr uint32_t kIovMax = 1024;
// Bytes per ReadFile/WriteFile/WSABUF (DWORD/ULONG lengths).
constexpr uint64_t kMaxChunk = 1u << 30;
constexpr uint32_t kDefaultWorkers = 2;
constexpr uint32_t kMaxWorkers = 64;

constexpr uint64_t kCapabilities = LIO_CAP_ALL_OPS;

// ---- clock -----------------------------------------------------------------

// Nanoseconds on QueryPerformanceCounter's clock — what std::chrono::
// steady_clock reads with both MSVC and MinGW — rounded down, so a timer
// never fires before the caller's clock reaches its deadline.
class SteadyClock {
 public:
  SteadyClock() {
    LARGE_INTEGER f;
    QueryPerformanceFrequency(&f);
    frequency_ = f.QuadPart;
  }
  int64_t now() const {
    LARGE_INTEGER c;
    QueryPerformanceCounter(&c);
    int64_t whole = c.QuadPart / frequency_;
    int64_t part = c.QuadPart % frequency_;
    return whole * 1'000'000'000 + part * 1'000'000'000 / frequency_;
  }

 private:
  int64_t frequency_ = 1;
};

int64_t SaturatingAdd(int64_t a, int64_t b) {
  if (b > 0 && a > INT64_MAX - b) return INT64_MAX;
  return a + b;
}

// A wait of `ns` in GetQueuedCompletionStatusEx's milliseconds, rounded up
// so the wait never ends before `ns`.
DWORD CeilMs(int64_t ns) {
  if (ns <= 0) return 0;
  int64_t ms = (ns + 999'999) / 1'000'000;
  return ms >= INFINITE ? INFINITE - 1 : static_cast<DWORD>(ms);
}

// ---- Winsock extension functions --------------------------------------------

struct SocketFunctions {
  LPFN_ACCEPTEX accept_ex = nullptr;
  LPFN_GETACCEPTEXSOCKADDRS get_accept_ex_sockaddrs = nullptr;
  LPFN_CONNECTEX connect_ex = nullptr;
  LPFN_WSARECVMSG recv_msg = nullptr;
  LPFN_WSASENDMSG send_msg = nullptr;
};

template <class Fn>
bool LoadExtension(SOCKET s, GUID guid, Fn* fn) {
  DWORD bytes = 0;
  return WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &guid, sizeof guid, fn, sizeof *fn, &bytes, nullptr,
                  nullptr) == 0;
}

// 0, or the Winsock error that makes sockets unusable here.
int64_t LoadSocketFunctions(SocketFunctions* f) {
  for (int family : {AF_INET, AF_INET6}) {
    SOCKET stream = WSASocketW(family, SOCK_STREAM, IPPROTO_TCP, nullptr, 0, WSA_FLAG_OVERLAPPED);
    SOCKET dgram = WSASocketW(family, SOCK_DGRAM, IPPROTO_UDP, nullptr, 0, WSA_FLAG_OVERLAPPED);
    bool ok = stream != INVALID_SOCKET && dgram != INVALID_SOCKET &&
              LoadExtension(stream, WSAID_ACCEPTEX, &f->accept_ex) &&
              LoadExtension(stream, WSAID_GETACCEPTEXSOCKADDRS, &f->get_accept_ex_sockaddrs) &&
              LoadExtension(stream, WSAID_CONNECTEX, &f->connect_ex) &&
              LoadExtension(dgram, WSAID_WSARECVMSG, &f->recv_msg) &&
              LoadExtension(dgram, WSAID_WSASENDMSG, &f->send_msg);
    int error = WSAGetLastError();
    if (stream != INVALID_SOCKET) closesocket(stream);
    if (dgram != INVALID_SOCKET) closesocket(dgram);
    if (ok) return 0;
    if (family == AF_INET6) return ErrorResult(error);
  }
  return -LIO_EIO;
}

// A new overlapped socket that child processes do not inherit.
SOCKET NewSocket(int family, int type, int protocol) {
  SOCKET s = WSASocketW(family, type, protocol, nullptr, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (s == INVALID_SOCKET && WSAGetLastError() == WSAEINVAL) {
    // Windows before 7 SP1 does not know WSA_FLAG_NO_HANDLE_INHERIT.
    s = WSASocketW(family, type, protocol, nullptr, 0, WSA_FLAG_OVERLAPPED);
    if (s != INVALID_SOCKET) SetHandleInformation(reinterpret_cast<HANDLE>(s), HANDLE_FLAG_INHERIT, 0);
  }
  return s;
}

int SocketType(SOCKET s, int* type) {
  int len = sizeof *type;
  if (getsockopt(s, SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(type), &len) != 0) return WSAGetLastError();
  return 0;
}

// Whether `h` was opened for synchronous I/O (no FILE_FLAG_OVERLAPPED, or a
// socket made without WSA_FLAG_OVERLAPPED). Such a handle ignores an
// OVERLAPPED's promise of asynchrony: the call blocks and no completion
// packet may follow, so the backend must not treat it as overlapped. Asked
// with NtQueryInformationFile(FileModeInformation), documented in the WDK.
bool Synchronous(HANDLE h) {
  using QueryFn = LONG(NTAPI*)(HANDLE, void* io_status, void* info, ULONG length, ULONG info_class);
  static const QueryFn query =
      reinterpret_cast<QueryFn>(GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "NtQueryInformationFile"));
  constexpr ULONG kFileModeInformation = 16;
  constexpr ULONG kSynchronousIo = 0x00000010 | 0x00000020;  // FILE_SYNCHRONOUS_IO_ALERT | _NONALERT
  if (query == nullptr) return false;
  struct {
    LONG_PTR status;
    ULONG_PTR information;
  } io_status{};
  ULONG mode = 0;
  if (query(h, &io_status, &mode, sizeof mode, kFileModeInformation) < 0) return false;  // let the op report it
  return (mode & kSynchronousIo) != 0;
}

// Closes a handle this backend created (openat, socket, accept) and will not
// deliver.
void CloseCreated(uint32_t code, int64_t handle) {
  if (handle < 0) return;
  if (code == LIO_OP_OPENAT) {
    CloseHandle(reinterpret_cast<HANDLE>(static_cast<intptr_t>(handle)));
  } else {
    closesocket(static_cast<SOCKET>(handle));
  }
}

// ---- the per-operation record ------------------------------------------------

enum class State : uint8_t {
  kFree,
  kQueued,  // pushed, not flushed
  kIssued,  // overlapped I/O in the OS: a packet will come
  kPosted,  // nop: its packet is in the port
  kWorker,  // with the worker threads: a packet will come
  kTimer,   // in the timer heap
  kDone,    // result known, waiting in done_ for wait() to return it
};

// What an issued op does when its packet arrives.
enum class Io : uint8_t {
  kFileRead,    // ReadFile, one chunk at a time
  kFileWrite,   // WriteFile, one chunk at a time
  kSocketRecv,  // WSARecv
  kSocketSend,  // WSASend, more calls while data remains
  kRecvMsg,     // WSARecvMsg
  kSendMsg,     // WSASendMsg
  kAccept,      // AcceptEx
  kConnect,     // ConnectEx
  kPoll,        // IOCTL_AFD_POLL
};

constexpr DWORD kAcceptAddressSize = sizeof(sockaddr_storage) + 16;

struct Record {
  OVERLAPPED ov;
  State state;
  Io io;
  bool cancel_requested;
  bool chain;            // issue the next chunk after a full one
  bool update_position;  // LIO_OFFSET_CURRENT: move the file pointer at the end
  bool use_file_pointer; // a synchronous handle at LIO_OFFSET_CURRENT: no OVERLAPPED
  uint32_t code;
  uint32_t flags;
  lio_handle handle;
  HANDLE io_handle;  // what the overlapped call was made on (CancelIoEx)
  decltype(lio_op::u) u;
  int64_t result;
  std::atomic<bool> worker_cancel;

  // Transfers: the buffers and how far they are done.
  lio_iovec single;
  const lio_iovec* iov;
  uint32_t iovcnt;
  uint32_t seg;          // cursor: segment...
  uint64_t seg_offset;   // ...and offset in it
  uint64_t done;         // bytes transferred so far
  uint64_t requested;    // bytes the call in the OS asked for
  int64_t base_offset;   // file offset of the first byte, or -1 (not seekable)
  DWORD wsa_flags;

  SOCKET accept_socket;
  union Scratch {
    WSABUF bufs[kMaxBufs];
    struct {
      WSAMSG msg;
      WSABUF bufs[kMaxBufs];
    } m;
    char accept_addresses[2 * kAcceptAddressSize];
    afd::PollInfo poll;
  } scratch;
};

}  // namespace
}  // namespace lio::iocp

using lio::iocp::Record;
using lio::iocp::State;
using lio::iocp::Io;

struct lio_backend {
  HANDLE port = nullptr;
  bool wsa_started = false;
  lio::iocp::SocketFunctions sockets;
  lio::iocp::SteadyClock clock;
  lio::iocp::Worker worker;

  struct Unit {};
  lio::plugin::OpTable<Unit> table;
  std::unique_ptr<Record[]> records;
  uint32_t capacity = 0;
  std::vector<uint32_t> queued;        // pushed, not flushed, in push order
  std::vector<uint32_t> done;          // results known, not yet returned
  std::vector<lio_completion> out;     // the batch wait returned
  std::vector<OVERLAPPED_ENTRY> entries;
  lio::plugin::TimerHeap timers;
  uint32_t in_os = 0;                  // records whose packet will come
  std::atomic<bool> wake_pending{false};

  // ---- the slot of an OVERLAPPED ----
  uint32_t SlotOf(const OVERLAPPED* ov) const {
    auto p = reinterpret_cast<uintptr_t>(ov);
    auto base = reinterpret_cast<uintptr_t>(&records[0]);
    if (p < base) return UINT32_MAX;
    uintptr_t offset = p - base;
    if (offset % sizeof(Record) != offsetof(Record, ov)) return UINT32_MAX;
    uintptr_t slot = offset / sizeof(Record);
    return slot < capacity ? static_cast<uint32_t>(slot) : UINT32_MAX;
  }

  void Finish(uint32_t s, int64_t result) {
    Record& r = records[s];
    r.state = State::kDone;
    r.result = result;
    done.push_back(s);
  }

  void Bind(HANDLE h) {
    // Fails harmlessly when `h` is already bound (or is no handle at all:
    // the operation itself then reports that).
    CreateIoCompletionPort(h, port, lio::iocp::kIoKey, 0);
  }

  void Start(uint32_t s);
  void StartOnWorker(uint32_t s);
  void StartTransfer(uint32_t s);
  void IssueTransfer(uint32_t s);
  void StartAccept(uint32_t s);
  void StartConnect(uint32_t s);
  void StartMessage(uint32_t s);
  void StartPoll(uint32_t s);
  void OnPacket(const OVERLAPPED_ENTRY& entry, bool* woken);
  void OnIoDone(uint32_t s, DWORD bytes, DWORD error);
  void EndTransfer(uint32_t s, int64_t error_result);
  void Issued(uint32_t s) {
    records[s].state = State::kIssued;
    ++in_os;
  }
  void DrainDone();
  void ExpireTimers(int64_t now);
  void Teardown();
};

namespace lio::iocp {
namespace {

// ---- results of overlapped calls ----------------------------------------------

// Whether an overlapped call that returned failure with `error` still
// queues a packet (a warning status, not an error).
bool QueuesPacket(DWORD error, Io io) {
  if (error == ERROR_IO_PENDING) return true;  // == WSA_IO_PENDING
  bool receives = io == Io::kFileRead || io == Io::kSocketRecv || io == Io::kRecvMsg;
  return receives && (error == ERROR_MORE_DATA || error == WSAEMSGSIZE);
}

bool Receives(Io io) { return io == Io::kFileRead || io == Io::kSocketRecv || io == Io::kRecvMsg; }

// The error of a completed overlapped op, as Win32/Winsock reports it.
DWORD CompletedError(const Record& r, DWORD* bytes) {
  OVERLAPPED* ov = const_cast<OVERLAPPED*>(&r.ov);
  bool socket_call = r.io != Io::kFileRead && r.io != Io::kFileWrite;
  if (socket_call) {
    DWORD flags = 0;
    if (WSAGetOverlappedResult(reinterpret_cast<SOCKET>(r.io_handle), ov, bytes, FALSE, &flags)) return 0;
    DWORD error = WSAGetLastError();
    // Winsock maps the status only while the socket exists; if the caller
    // closed it meanwhile, take the generic translation.
    if (error != WSAENOTSOCK) return error;
  }
  if (GetOverlappedResult(r.io_handle, ov, bytes, FALSE)) return 0;
  return GetLastError();
}

// Advances a transfer's cursor by `n` bytes.
void Advance(Record& r, uint64_t n) {
  r.done += n;
  while (n > 0 && r.seg < r.iovcnt) {
    uint64_t left = r.iov[r.seg].len - r.seg_offset;
    if (n < left) {
      r.seg_offset += n;
      return;
    }
    n -= left;
    ++r.seg;
    r.seg_offset = 0;
  }
  while (r.seg < r.iovcnt && r.iov[r.seg].len == r.seg_offset) {
    ++r.seg;
    r.seg_offset = 0;
  }
}

bool AtEnd(const Record& r) { return r.seg >= r.iovcnt; }

// Fills `bufs` from the cursor: up to kMaxBufs pieces, each at most
// kMaxChunk, stopping after a piece that had to be cut. Returns the count
// and the total in *total.
uint32_t FillBufs(const Record& r, WSABUF* bufs, uint64_t* total) {
  uint32_t n = 0;
  *total = 0;
  uint64_t offset = r.seg_offset;
  for (uint32_t i = r.seg; i < r.iovcnt && n < kMaxBufs; ++i, offset = 0) {
    uint64_t len = r.iov[i].len - offset;
    if (len == 0) continue;
    bool cut = len > kMaxChunk;
    if (cut) len = kMaxChunk;
    bufs[n].buf = static_cast<char*>(r.iov[i].base) + offset;
    bufs[n].len = static_cast<ULONG>(len);
    *total += len;
    ++n;
    if (cut) break;
  }
  return n;
}

int64_t TotalLength(const lio_iovec* iov, uint32_t iovcnt) {
  uint64_t total = 0;
  for (uint32_t i = 0; i < iovcnt; ++i) total += iov[i].len;
  return static_cast<int64_t>(total);
}

// A read or write on a synchronous handle, run on a worker thread: blocking
// ReadFile/WriteFile calls from the transfer's cursor, chunk after chunk while
// the record says to go on. At LIO_OFFSET_CURRENT the calls take no
// OVERLAPPED, so the OS uses and advances the file pointer as read(2) does;
// at an offset they take one (its event's low bit set: no completion
// packet) and the file pointer, which Windows moves for synchronous handles,
// is put back, as pread(2) leaves it. CancelSynchronousIo ends a call early.
int64_t BlockingTransfer(Record& r, WorkerThreadScratch& scratch) {
  HANDLE h = r.io_handle;
  bool reads = r.io == Io::kFileRead;
  LARGE_INTEGER saved{};
  bool restore = !r.use_file_pointer && r.base_offset >= 0 && SetFilePointerEx(h, LARGE_INTEGER{}, &saved, FILE_CURRENT);
  DWORD error = 0;
  for (;;) {
    if (r.worker_cancel.load(std::memory_order_acquire)) {
      error = ERROR_OPERATION_ABORTED;
      break;
    }
    void* buf = nullptr;
    uint64_t len = 0;
    if (!AtEnd(r)) {
      buf = static_cast<char*>(r.iov[r.seg].base) + r.seg_offset;
      len = (std::min<uint64_t>)(r.iov[r.seg].len - r.seg_offset, kMaxChunk);
    }
    DWORD n = 0;
    BOOL ok;
    if (r.use_file_pointer) {
      ok = reads ? ReadFile(h, buf, static_cast<DWORD>(len), &n, nullptr)
                 : WriteFile(h, buf, static_cast<DWORD>(len), &n, nullptr);
    } else {
      OVERLAPPED ov{};
      if (r.base_offset >= 0) {
        uint64_t at = static_cast<uint64_t>(r.base_offset) + r.done;
        ov.Offset = static_cast<DWORD>(at);
        ov.OffsetHigh = static_cast<DWORD>(at >> 32);
      }
      ResetEvent(scratch.event);
      ov.hEvent = reinterpret_cast<HANDLE>(reinterpret_cast<uintptr_t>(scratch.event) | 1);
      ok = reads ? ReadFile(h, buf, static_cast<DWORD>(len), nullptr, &ov)
                 : WriteFile(h, buf, static_cast<DWORD>(len), nullptr, &ov);
      if (ok || GetLastError() == ERROR_IO_PENDING) ok = GetOverlappedResult(h, &ov, &n, TRUE);
    }
    if (!ok) {
      error = GetLastError();
      if (!(reads && error == ERROR_MORE_DATA)) break;
      error = 0;  // a message longer than the buffer: these bytes are the read
    }
    Advance(r, n);
    if (!r.chain || n == 0 || n < len || AtEnd(r)) break;
  }
  if (restore) SetFilePointerEx(h, saved, nullptr, FILE_BEGIN);
  if (r.done > 0) return static_cast<int64_t>(r.done);
  return reads ? ReadErrorResult(error) : ErrorResult(error);
}

// Runs a worker job on a worker thread.
void RunJob(void* context, OVERLAPPED* job, WorkerThreadScratch& scratch) {
  lio_backend* b = static_cast<lio_backend*>(context);
  Record& r = b->records[b->SlotOf(job)];
  if (r.worker_cancel.load(std::memory_order_acquire)) {
    r.result = -LIO_ECANCELED;
  } else if (r.code == LIO_OP_OPENAT) {
    r.result = OpenAt(r.handle, r.u.open.path, r.u.open.flags, r.u.open.mode, scratch.paths);
  } else if (r.code == LIO_OP_FSYNC) {
    r.result = Fsync(r.handle, (r.flags & LIO_FSYNC_DATASYNC) != 0);
  } else {
    r.result = BlockingTransfer(r, scratch);
  }
}

}  // namespace
}  // namespace lio::iocp

namespace iocp = lio::iocp;

// ---- starting operations ------------------------------------------------------

void lio_backend::Start(uint32_t s) {
  Record& r = records[s];
  HANDLE h = reinterpret_cast<HANDLE>(r.handle);
  SOCKET sock = static_cast<SOCKET>(r.handle);
  // Negative values are no handles (POSIX: EBADF) — and on Windows -1, -2,
  // ... are pseudo-handles of this process and thread, never to be closed
  // or read. openat checks its own `dir` (LIO_AT_FDCWD is negative).
  bool takes_handle = r.code != LIO_OP_NOP && r.code != LIO_OP_SOCKET && r.code != LIO_OP_TIMEOUT &&
                      r.code != LIO_OP_OPENAT;
  if (takes_handle && r.handle < 0) {
    Finish(s, -LIO_EBADF);
    return;
  }
  switch (r.code) {
    case LIO_OP_NOP:
      r.state = State::kPosted;
      if (!PostQueuedCompletionStatus(port, 0, iocp::kNopKey, &r.ov)) {
        Finish(s, iocp::ErrorResult(GetLastError()));
        return;
      }
      ++in_os;
      return;

    case LIO_OP_READ:
    case LIO_OP_WRITE:
    case LIO_OP_READV:
    case LIO_OP_WRITEV:
    case LIO_OP_SEND:
    case LIO_OP_RECV:
      StartTransfer(s);
      return;

    case LIO_OP_SENDMSG:
    case LIO_OP_RECVMSG:
      StartMessage(s);
      return;

    case LIO_OP_FSYNC:
    case LIO_OP_OPENAT:
      StartOnWorker(s);
      return;

    case LIO_OP_CLOSE: {
      // A socket must be closed by closesocket; anything else by CloseHandle.
      if (closesocket(sock) == 0) {
        Finish(s, 0);
      } else if (WSAGetLastError() != WSAENOTSOCK) {
        Finish(s, iocp::ErrorResult(WSAGetLastError()));
      } else {
        Finish(s, CloseHandle(h) ? 0 : iocp::ErrorResult(GetLastError()));
      }
      return;
    }

    case LIO_OP_SOCKET: {
      SOCKET created = iocp::NewSocket(r.u.socket.domain, r.u.socket.type, r.u.socket.protocol);
      Finish(s, created == INVALID_SOCKET ? iocp::ErrorResult(WSAGetLastError()) : static_cast<int64_t>(created));
      return;
    }

    case LIO_OP_ACCEPT:
      StartAccept(s);
      return;

    case LIO_OP_CONNECT:
      StartConnect(s);
      return;

    case LIO_OP_SHUTDOWN: {
      int how = r.u.shutdown.how;
      if (how < 0 || how > 2) {
        Finish(s, -LIO_EINVAL);
        return;
      }
      int native = how == 0 ? SD_RECEIVE : how == 1 ? SD_SEND : SD_BOTH;
      Finish(s, shutdown(sock, native) == 0 ? 0 : iocp::ErrorResult(WSAGetLastError()));
      return;
    }

    case LIO_OP_TIMEOUT: {
      int64_t deadline;
      if (r.flags & LIO_TIMEOUT_ABSOLUTE) {
        deadline = r.u.timeout.ns;
      } else if (r.u.timeout.ns < 0) {
        Finish(s, -LIO_EINVAL);
        return;
      } else {
        deadline = iocp::SaturatingAdd(clock.now(), r.u.timeout.ns);
      }
      r.state = State::kTimer;
      timers.push(s, deadline);
      return;
    }

    case LIO_OP_POLL:
      StartPoll(s);
      return;

    default:
      Finish(s, -LIO_EINVAL);
      return;
  }
}

void lio_backend::StartOnWorker(uint32_t s) {
  Record& r = records[s];
  r.state = State::kWorker;
  r.worker_cancel.store(false, std::memory_order_relaxed);
  int rc = worker.Post(&r.ov);
  if (rc < 0) {
    Finish(s, rc);
    return;
  }
  ++in_os;
}

void lio_backend::StartTransfer(uint32_t s) {
  Record& r = records[s];
  HANDLE h = reinterpret_cast<HANDLE>(r.handle);
  bool vectored = r.code == LIO_OP_READV || r.code == LIO_OP_WRITEV;
  bool reads = r.code == LIO_OP_READ || r.code == LIO_OP_READV || r.code == LIO_OP_RECV;
  int64_t offset = LIO_OFFSET_CURRENT;
  if (vectored) {
    r.iov = r.u.rwv.iov;
    r.iovcnt = r.u.rwv.iovcnt;
    offset = r.u.rwv.offset;
    if (r.iovcnt > iocp::kIovMax || (r.iov == nullptr && r.iovcnt > 0)) {
      Finish(s, -LIO_EINVAL);
      return;
    }
  } else if (r.code == LIO_OP_READ || r.code == LIO_OP_WRITE) {
    r.single = {r.u.rw.buf, static_cast<size_t>(r.u.rw.len)};
    r.iov = &r.single;
    r.iovcnt = 1;
    offset = r.u.rw.offset;
  } else {  // SEND, RECV
    r.single = {r.u.sr.buf, static_cast<size_t>(r.u.sr.len)};
    r.iov = &r.single;
    r.iovcnt = 1;
  }
  if (offset < LIO_OFFSET_CURRENT) {
    Finish(s, -LIO_EINVAL);
    return;
  }

  // Which call: sockets take WSARecv/WSASend; read/write use ReadFile/
  // WriteFile on any handle; readv/writev look at what the handle is.
  bool socket_io = r.code == LIO_OP_SEND || r.code == LIO_OP_RECV;
  bool disk = false;
  if (vectored) {
    SetLastError(NO_ERROR);
    DWORD type = GetFileType(h);
    if (type == FILE_TYPE_UNKNOWN && GetLastError() != NO_ERROR) {
      Finish(s, iocp::ErrorResult(GetLastError()));
      return;
    }
    disk = type == FILE_TYPE_DISK;
    int socket_type = 0;
    socket_io = type == FILE_TYPE_PIPE && iocp::SocketType(static_cast<SOCKET>(r.handle), &socket_type) == 0;
  }
  if (socket_io && iocp::Synchronous(h)) {
    Finish(s, -LIO_EOPNOTSUPP);  // made without WSA_FLAG_OVERLAPPED: it cannot do overlapped I/O
    return;
  }
  if (socket_io) {
    r.io = reads ? Io::kSocketRecv : Io::kSocketSend;
    r.chain = !reads;  // a send finishes what it was given; a recv takes what is there
    r.wsa_flags = r.code == LIO_OP_SEND || r.code == LIO_OP_RECV ? static_cast<DWORD>(r.u.sr.flags) : 0;
    r.base_offset = -1;
  } else {
    r.io = reads ? Io::kFileRead : Io::kFileWrite;
    // A file reads on past a full chunk; a pipe or device returns what it has.
    r.chain = !reads || (vectored && disk);
    r.base_offset = offset;
    if (iocp::Synchronous(h)) {
      // Opened without FILE_FLAG_OVERLAPPED: the calls would block this
      // thread, so a worker makes them.
      r.io_handle = h;
      r.use_file_pointer = offset == LIO_OFFSET_CURRENT;
      iocp::Advance(r, 0);
      r.done = 0;
      StartOnWorker(s);
      return;
    }
    if (offset == LIO_OFFSET_CURRENT) {
      // Overlapped I/O names its offset: start at the file pointer and move
      // it past the bytes done, as read(2)/write(2) do. Not seekable (a pipe,
      // a socket): offset 0, which such handles ignore.
      LARGE_INTEGER zero{}, position{};
      if (SetFilePointerEx(h, zero, &position, FILE_CURRENT)) {
        r.base_offset = position.QuadPart;
        r.update_position = true;
      } else {
        r.base_offset = -1;
      }
    }
  }
  r.io_handle = h;
  Bind(h);
  // Skip leading empty buffers (a cursor always rests on a non-empty one).
  iocp::Advance(r, 0);
  r.done = 0;
  IssueTransfer(s);
}

// Issues the next call of a transfer from its cursor.
void lio_backend::IssueTransfer(uint32_t s) {
  Record& r = records[s];
  std::memset(&r.ov, 0, sizeof r.ov);
  BOOL ok;
  DWORD error = 0;
  if (r.io == Io::kFileRead || r.io == Io::kFileWrite) {
    void* buf = nullptr;
    uint64_t len = 0;
    if (!iocp::AtEnd(r)) {
      buf = static_cast<char*>(r.iov[r.seg].base) + r.seg_offset;
      len = (std::min<uint64_t>)(r.iov[r.seg].len - r.seg_offset, iocp::kMaxChunk);
    }
    r.requested = len;
    if (r.base_offset >= 0) {
      uint64_t at = static_cast<uint64_t>(r.base_offset) + r.done;
      r.ov.Offset = static_cast<DWORD>(at);
      r.ov.OffsetHigh = static_cast<DWORD>(at >> 32);
    }
    ok = r.io == Io::kFileRead ? ReadFile(r.io_handle, buf, static_cast<DWORD>(len), nullptr, &r.ov)
                               : WriteFile(r.io_handle, buf, static_cast<DWORD>(len), nullptr, &r.ov);
    if (!ok) error = GetLastError();
  } else {
    uint64_t total = 0;
    uint32_t n = iocp::FillBufs(r, r.scratch.bufs, &total);
    WSABUF empty{0, nullptr};
    WSABUF* bufs = n > 0 ? r.scratch.bufs : &empty;
    r.requested = total;
    SOCKET sock = reinterpret_cast<SOCKET>(r.io_handle);
    int rc;
    if (r.io == Io::kSocketRecv) {
      DWORD flags = r.wsa_flags;
      rc = WSARecv(sock, bufs, n > 0 ? n : 1, nullptr, &flags, &r.ov, nullptr);
    } else {
      rc = WSASend(sock, bufs, n > 0 ? n : 1, nullptr, r.wsa_flags, &r.ov, nullptr);
    }
    ok = rc == 0;
    if (!ok) error = WSAGetLastError();
  }
  if (ok || iocp::QueuesPacket(error, r.io)) {
    Issued(s);
  } else {
    EndTransfer(s, iocp::Receives(r.io) ? iocp::ReadErrorResult(error) : iocp::ErrorResult(error));
  }
}

// Ends a transfer: bytes done if any (a partial result, as POSIX gives when
// an error follows some progress), else `error_result`.
void lio_backend::EndTransfer(uint32_t s, int64_t error_result) {
  Record& r = records[s];
  int64_t result = r.done > 0 ? static_cast<int64_t>(r.done) : error_result;
  if (r.update_position && r.done > 0) {
    LARGE_INTEGER to;
    to.QuadPart = r.base_offset + static_cast<int64_t>(r.done);
    SetFilePointerEx(r.io_handle, to, nullptr, FILE_BEGIN);
  }
  Finish(s, result);
}

void lio_backend::StartMessage(uint32_t s) {
  Record& r = records[s];
  SOCKET sock = static_cast<SOCKET>(r.handle);
  lio_msghdr* msg = r.u.msg.msg;
  if (msg == nullptr || (msg->iov == nullptr && msg->iovcnt > 0)) {
    Finish(s, -LIO_EFAULT);
    return;
  }
  if (msg->iovcnt > iocp::kIovMax) {
    Finish(s, -LIO_EMSGSIZE);
    return;
  }
  int type = 0;
  if (int error = iocp::SocketType(sock, &type); error != 0) {
    Finish(s, iocp::ErrorResult(error));
    return;
  }
  if (iocp::Synchronous(reinterpret_cast<HANDLE>(sock))) {
    Finish(s, -LIO_EOPNOTSUPP);  // made without WSA_FLAG_OVERLAPPED
    return;
  }
  bool receive = r.code == LIO_OP_RECVMSG;
  r.iov = msg->iov;
  r.iovcnt = msg->iovcnt;
  r.io_handle = reinterpret_cast<HANDLE>(sock);
  r.base_offset = -1;
  Bind(r.io_handle);
  iocp::Advance(r, 0);
  r.done = 0;
  if (type == SOCK_STREAM) {
    // WSARecvMsg is for datagrams; a stream has no addresses or message
    // boundaries, so this is recv/send over the buffers.
    r.io = receive ? Io::kSocketRecv : Io::kSocketSend;
    r.chain = !receive;
    r.wsa_flags = static_cast<DWORD>(r.u.msg.flags);
    IssueTransfer(s);
    return;
  }

  uint64_t total = 0;
  uint32_t n = iocp::FillBufs(r, r.scratch.m.bufs, &total);
  if (!receive && iocp::TotalLength(msg->iov, msg->iovcnt) > static_cast<int64_t>(total)) {
    Finish(s, -LIO_EMSGSIZE);  // more buffers than one call carries: a datagram cannot be split
    return;
  }
  WSAMSG& m = r.scratch.m.msg;
  std::memset(&m, 0, sizeof m);
  m.name = static_cast<LPSOCKADDR>(msg->name);
  m.namelen = msg->name ? static_cast<INT>(msg->namelen) : 0;
  m.lpBuffers = r.scratch.m.bufs;
  m.dwBufferCount = n;
  m.Control.buf = static_cast<char*>(msg->control);
  m.Control.len = msg->control ? static_cast<ULONG>(msg->controllen) : 0;
  r.requested = total;
  std::memset(&r.ov, 0, sizeof r.ov);
  int rc;
  if (receive) {
    r.io = Io::kRecvMsg;
    m.dwFlags = static_cast<DWORD>(r.u.msg.flags);
    rc = sockets.recv_msg(sock, &m, nullptr, &r.ov, nullptr);
  } else {
    r.io = Io::kSendMsg;
    rc = sockets.send_msg(sock, &m, static_cast<DWORD>(r.u.msg.flags), nullptr, &r.ov, nullptr);
  }
  DWORD error = rc == 0 ? 0 : WSAGetLastError();
  if (rc == 0 || iocp::QueuesPacket(error, r.io)) {
    Issued(s);
  } else {
    Finish(s, iocp::ErrorResult(error));
  }
}

void lio_backend::StartAccept(uint32_t s) {
  Record& r = records[s];
  SOCKET listener = static_cast<SOCKET>(r.handle);
  WSAPROTOCOL_INFOW info;
  int len = sizeof info;
  if (getsockopt(listener, SOL_SOCKET, SO_PROTOCOL_INFOW, reinterpret_cast<char*>(&info), &len) != 0) {
    Finish(s, iocp::ErrorResult(WSAGetLastError()));
    return;
  }
  if (iocp::Synchronous(reinterpret_cast<HANDLE>(listener))) {
    Finish(s, -LIO_EOPNOTSUPP);  // made without WSA_FLAG_OVERLAPPED
    return;
  }
  // AcceptEx accepts into a socket made beforehand, like the listener.
  r.accept_socket = iocp::NewSocket(info.iAddressFamily, info.iSocketType, info.iProtocol);
  if (r.accept_socket == INVALID_SOCKET) {
    Finish(s, iocp::ErrorResult(WSAGetLastError()));
    return;
  }
  r.io = Io::kAccept;
  r.io_handle = reinterpret_cast<HANDLE>(listener);
  Bind(r.io_handle);
  std::memset(&r.ov, 0, sizeof r.ov);
  DWORD bytes = 0;
  BOOL ok = sockets.accept_ex(listener, r.accept_socket, r.scratch.accept_addresses, 0, iocp::kAcceptAddressSize,
                              iocp::kAcceptAddressSize, &bytes, &r.ov);
  DWORD error = ok ? 0 : WSAGetLastError();
  if (ok || error == ERROR_IO_PENDING) {
    Issued(s);
    return;
  }
  closesocket(r.accept_socket);
  r.accept_socket = INVALID_SOCKET;
  Finish(s, iocp::ErrorResult(error));
}

void lio_backend::StartConnect(uint32_t s) {
  Record& r = records[s];
  SOCKET sock = static_cast<SOCKET>(r.handle);
  const sockaddr* to = static_cast<const sockaddr*>(r.u.connect.addr);
  int addrlen = static_cast<int>(r.u.connect.addrlen);
  int type = 0;
  if (int error = iocp::SocketType(sock, &type); error != 0) {
    Finish(s, iocp::ErrorResult(error));
    return;
  }
  if (to == nullptr || addrlen < static_cast<int>(sizeof(sockaddr))) {
    Finish(s, -LIO_EINVAL);
    return;
  }
  if (type != SOCK_STREAM) {
    // Connecting a datagram socket only records the peer: it never blocks.
    Finish(s, connect(sock, to, addrlen) == 0 ? 0 : iocp::ErrorResult(WSAGetLastError()));
    return;
  }
  if (iocp::Synchronous(reinterpret_cast<HANDLE>(sock))) {
    Finish(s, -LIO_EOPNOTSUPP);  // made without WSA_FLAG_OVERLAPPED
    return;
  }
  // ConnectEx wants a bound socket; connect(2) binds implicitly.
  sockaddr_storage local;
  int local_len = sizeof local;
  if (getsockname(sock, reinterpret_cast<sockaddr*>(&local), &local_len) != 0) {
    if (WSAGetLastError() != WSAEINVAL) {
      Finish(s, iocp::ErrorResult(WSAGetLastError()));
      return;
    }
    sockaddr_storage any{};
    int any_len;
    if (to->sa_family == AF_INET) {
      reinterpret_cast<sockaddr_in&>(any).sin_family = AF_INET;
      any_len = sizeof(sockaddr_in);
    } else if (to->sa_family == AF_INET6) {
      reinterpret_cast<sockaddr_in6&>(any).sin6_family = AF_INET6;
      any_len = sizeof(sockaddr_in6);
    } else {
      Finish(s, -LIO_EAFNOSUPPORT);
      return;
    }
    if (bind(sock, reinterpret_cast<sockaddr*>(&any), any_len) != 0) {
      Finish(s, iocp::ErrorResult(WSAGetLastError()));
      return;
    }
  }
  r.io = Io::kConnect;
  r.io_handle = reinterpret_cast<HANDLE>(sock);
  Bind(r.io_handle);
  std::memset(&r.ov, 0, sizeof r.ov);
  BOOL ok = sockets.connect_ex(sock, to, addrlen, nullptr, 0, nullptr, &r.ov);
  DWORD error = ok ? 0 : WSAGetLastError();
  if (ok || error == ERROR_IO_PENDING) {
    Issued(s);
  } else {
    Finish(s, iocp::ErrorResult(error));
  }
}

void lio_backend::StartPoll(uint32_t s) {
  Record& r = records[s];
  SOCKET sock = static_cast<SOCKET>(r.handle);
  int type = 0;
  if (iocp::SocketType(sock, &type) == WSAENOTSOCK) {
    // Not a socket. Files are always ready, as poll(2) says; anything else
    // cannot be polled through AFD.
    HANDLE h = reinterpret_cast<HANDLE>(r.handle);
    SetLastError(NO_ERROR);
    DWORD file_type = GetFileType(h);
    if (file_type == FILE_TYPE_UNKNOWN && GetLastError() != NO_ERROR) {
      Finish(s, iocp::ErrorResult(GetLastError()));
    } else if (file_type == FILE_TYPE_DISK) {
      Finish(s, r.u.poll.events & (LIO_POLL_IN | LIO_POLL_OUT));
    } else {
      Finish(s, -LIO_EOPNOTSUPP);
    }
    return;
  }
  if (iocp::Synchronous(reinterpret_cast<HANDLE>(sock))) {
    Finish(s, -LIO_EOPNOTSUPP);  // made without WSA_FLAG_OVERLAPPED
    return;
  }
  // AFD wants the base provider's socket (it differs when a layered
  // provider is installed); without layered providers it is the socket.
  SOCKET base = sock;
  DWORD bytes = 0;
  if (WSAIoctl(sock, SIO_BASE_HANDLE, nullptr, 0, &base, sizeof base, &bytes, nullptr, nullptr) != 0) base = sock;
  iocp::afd::PollInfo& info = r.scratch.poll;
  std::memset(&info, 0, sizeof info);
  info.timeout.QuadPart = INT64_MAX;
  info.number_of_handles = 1;
  info.exclusive = FALSE;
  info.handles[0].handle = reinterpret_cast<HANDLE>(base);
  info.handles[0].events = iocp::afd::EventsFor(r.u.poll.events);
  r.io = Io::kPoll;
  r.io_handle = reinterpret_cast<HANDLE>(base);
  Bind(r.io_handle);
  std::memset(&r.ov, 0, sizeof r.ov);
  BOOL ok = DeviceIoControl(r.io_handle, iocp::afd::kIoctlPoll, &info, sizeof info, &info, sizeof info, nullptr, &r.ov);
  DWORD error = ok ? 0 : GetLastError();
  if (ok || error == ERROR_IO_PENDING) {
    Issued(s);
  } else {
    Finish(s, iocp::ErrorResult(error));
  }
}

// ---- completions ----------------------------------------------------------------

void lio_backend::OnPacket(const OVERLAPPED_ENTRY& entry, bool* woken) {
  if (entry.lpOverlapped == nullptr) {
    if (entry.lpCompletionKey == iocp::kWakeKey) {
      wake_pending.store(false, std::memory_order_release);
      *woken = true;
    }
    return;
  }
  uint32_t s = SlotOf(entry.lpOverlapped);
  if (s == UINT32_MAX) return;  // not ours: I/O someone else started on a bound handle
  Record& r = records[s];
  switch (r.state) {
    case State::kPosted:
      if (entry.lpCompletionKey != iocp::kNopKey) return;
      --in_os;
      Finish(s, 0);
      return;
    case State::kWorker:
      if (entry.lpCompletionKey != iocp::kWorkerKey) return;
      --in_os;
      Finish(s, r.result);
      return;
    case State::kIssued: {
      --in_os;
      DWORD bytes = entry.dwNumberOfBytesTransferred;
      DWORD error = iocp::CompletedError(r, &bytes);
      OnIoDone(s, entry.dwNumberOfBytesTransferred, error);
      return;
    }
    default:
      return;  // a stray packet for a slot not waiting for one
  }
}

void lio_backend::OnIoDone(uint32_t s, DWORD bytes, DWORD error) {
  Record& r = records[s];
  switch (r.io) {
    case Io::kFileRead:
    case Io::kFileWrite:
    case Io::kSocketRecv:
    case Io::kSocketSend: {
      bool receives = iocp::Receives(r.io);
      if (error != 0 && !(receives && (error == ERROR_MORE_DATA || error == WSAEMSGSIZE))) {
        EndTransfer(s, receives ? iocp::ReadErrorResult(error) : iocp::ErrorResult(error));
        return;
      }
      iocp::Advance(r, bytes);
      bool more = r.chain && error == 0 && bytes == r.requested && bytes > 0 && !iocp::AtEnd(r) &&
                  !r.cancel_requested;
      if (more) {
        IssueTransfer(s);  // ends the transfer itself if the call fails
        return;
      }
      EndTransfer(s, 0);
      return;
    }
    case Io::kRecvMsg: {
      lio_msghdr* msg = r.u.msg.msg;
      bool truncated = error == WSAEMSGSIZE || error == ERROR_MORE_DATA;
      if (error != 0 && !truncated) {
        Finish(s, iocp::ReadErrorResult(error));
        return;
      }
      const WSAMSG& m = r.scratch.m.msg;
      if (msg->name) msg->namelen = static_cast<uint32_t>(m.namelen);
      else msg->namelen = 0;
      msg->controllen = msg->control ? m.Control.len : 0;
      msg->flags = static_cast<int32_t>(m.dwFlags) | (truncated ? MSG_TRUNC : 0);
      Finish(s, bytes);
      return;
    }
    case Io::kSendMsg:
      Finish(s, error != 0 ? iocp::ErrorResult(error) : static_cast<int64_t>(bytes));
      return;
    case Io::kAccept: {
      SOCKET accepted = r.accept_socket;
      r.accept_socket = INVALID_SOCKET;
      SOCKET listener = reinterpret_cast<SOCKET>(r.io_handle);
      if (error == 0 && setsockopt(accepted, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT,
                                   reinterpret_cast<const char*>(&listener), sizeof listener) != 0) {
        error = WSAGetLastError();
      }
      if (error != 0) {
        closesocket(accepted);
        Finish(s, iocp::ErrorResult(error));
        return;
      }
      if (r.u.accept.addr != nullptr && r.u.accept.addrlen != nullptr) {
        sockaddr* local = nullptr;
        sockaddr* remote = nullptr;
        int local_len = 0, remote_len = 0;
        sockets.get_accept_ex_sockaddrs(r.scratch.accept_addresses, 0, iocp::kAcceptAddressSize,
                                        iocp::kAcceptAddressSize, &local, &local_len, &remote, &remote_len);
        uint32_t room = *r.u.accept.addrlen;
        uint32_t size = remote != nullptr ? static_cast<uint32_t>(remote_len) : 0;
        if (size > 0) std::memcpy(r.u.accept.addr, remote, (std::min)(room, size));
        *r.u.accept.addrlen = size;
      }
      Finish(s, static_cast<int64_t>(accepted));
      return;
    }
    case Io::kConnect:
      if (error == 0) {
        setsockopt(reinterpret_cast<SOCKET>(r.io_handle), SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, nullptr, 0);
      }
      Finish(s, iocp::ErrorResult(error));
      return;
    case Io::kPoll: {
      if (error != 0) {
        Finish(s, iocp::ErrorResult(error));
        return;
      }
      const iocp::afd::PollInfo& info = r.scratch.poll;
      ULONG events = info.number_of_handles > 0 ? info.handles[0].events : 0;
      if (events & iocp::afd::kLocalClose) {
        Finish(s, -LIO_EBADF);  // the socket was closed while polled
        return;
      }
      Finish(s, iocp::afd::LioEventsOf(events, r.u.poll.events));
      return;
    }
  }
}

void lio_backend::DrainDone() {
  for (uint32_t s : done) {
    out.push_back(lio_completion{table.id(s), records[s].result, 0, 0});
    records[s].state = State::kFree;
    table.erase(s);
  }
  done.clear();
}

void lio_backend::ExpireTimers(int64_t now) {
  while (!timers.empty() && timers.top_deadline() <= now) Finish(timers.pop(), -LIO_ETIME);
}

// Cancels and reaps everything in flight; closes what was made and not
// delivered. After it, no OS call refers to the records.
void lio_backend::Teardown() {
  if (!records) return;
  for (uint32_t s = 0; s < capacity; ++s) {
    Record& r = records[s];
    switch (r.state) {
      case State::kIssued:
        r.cancel_requested = true;
        CancelIoEx(r.io_handle, &r.ov);
        break;
      case State::kWorker:
        r.worker_cancel.store(true, std::memory_order_release);
        worker.CancelRunning(&r.ov);
        break;
      default:
        break;
    }
  }
  // Reap until every packet we are owed came. A handle bound to another port
  // sends its packet there: such an op counts as reaped once its OVERLAPPED
  // says it is no longer pending.
  int quiet_rounds = 0;
  while (in_os > 0) {
    ULONG n = 0;
    if (!GetQueuedCompletionStatusEx(port, entries.data(), static_cast<ULONG>(entries.size()), &n, 100, FALSE)) n = 0;
    for (ULONG i = 0; i < n; ++i) {
      const OVERLAPPED_ENTRY& e = entries[i];
      uint32_t s = e.lpOverlapped ? SlotOf(e.lpOverlapped) : UINT32_MAX;
      if (s == UINT32_MAX) continue;
      Record& r = records[s];
      if (r.state == State::kPosted || r.state == State::kWorker || r.state == State::kIssued) {
        --in_os;
        if (r.state == State::kWorker && r.code == LIO_OP_OPENAT) iocp::CloseCreated(r.code, r.result);
        if (r.state == State::kIssued && r.io == Io::kAccept && r.accept_socket != INVALID_SOCKET) {
          closesocket(r.accept_socket);
          r.accept_socket = INVALID_SOCKET;
        }
        r.state = State::kFree;
      }
    }
    quiet_rounds = n == 0 ? quiet_rounds + 1 : 0;
    if (quiet_rounds >= 10) {
      for (uint32_t s = 0; s < capacity; ++s) {
        Record& r = records[s];
        if (r.state == State::kIssued && HasOverlappedIoCompleted(&r.ov)) {
          if (r.io == Io::kAccept && r.accept_socket != INVALID_SOCKET) closesocket(r.accept_socket);
          r.state = State::kFree;
          --in_os;
        } else if (r.state == State::kIssued) {
          CancelIoEx(r.io_handle, &r.ov);  // once more, in case the first raced a reissue
        } else if (r.state == State::kWorker) {
          worker.CancelRunning(&r.ov);  // once more, in case the job was between calls
        }
      }
      quiet_rounds = 0;
    }
  }
  for (uint32_t s : done) {
    Record& r = records[s];
    if (r.code == LIO_OP_OPENAT || r.code == LIO_OP_SOCKET || r.code == LIO_OP_ACCEPT) iocp::CloseCreated(r.code, r.result);
  }
  done.clear();
}

// ---- the vtable ------------------------------------------------------------------

namespace lio::iocp {
namespace {

int Probe(char* why, size_t why_size) {
  WSADATA data;
  int rc = WSAStartup(MAKEWORD(2, 2), &data);
  if (rc != 0) {
    if (why != nullptr && why_size > 0) {
      std::string_view text = "Winsock 2.2 could not be started (WSAStartup failed)";
      size_t n = (std::min)(text.size(), why_size - 1);
      std::memcpy(why, text.data(), n);
      why[n] = '\0';
    }
    return static_cast<int>(ErrorResult(static_cast<uint32_t>(rc)));
  }
  WSACleanup();
  return 0;
}

void Destroy(lio_backend* b) {
  if (b == nullptr) return;
  if (b->port != nullptr) b->Teardown();
  b->worker.Stop();
  if (b->port != nullptr) CloseHandle(b->port);
  if (b->wsa_started) WSACleanup();
  delete b;
}

int Create(const lio_backend_config* config, lio_backend** out) {
  if (config == nullptr || out == nullptr || config->struct_size < offsetof(lio_backend_config, options) ||
      LIO_ABI_MAJOR(config->abi_version) != LIO_ABI_VERSION_MAJOR || config->capacity == 0) {
    return -LIO_EINVAL;
  }
  const char* options = config->struct_size >= offsetof(lio_backend_config, host) ? config->options : nullptr;
  uint64_t workers = kDefaultWorkers;
  bool options_ok = plugin::for_each_option(options, [&](std::string_view key, std::string_view value) {
    if (key == "workers") return plugin::parse_uint(value, 1, kMaxWorkers, &workers);
    return false;
  });
  if (!options_ok) return -LIO_EINVAL;

  lio_backend* b = new (std::nothrow) lio_backend;
  if (b == nullptr) return -LIO_ENOMEM;
  try {
    b->capacity = config->capacity;
    b->table.init(config->capacity);
    b->records.reset(new Record[config->capacity]());
    b->queued.reserve(config->capacity);
    b->done.reserve(config->capacity);
    b->out.reserve(config->capacity);
    b->entries.resize(static_cast<size_t>(config->capacity) + 1);
    b->timers.init(config->capacity);
  } catch (const std::bad_alloc&) {
    Destroy(b);
    return -LIO_ENOMEM;
  }
  for (uint32_t s = 0; s < b->capacity; ++s) b->records[s].accept_socket = INVALID_SOCKET;

  WSADATA data;
  int rc = WSAStartup(MAKEWORD(2, 2), &data);
  if (rc != 0) {
    Destroy(b);
    return static_cast<int>(ErrorResult(static_cast<uint32_t>(rc)));
  }
  b->wsa_started = true;
  if (int64_t loaded = LoadSocketFunctions(&b->sockets); loaded < 0) {
    Destroy(b);
    return static_cast<int>(loaded);
  }
  b->port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
  if (b->port == nullptr) {
    int error = static_cast<int>(ErrorResult(GetLastError()));
    Destroy(b);
    return error;
  }
  if (int started = b->worker.Start(static_cast<unsigned>(workers), &RunJob, b, b->port, kWorkerKey); started < 0) {
    Destroy(b);
    return started;
  }
  *out = b;
  return 0;
}

int Push(lio_backend* b, uint64_t id, const lio_op* op) {
  if (op == nullptr || op->struct_size < offsetof(lio_op, u) ||
      LIO_ABI_MAJOR(op->abi_version) != LIO_ABI_VERSION_MAJOR) {
    return -LIO_EINVAL;
  }
  // Read what the caller's struct has; a shorter (older) op's missing fields
  // are zero.
  lio_op local;
  std::memset(&local, 0, sizeof local);
  std::memcpy(&local, op, (std::min<size_t>)(op->struct_size, sizeof local));
  if (local.code >= LIO_OP_COUNT) return -LIO_EINVAL;
  if (!(kCapabilities & LIO_CAP(local.code))) return -LIO_EOPNOTSUPP;
  if (b->table.find(id) != b->table.kNone) return -LIO_EEXIST;
  if (b->table.full()) return -LIO_EAGAIN;
  uint32_t s = b->table.insert(id);
  Record& r = b->records[s];
  std::memset(&r.ov, 0, sizeof r.ov);
  r.state = State::kQueued;
  r.cancel_requested = false;
  r.chain = false;
  r.update_position = false;
  r.use_file_pointer = false;
  r.code = local.code;
  r.flags = local.flags;
  r.handle = local.handle;
  r.io_handle = reinterpret_cast<HANDLE>(local.handle);
  r.u = local.u;
  r.result = 0;
  r.iov = nullptr;
  r.iovcnt = 0;
  r.seg = 0;
  r.seg_offset = 0;
  r.done = 0;
  r.requested = 0;
  r.base_offset = -1;
  r.wsa_flags = 0;
  r.accept_socket = INVALID_SOCKET;
  b->queued.push_back(s);
  return 0;
}

int Flush(lio_backend* b) {
  size_t n = b->queued.size();
  // Start() never pushes to `queued`, so iterating it is safe.
  for (uint32_t s : b->queued) b->Start(s);
  b->queued.clear();
  return static_cast<int>(n);
}

int Wait(lio_backend* b, int64_t timeout_ns, const lio_completion** out) {
  if (!b->queued.empty()) Flush(b);
  b->out.clear();
  const int64_t deadline = timeout_ns > 0 ? SaturatingAdd(b->clock.now(), timeout_ns) : 0;
  bool woken = false;
  for (;;) {
    b->ExpireTimers(b->clock.now());
    b->DrainDone();
    DWORD ms = 0;
    if (b->out.empty() && timeout_ns != 0 && !woken) {
      int64_t now = b->clock.now();
      int64_t bound = INT64_MAX;
      if (!b->timers.empty()) bound = b->timers.top_deadline();
      if (timeout_ns > 0) bound = (std::min)(bound, deadline);
      ms = bound == INT64_MAX ? INFINITE : CeilMs(bound - now);
    }
    ULONG n = 0;
    if (!GetQueuedCompletionStatusEx(b->port, b->entries.data(), static_cast<ULONG>(b->entries.size()), &n, ms,
                                     FALSE)) {
      DWORD error = GetLastError();
      if (error != WAIT_TIMEOUT) return static_cast<int>(ErrorResult(error));
      n = 0;
    }
    for (ULONG i = 0; i < n; ++i) b->OnPacket(b->entries[i], &woken);
    b->ExpireTimers(b->clock.now());
    b->DrainDone();
    if (!b->out.empty() || woken || timeout_ns == 0) break;
    if (timeout_ns > 0 && b->clock.now() >= deadline) break;
  }
  *out = b->out.data();
  return static_cast<int>(b->out.size());
}

int Cancel(lio_backend* b, uint64_t id) {
  uint32_t s = b->table.find(id);
  if (s == b->table.kNone) return -LIO_ENOENT;
  Record& r = b->records[s];
  switch (r.state) {
    case State::kQueued: {
      auto it = std::find(b->queued.begin(), b->queued.end(), s);
      if (it != b->queued.end()) b->queued.erase(it);
      b->Finish(s, -LIO_ECANCELED);
      break;
    }
    case State::kTimer:
      b->timers.erase(s);
      b->Finish(s, -LIO_ECANCELED);
      break;
    case State::kIssued:
      // ERROR_NOT_FOUND: it completed already, and its packet says how.
      r.cancel_requested = true;
      CancelIoEx(r.io_handle, &r.ov);
      break;
    case State::kWorker:
      // Not run if no thread took it yet; cut short if one is in its call.
      r.worker_cancel.store(true, std::memory_order_release);
      b->worker.CancelRunning(&r.ov);
      break;
    default:  // kPosted, kDone: the result is in
      break;
  }
  return 0;
}

int Wake(lio_backend* b) {
  // One packet at a time is enough to end one wait.
  if (b->wake_pending.exchange(true, std::memory_order_acq_rel)) return 0;
  if (!PostQueuedCompletionStatus(b->port, 0, kWakeKey, nullptr)) {
    b->wake_pending.store(false, std::memory_order_release);
    return static_cast<int>(ErrorResult(GetLastError()));
  }
  return 0;
}

const lio_backend_vtable kVtable = {
    sizeof(lio_backend_vtable),
    LIO_ABI_VERSION,
    "iocp",
    "Windows I/O completion ports: overlapped file and socket I/O, AcceptEx/ConnectEx, AFD poll; "
    "openat/fsync on worker threads",
    kCapabilities,
    100,
    0,
    &Probe,
    &Create,
    &Destroy,
    &Push,
    &Flush,
    &Wait,
    &Cancel,
    &Wake,
};

}  // namespace
}  // namespace lio::iocp

extern "C" LIO_PLUGIN_EXPORT int lio_plugin_register(const lio_registrar* registrar) {
  if (registrar == nullptr || LIO_ABI_MAJOR(registrar->abi_version) != LIO_ABI_VERSION_MAJOR) return -LIO_EINVAL;
  return registrar->register_backend(registrar->context, &lio::iocp::kVtable);
}
