// How one lio_op becomes Windows calls on the iocp backend.
//
// The backend (iocp_backend.cc) owns each op's Record and moves it between
// states; the functions here make the op's calls and say what came of them
// (an Outcome): issued, so one completion packet will come to the port; done
// now, with a result; or a blocking call for the worker threads. The backend
// itself keeps what needs no call on the caller's handle: nop, timeout, and
// handing openat/fsync to the workers.
//
//   op_calls.cc  the dispatch (StartCall, CompleteCall); calls made at once
//                (close, socket, shutdown, connect of a datagram socket);
//                the overlapped socket calls: WSARecvMsg/WSASendMsg, AcceptEx,
//                ConnectEx, the AFD poll; what a caller's handle is.
//   transfer.cc  read/write/readv/writev/send/recv as a cursor over the
//                caller's buffers: ReadFile/WriteFile or WSARecv/WSASend, one
//                chunk after another; the blocking form a worker runs.
//
// Rules of the completion port these calls rely on: a handle is bound to one
// port for life (CreateIoCompletionPort, done before each op; a handle already
// bound to this port answers ERROR_INVALID_PARAMETER, which is fine; one bound
// to another port never completes here — use a handle with one iocp instance);
// an overlapped call that returns success or ERROR_IO_PENDING queues exactly
// one packet, as does one that fails with a warning (ERROR_MORE_DATA,
// WSAEMSGSIZE on a receive: the datagram was truncated); one that fails
// otherwise queues none. The plugin never sets
// FILE_SKIP_COMPLETION_PORT_ON_SUCCESS (that would change the caller's handle).
#ifndef LIO_PLUGINS_IOCP_OP_CALLS_H_
#define LIO_PLUGINS_IOCP_OP_CALLS_H_

#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <windows.h>

#include <atomic>
#include <cstdint>

#include "lio/core/plugin_abi.h"
#include "lio/plugins/iocp/afd.h"
#include "lio/plugins/iocp/blocking_ops.h"

