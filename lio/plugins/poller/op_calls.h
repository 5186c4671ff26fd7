// How one lio_op becomes system calls on a readiness backend.
//
// Three ways, chosen per op by the backend (poller_backend.cc):
//   run_inline()   — calls that never block: socket, shutdown.
//   attempt()      — one non-blocking round of a socket or other pollable
//                    op; kWouldBlock means "wait for readiness, then call
//                    attempt() again". Progress across rounds lives in the
//                    op's Progress.
//   run_blocking() — the plain blocking call, on a worker thread: regular
//                    files, fsync, openat, close — unless read_if_cached(),
//                    open_if_cached() or close_if_quick() could do it on the
//                    calling thread without blocking.
//
// Non-blocking without touching the caller's handle where the OS allows it:
// send/recv/sendmsg/recvmsg (and read/write/readv/writev on sockets) pass
// MSG_DONTWAIT per call. accept, connect, and read/write on other pollable
// handles (pipes, FIFOs, ttys, eventfds) have no per-call flag: if the handle
// is in blocking mode, O_NONBLOCK is set for the duration of that one call
// and the previous flags are put back right after it (F_GETFL + 2 F_SETFL). A
// handle already in non-blocking mode is never touched. The flag lives on the
// open file description, so another thread or process sharing it sees it set
// for that call's duration: a listening socket or pipe shared between
// threads should be made non-blocking by its owner, and the poller then
// leaves it alone.
//
// Results are what the blocking call returns: a write (send, sendmsg, write,
// writev) completes when every byte is written, as a blocking one does,
// continuing after short writes; a read completes with the first data, or
// with all of it under MSG_WAITALL on a stream socket; an error after some
// bytes moved reports the bytes, as the kernel does.
#ifndef LIO_PLUGINS_POLLER_OP_CALLS_H_
#define LIO_PLUGINS_POLLER_OP_CALLS_H_

#include <cstdint>

#include "lio/core/plugin_abi.h"
#include "lio/plugins/poller/status_flags_cache.h"

