// lio::Op: lio_op with builders, so callers never fill the C struct by hand
// (and never forget struct_size / abi_version).
#ifndef LIO_CORE_OP_H_
#define LIO_CORE_OP_H_

#include <cstdint>
#include <cstring>

#include "lio/core/plugin_abi.h"

namespace lio {

struct Op : lio_op {
  Op() noexcept {
    std::memset(static_cast<lio_op*>(this), 0, sizeof(lio_op));
    struct_size = sizeof(lio_op);
    abi_version = LIO_ABI_VERSION;
  }

  static Op Nop() noexcept { return Make(LIO_OP_NOP, LIO_INVALID_HANDLE); }

  static Op Read(lio_handle h, void* buf, uint64_t len, int64_t offset = LIO_OFFSET_CURRENT) noexcept {
    Op op = Make(LIO_OP_READ, h);
    op.u.rw = {buf, len, offset};
    return op;
  }
  static Op Write(lio_handle h, const void* buf, uint64_t len, int64_t offset = LIO_OFFSET_CURRENT) noexcept {
    Op op = Make(LIO_OP_WRITE, h);
    op.u.rw = {const_cast<void*>(buf), len, offset};
    return op;
  }
  static Op Readv(lio_handle h, const lio_iovec* iov, uint32_t iovcnt, int64_t offset = LIO_OFFSET_CURRENT) noexcept {
    Op op = Make(LIO_OP_READV, h);
    op.u.rwv = {iov, iovcnt, offset};
    return op;
  }
  static Op Writev(lio_handle h, const lio_iovec* iov, uint32_t iovcnt, int64_t offset = LIO_OFFSET_CURRENT) noexcept {
    Op op = Make(LIO_OP_WRITEV, h);
    op.u.rwv = {iov, iovcnt, offset};
    return op;
  }
  static Op Fsync(lio_handle h, bool data_only = false) noexcept {
    Op op = Make(LIO_OP_FSYNC, h);
    op.flags = data_only ? LIO_FSYNC_DATASYNC : 0;
    return op;
  }
  static Op Openat(lio_handle dir, const char* path, uint32_t open_flags, uint32_t mode = 0644) noexcept {
    Op op = Make(LIO_OP_OPENAT, dir);
    op.u.open = {path, open_flags, mode};
    return op;
  }
  static Op Close(lio_handle h) noexcept { return Make(LIO_OP_CLOSE, h); }
  static Op Socket(int domain, int type, int protocol = 0) noexcept {
    Op op = Make(LIO_OP_SOCKET, LIO_INVALID_HANDLE);
    op.u.socket = {domain, type, protocol};
    return op;
  }
  static Op Accept(lio_handle h, void* addr = nullptr, uint32_t* addrlen = nullptr) noexcept {
    Op op = Make(LIO_OP_ACCEPT, h);
    op.u.accept = {addr, addrlen};
    return op;
  }
  static Op Connect(lio_handle h, const void* addr, uint32_t addrlen) noexcept {
    Op op = Make(LIO_OP_CONNECT, h);
    op.u.connect = {addr, addrlen};
    return op;
  }
  static Op Send(lio_handle h, const void* buf, uint64_t len, int flags = 0) noexcept {
    Op op = Make(LIO_OP_SEND, h);
    op.u.sr = {const_cast<void*>(buf), len, flags};
    return op;
  }
  static Op Recv(lio_handle h, void* buf, uint64_t len, int flags = 0) noexcept {
    Op op = Make(LIO_OP_RECV, h);
    op.u.sr = {buf, len, flags};
    return op;
  }
  static Op Sendmsg(lio_handle h, lio_msghdr* msg, int flags = 0) noexcept {
    Op op = Make(LIO_OP_SENDMSG, h);
    op.u.msg = {msg, flags};
    return op;
  }
  static Op Recvmsg(lio_handle h, lio_msghdr* msg, int flags = 0) noexcept {
    Op op = Make(LIO_OP_RECVMSG, h);
    op.u.msg = {msg, flags};
    return op;
  }
  static Op Shutdown(lio_handle h, int how) noexcept {
    Op op = Make(LIO_OP_SHUTDOWN, h);
    op.u.shutdown.how = how;
    return op;
  }
  // Completes with -LIO_ETIME after `ns` nanoseconds.
  static Op Timeout(int64_t ns) noexcept {
    Op op = Make(LIO_OP_TIMEOUT, LIO_INVALID_HANDLE);
    op.u.timeout.ns = ns;
    return op;
  }
  // Completes with -LIO_ETIME at `steady_ns` on std::chrono::steady_clock.
  static Op TimeoutAt(int64_t steady_ns) noexcept {
    Op op = Timeout(steady_ns);
    op.flags = LIO_TIMEOUT_ABSOLUTE;
    return op;
  }
  static Op Poll(lio_handle h, uint32_t events) noexcept {
    Op op = Make(LIO_OP_POLL, h);
    op.u.poll.events = events;
    return op;
  }