namespace lio::iocp {

// ---- constants -------------------------------------------------------------

// Completion keys. Handles are bound with kIoKey; the posted packets carry
// their own, so a wake and the worker pool's "jobs done" (neither has an
// OVERLAPPED) are told from everything else.
inline constexpr ULONG_PTR kIoKey = 0;
inline constexpr ULONG_PTR kNopKey = 1;
inline constexpr ULONG_PTR kWorkerKey = 2;
inline constexpr ULONG_PTR kWakeKey = 3;

// WSABUFs per socket call. A readv/recvmsg with more buffers receives into
// the first kMaxBufs (a short read, which POSIX allows); a writev/send over a
// stream sends the rest in further calls; a sendmsg of a datagram with more
// is -EMSGSIZE.
inline constexpr uint32_t kMaxBufs = 16;
// Linux's IOV_MAX: readv/writev with more buffers are -EINVAL there too.
inline constexpr uint32_t kIovMax = 1024;
// Bytes per ReadFile/WriteFile/WSABUF (DWORD/ULONG lengths).
inline constexpr uint64_t kMaxChunk = 1u << 30;

inline constexpr DWORD kAcceptAddressSize = sizeof(sockaddr_storage) + 16;

// ---- the per-operation record ------------------------------------------------

enum class State : uint8_t {
  kFree,
  kQueued,  // pushed, not flushed
  kIssued,  // overlapped I/O in the OS: a packet will come
  kPosted,  // nop: its packet is in the port
  kWorker,  // with the worker pool: its result will come (a kWorkerKey packet)
  kTimer,   // in the timer heap
  kDone,    // result known, waiting in done_ for wait() to return it
  kClientHeld,  // ACCEPT_MULTI: a client (in `result`) accepted while no room was left
            // to return it; AcceptEx is issued again once it is returned
  kHeld,     // 1.1: flushed, waiting in a chain for the op before it
  kReleased, // 1.1: that op succeeded; the next wait starts it
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

// Everything an operation needs while the OS has it. One per slot, made in
// create, so no call allocates.
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

// Fills a free record for a pushed op (already read up to its struct_size):
// kQueued, the op's fields copied, every call's progress cleared.
void Prepare(Record& r, const lio_op& op);

// ---- what the calls need and what they come to --------------------------------

// Winsock's extension functions, loaded once in create.
struct SocketFunctions {
  LPFN_ACCEPTEX accept_ex = nullptr;
  LPFN_GETACCEPTEXSOCKADDRS get_accept_ex_sockaddrs = nullptr;
  LPFN_CONNECTEX connect_ex = nullptr;
  LPFN_WSARECVMSG recv_msg = nullptr;
  LPFN_WSASENDMSG send_msg = nullptr;
};

// What the calls need of their backend.
struct CallContext {
  HANDLE port;                     // handles are bound to it before their call
  const SocketFunctions* sockets;
};

// What making an op's call came to; the backend moves the record on.
struct Outcome {
  enum Kind : uint8_t {
    kIssued,    // in the OS: exactly one packet will come to the port
    kDone,      // finished now, with `result`
    kToWorker,  // a handle opened for blocking I/O: the worker threads call
  };
  Kind kind;
  int64_t result;  // kDone only
};
inline Outcome Issued() { return {Outcome::kIssued, 0}; }
inline Outcome Done(int64_t result) { return {Outcome::kDone, result}; }
inline Outcome ToWorker() { return {Outcome::kToWorker, 0}; }

// ---- op_calls.cc ---------------------------------------------------------------

// 0, or the Winsock error (as -LIO_E*) that makes sockets unusable here.
int64_t LoadSocketFunctions(SocketFunctions* f);

// A new overlapped socket that child processes do not inherit.
SOCKET NewSocket(int family, int type, int protocol);

// SO_TYPE of `s` into *type: 0, or the Winsock error.
int SocketType(SOCKET s, int* type);

// Whether `h` was opened for synchronous I/O (no FILE_FLAG_OVERLAPPED, or a
// socket made without WSA_FLAG_OVERLAPPED). Such a handle ignores an
// OVERLAPPED's promise of asynchrony: the call blocks and no completion
// packet may follow, so the backend must not treat it as overlapped.
bool Synchronous(HANDLE h);

// Binds `h` to the port (harmless when it is bound already, or is no handle:
// the op's call then reports that).
void Bind(const CallContext& ctx, HANDLE h);

// Closes a handle this backend created (openat, socket, accept) and will not
// deliver.
void CloseCreated(uint32_t code, int64_t handle);

// Whether an overlapped call that returned failure with `error` still
// queues a packet (a warning status, not an error).
bool QueuesPacket(DWORD error, Io io);
// Whether `io` receives (ReadFile, WSARecv, WSARecvMsg).
bool Receives(Io io);

// Starts every op the backend does not keep itself (all but nop, timeout,
// openat and fsync), on a record push filled in. An unknown code is
// -LIO_EINVAL.
Outcome StartCall(Record& r, const CallContext& ctx);

// The error of a completed overlapped op, as Win32/Winsock reports it.
DWORD CompletedError(const Record& r, DWORD* bytes);

// An issued op's packet came, with `bytes` and `error` (CompletedError):
// its result, or the next call of a transfer.
Outcome CompleteCall(Record& r, DWORD bytes, DWORD error, const CallContext& ctx);

// A worker job (openat, fsync, or a transfer on a synchronous handle), on a
// worker thread: sets r.result.
void RunBlocking(Record& r, WorkerThreadScratch& scratch);

// ---- transfer.cc -----------------------------------------------------------------

// read/write/readv/writev/send/recv: picks the call from what the handle is,
// then issues the first chunk (or hands a synchronous handle to a worker).
Outcome StartTransfer(Record& r, const CallContext& ctx);

// Issues the next call of a transfer from its cursor.
Outcome IssueTransfer(Record& r);

// A transfer's packet: the next chunk, or the transfer's result.
Outcome CompleteTransfer(Record& r, DWORD bytes, DWORD error);

// A read or write on a synchronous handle, on a worker thread: its result.
int64_t BlockingTransfer(Record& r, WorkerThreadScratch& scratch);

// The cursor over a transfer's buffers.
void Advance(Record& r, uint64_t n);  // by `n` bytes
bool AtEnd(const Record& r);
// Fills `bufs` from the cursor: up to kMaxBufs pieces, each at most
// kMaxChunk, stopping after a piece that had to be cut. Returns the count
// and the total in *total.
uint32_t FillBufs(const Record& r, WSABUF* bufs, uint64_t* total);
int64_t TotalLength(const lio_iovec* iov, uint32_t iovcnt);

}  // namespace lio::iocp

#endif  // LIO_PLUGINS_IOCP_OP_CALLS_H_