namespace lio::poller {

// read(2) and friends transfer at most this much per call; longer requests
// end at the same short count the blocking call would return.
inline constexpr uint64_t kMaxTransfer = 0x7ffff000;

// attempt()'s "not ready: wait for readiness and call again".
inline constexpr int64_t kWouldBlock = INT64_MIN;

// What a READ/WRITE/READV/WRITEV at the current position runs on.
enum class HandleKind : uint8_t {
  kSocket,    // MSG_DONTWAIT per call
  kPollable,  // pipe, FIFO, tty, eventfd, ...: O_NONBLOCK for one call
  kFile,      // regular file, block device, directory: a worker
};

// fstat-based kind of `fd`, or a negative LIO_E* code (-LIO_EBADF).
int classify_handle(int fd, HandleKind* kind) noexcept;

// Where a readiness op is between rounds.
struct Progress {
  HandleKind kind = HandleKind::kSocket;  // READ/WRITE/READV/WRITEV only
  bool connecting = false;  // CONNECT: in progress, finish with SO_ERROR
  int8_t stream = -1;       // MSG_WAITALL reads: 1 stream socket, 0 not, -1 not asked yet
  uint64_t transferred = 0; // bytes moved by earlier rounds
  uint64_t total = 0;       // bytes asked for (known after the first round moved some)
  // TEE, SPLICE, WAITID (net_op_calls.cc) wait on a handle and for an event
  // that are not op.handle / wanted_events(op): attempt() sets them when it
  // answers kWouldBlock (a splice waits on whichever end held it up).
  int wait_fd = -1;
  uint32_t wait_events = 0;
  uint8_t nonblock_ends = 0;  // TEE/SPLICE: kInEnd | kOutEnd, the ends that are not pipes
  int owned_fd = -1;          // WAITID on P_PID: the pidfd the backend opened, closed at completion
};

inline constexpr uint8_t kInEnd = 1;
inline constexpr uint8_t kOutEnd = 2;

// LIO_POLL_IN / LIO_POLL_OUT: the readiness a readiness op waits for.
uint32_t wanted_events(const lio_op& op) noexcept;

// True for the ops attempt() serves.
bool is_readiness_op(uint32_t code) noexcept;

// NOP, SOCKET, SHUTDOWN: the result.
int64_t run_inline(const lio_op& op) noexcept;

// SO_TYPE says SOCK_STREAM (one system call).
bool is_stream_socket(int fd) noexcept;

// One round of a readiness op: its result, or kWouldBlock.
int64_t attempt(const lio_op& op, Progress& progress) noexcept;

// The blocking call of READ/WRITE/READV/WRITEV/FSYNC/OPENAT/CLOSE and of
// the 1.1 file-system ops (fs_calls.h) (worker thread): its result.
int64_t run_blocking(const lio_op& op) noexcept;

// READ/READV at an offset (not the file position), answered from the page
// cache without blocking: preadv2(RWF_NOWAIT) on the calling thread, unless
// the handle's F_GETFL (asked of `status_flags` only for such a read) says
// O_DIRECT or nothing — then the worker does it. The
// result when every byte asked for was cached, or all up to the end of the
// file (an fstat tells, after a short count), else kWouldBlock — a miss, a
// partial hit, an error, or a system without RWF_NOWAIT — and the op goes to
// a worker, which reads it whole (at an offset, a second read changes
// nothing the first did).
int64_t read_if_cached(const lio_op& op, StatusFlagsCache& status_flags) noexcept;

// OPENAT on the calling thread when it cannot block (Linux 5.12+): the
// result, else kWouldBlock and a worker opens it. openat2 with
// RESOLVE_CACHED resolves the path from the dentry cache or fails with
// EAGAIN instead of reading a directory from the disk; O_NONBLOCK keeps a
// FIFO or a device from waiting for a peer. Kept only when it opened a
// regular file or a directory (then O_NONBLOCK is cleared: one fstat and one
// fcntl more); anything else is closed unused and left to the worker — so a
// FIFO opened read-only is briefly opened by this try (a writer blocked in
// open(2) on it is let go a moment early). O_CREAT and O_TRUNC always go to
// the worker (RESOLVE_CACHED refuses them). Like io_uring's inline open,
// this trusts the filesystem's ->open not to wait once the lookup is cached
// (true of local filesystems; NFSv4 and FUSE may still ask their server).
int64_t open_if_cached(const lio_op& op) noexcept;

// CLOSE on the calling thread when it cannot wait: a pipe, a socket without
// a lingering SO_LINGER, or a regular file or directory on a local
// filesystem (ext4, XFS, btrfs, tmpfs, f2fs, overlayfs: their close starts
// writeback at most). The result, else kWouldBlock and a worker closes it —
// NFS/CIFS/FUSE files (their close waits for the server), devices (a tty
// drains its output), lingering sockets. Costs one fstat (and a getsockopt
// for a socket, an fstatfs per new filesystem) before the close.
int64_t close_if_quick(const lio_op& op) noexcept;

// Ops whose successful result is a handle the caller would own.
bool creates_handle(uint32_t code) noexcept;

// ---- 1.1: BIND, LISTEN, PIPE, TEE, SPLICE, WAITID (net_op_calls.cc) ----
// bind, listen and pipe2 never block: run_net_inline() does them. tee and
// splice move data by readiness: SPLICE_F_NONBLOCK per call, and an end that
// is not a pipe (a socket) is made non-blocking for that one call as accept
// is (NonblockingScope); EAGAIN waits on the end that held it up (poll(2)
// with a zero timeout tells which). An end that is a regular file goes to a
// worker (the blocking call). waitid: with WNOHANG it runs inline; for
// WEXITED alone on P_PID / P_PIDFD it waits for the pidfd to become readable
// (pidfd_open for P_PID) and then asks with WNOHANG; anything else (P_ALL,
// P_PGID, WSTOPPED, WCONTINUED: no pidfd says so) runs on a worker.

// BIND, LISTEN, PIPE: the result.
int64_t run_net_inline(const lio_op& op) noexcept;

// TEE/SPLICE: the ends that need NonblockingScope (kInEnd | kOutEnd), or -1
// when an end is a regular file (a worker runs it), or a negative LIO_E*.
int splice_ends(const lio_op& op, uint8_t* nonblock_ends) noexcept;

// WAITID: how it runs.
enum class WaitidRoute : uint8_t { kInline, kPidfd, kWorker };
WaitidRoute waitid_route(const lio_op& op) noexcept;

// WAITID by pidfd: the first try (inline, WNOHANG). The result, or
// kWouldBlock with progress.wait_fd set (a pidfd it opened is owned_fd);
// a pid pidfd_open cannot open goes to a worker: kWorkerInstead.
inline constexpr int64_t kWorkerInstead = INT64_MIN + 1;
int64_t start_waitid(const lio_op& op, Progress& progress) noexcept;

// One round of TEE/SPLICE/WAITID (attempt() calls it).
int64_t attempt_net(const lio_op& op, Progress& progress) noexcept;

// The blocking TEE/SPLICE/WAITID (worker thread).
int64_t run_net_blocking(const lio_op& op) noexcept;
// One non-blocking recv of op's handle (RECV/RECV_MULTI's flags, less
// MSG_WAITALL) into a buffer the backend took from a group: bytes, 0 at end
// of stream, an error, or kWouldBlock.
int64_t recv_into(const lio_op& op, void* buf, uint64_t len) noexcept;

}  // namespace lio::poller

#endif  // LIO_PLUGINS_POLLER_OP_CALLS_H_