  // ---- 1.1 file-system ops: each acts as the blocking call it is named for
  // ([result.as_blocking_call]). Paths (and a statx buffer) stay the
  // caller's until the completion; directories may be LIO_AT_FDCWD.
  static Op Ftruncate(lio_handle h, int64_t length) noexcept {
    Op op = Make(LIO_OP_FTRUNCATE, h);
    op.u.truncate.length = length;
    return op;
  }
  // flags: LIO_LINKAT_FOLLOW.
  static Op Linkat(lio_handle old_dir, const char* old_path, lio_handle new_dir, const char* new_path,
                   uint32_t flags = 0) noexcept {
    return Link(LIO_OP_LINKAT, old_dir, old_path, new_dir, new_path, flags);
  }
  // A symbolic link at (new_dir, link_path) whose text is `target`.
  static Op Symlinkat(const char* target, lio_handle new_dir, const char* link_path) noexcept {
    return Link(LIO_OP_SYMLINKAT, LIO_INVALID_HANDLE, target, new_dir, link_path, 0);
  }
  // flags: LIO_RENAME_NOREPLACE or LIO_RENAME_EXCHANGE (renameat2).
  static Op Renameat(lio_handle old_dir, const char* old_path, lio_handle new_dir, const char* new_path,
                     uint32_t flags = 0) noexcept {
    return Link(LIO_OP_RENAMEAT, old_dir, old_path, new_dir, new_path, flags);
  }
  // flags: LIO_UNLINK_REMOVEDIR (rmdir).
  static Op Unlinkat(lio_handle dir, const char* path, uint32_t flags = 0) noexcept {
    Op op = Make(LIO_OP_UNLINKAT, dir);
    op.flags = flags;
    op.u.path.path = path;
    return op;
  }
  static Op Mkdirat(lio_handle dir, const char* path, uint32_t mode = 0755) noexcept {
    Op op = Make(LIO_OP_MKDIRAT, dir);
    op.u.path = {path, mode};
    return op;
  }
  // flags: LIO_STATX_NOFOLLOW, LIO_STATX_EMPTY_PATH; mask: LIO_STATX_*.
  static Op Statx(lio_handle dir, const char* path, lio_statx* buf, uint32_t mask = LIO_STATX_BASIC_STATS,
                  uint32_t flags = 0) noexcept {
    Op op = Make(LIO_OP_STATX, dir);
    op.flags = flags;
    op.u.statx = {path, buf, mask};
    return op;
  }
  // flags: LIO_FALLOCATE_KEEP_SIZE, LIO_FALLOCATE_PUNCH_HOLE.
  static Op Fallocate(lio_handle h, int64_t offset, int64_t len, uint32_t flags = 0) noexcept {
    Op op = Make(LIO_OP_FALLOCATE, h);
    op.flags = flags;
    op.u.range = {offset, len, 0};
    return op;
  }
  // advice: LIO_FADV_*.
  static Op Fadvise(lio_handle h, int64_t offset, int64_t len, int32_t advice) noexcept {
    Op op = Make(LIO_OP_FADVISE, h);
    op.u.range = {offset, len, advice};
    return op;
  }

  // ---- 1.1: sockets, pipes, processes ----
  static Op Bind(lio_handle h, const void* addr, uint32_t addrlen) noexcept {
    Op op = Make(LIO_OP_BIND, h);
    op.u.bind.addr = addr;
    op.u.bind.addrlen = addrlen;
    return op;
  }
  static Op Listen(lio_handle h, int32_t backlog) noexcept {
    Op op = Make(LIO_OP_LISTEN, h);
    op.u.listen.backlog = backlog;
    return op;
  }
  // Duplicates up to `len` bytes of pipe `in` into pipe `out` (LIO_SPLICE_* flags).
  static Op Tee(lio_handle in, lio_handle out, uint32_t len, uint32_t flags = 0) noexcept {
    Op op = Make(LIO_OP_TEE, in);
    op.flags = flags;
    op.u.splice.out = out;
    op.u.splice.off_in = LIO_OFFSET_CURRENT;
    op.u.splice.off_out = LIO_OFFSET_CURRENT;
    op.u.splice.len = len;
    return op;
  }
  // Moves up to `len` bytes from `in` to `out`, one of them a pipe; offsets
  // LIO_OFFSET_CURRENT for none (a pipe end has none).
  static Op Splice(lio_handle in, int64_t off_in, lio_handle out, int64_t off_out, uint32_t len,
                   uint32_t flags = 0) noexcept {
    Op op = Tee(in, out, len, flags);
    op.code = LIO_OP_SPLICE;
    op.u.splice.off_in = off_in;
    op.u.splice.off_out = off_out;
    return op;
  }
  // fds[0] gets the read end, fds[1] the write end; both stay valid until completion.
  static Op Pipe(lio_handle* fds) noexcept {
    Op op = Make(LIO_OP_PIPE, LIO_INVALID_HANDLE);
    op.u.pipe.fds = fds;
    return op;
  }
  // Native P_* idtype, id and W* options; `info` a native siginfo_t, or NULL.
  static Op Waitid(int32_t idtype, int32_t id, int32_t options, void* info) noexcept {
    Op op = Make(LIO_OP_WAITID, LIO_INVALID_HANDLE);
    op.u.waitid.idtype = idtype;
    op.u.waitid.id = id;
    op.u.waitid.options = options;
    op.u.waitid.info = info;
    return op;
  }

  // ---- 1.1: multi-completion ops and buffer groups ([multishot.*], [bufgroup.*]) ----
  // A completion per accepted client (LIO_COMPLETION_MORE on all but the last).
  static Op AcceptMulti(lio_handle h) noexcept { return Make(LIO_OP_ACCEPT_MULTI, h); }
  // A completion per chunk received, each in a buffer of `group`.
  static Op RecvMulti(lio_handle h, uint32_t group, int flags = 0) noexcept {
    Op op = Make(LIO_OP_RECV_MULTI, h);
    op.u.sr = {nullptr, 0, flags, group};
    return op;
  }
  // One recv into a buffer taken from `group` (at most `len` bytes; 0: the buffer's size).
  static Op RecvFromGroup(lio_handle h, uint32_t group, uint64_t len = 0, int flags = 0) noexcept {
    Op op = Make(LIO_OP_RECV, h);
    op.flags = LIO_RECV_BUFFER_SELECT;
    op.u.sr = {nullptr, len, flags, group};
    return op;
  }
  // Zero-copy send: the result, then (if the result carried MORE) a notice.
  static Op SendZc(lio_handle h, const void* buf, uint64_t len, int flags = 0) noexcept {
    Op op = Make(LIO_OP_SEND_ZC, h);
    op.u.sr = {const_cast<void*>(buf), len, flags, 0};
    return op;
  }

  // ---- 1.1: links and registered resources ----
  // [link.timeout] The deadline of the op pushed just before it (which
  // carries LIO_OPF_LINK): `ns` after that op starts, or at `steady_ns`.
  static Op LinkTimeout(int64_t ns) noexcept {
    Op op = Make(LIO_OP_LINK_TIMEOUT, LIO_INVALID_HANDLE);
    op.u.timeout.ns = ns;
    return op;
  }
  static Op LinkTimeoutAt(int64_t steady_ns) noexcept {
    Op op = LinkTimeout(steady_ns);
    op.flags = LIO_TIMEOUT_ABSOLUTE;
    return op;
  }
  // [fixed.buffer] READ / WRITE within registered buffer `buf_index`.
  static Op ReadFixed(lio_handle h, void* buf, uint64_t len, int64_t offset, uint32_t buf_index) noexcept {
    Op op = Read(h, buf, len, offset);
    op.code = LIO_OP_READ_FIXED;
    op.u.rw.buf_index = buf_index;
    return op;
  }
  static Op WriteFixed(lio_handle h, const void* buf, uint64_t len, int64_t offset, uint32_t buf_index) noexcept {
    Op op = Write(h, buf, len, offset);
    op.code = LIO_OP_WRITE_FIXED;
    op.u.rw.buf_index = buf_index;
    return op;
  }
  // This op with LIO_OPF_LINK ([link.order]: the next op pushed starts after it).
  Op Linked() const noexcept {
    Op op = *this;
    op.flags |= LIO_OPF_LINK;
    return op;
  }
  // This op with LIO_OPF_FIXED_FILE: its handle is an index of the registered files.
  Op FixedFile() const noexcept {
    Op op = *this;
    op.flags |= LIO_OPF_FIXED_FILE;
    return op;
  }

 private:
  static Op Make(lio_op_code code, lio_handle h) noexcept {
    Op op;
    op.code = code;
    op.handle = h;
    return op;
  }
  static Op Link(lio_op_code code, lio_handle old_dir, const char* old_path, lio_handle new_dir,
                 const char* new_path, uint32_t flags) noexcept {
    Op op = Make(code, old_dir);
    op.flags = flags;
    op.u.link = {old_path, new_path, new_dir};
    return op;
  }
};

static_assert(sizeof(Op) == sizeof(lio_op), "Op adds no state to lio_op");
// ABI 1.1 grew no struct a 1.0 side reads: the op's union stayed in its
// reserved words, the completion is frozen ([completion.layout_frozen]), and
// lio_statx has Linux's struct statx layout.
static_assert(sizeof(lio_op) == 2 * sizeof(uint64_t) + sizeof(lio_handle) + 4 * sizeof(uint64_t));
static_assert(sizeof(lio_completion) == 24);
static_assert(sizeof(lio_statx) == 256);

// "read", "timeout": the name of an op code, for messages.
const char* op_name(uint32_t code) noexcept;

}  // namespace lio

#endif  // LIO_CORE_OP_H_
