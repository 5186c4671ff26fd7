// The SQE of a plain op, written inline: the codes whose SQE is liburing's
// io_uring_prep_rw plus one word of op flags, and whose completion needs
// nothing kept (no kernel arguments after push, no fix-up of the result).
// push takes this path for every such op without flags; prep_sqe
// (op_prep.h) serves the rest out of line.
//
// Why a table of fields and not a call per code: the direct push path was a
// third of its instructions in prep_sqe's switch and liburing's per-helper
// stores; here each code picks six values and one store sequence writes the
// SQE. direct_prep_test checks that each code's SQE is byte for byte the one
// prep_sqe (liburing's helpers) writes.
#ifndef LIO_PLUGINS_IO_URING_DIRECT_PREP_H_
#define LIO_PLUGINS_IO_URING_DIRECT_PREP_H_

#include <liburing.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "lio/core/plugin_abi.h"
#include "lio/plugins/common/boundary.h"

namespace lio::io_uring_plugin {

// The packed stores of prep_direct_sqe rely on the SQE's layout (64 bytes,
// no SQE128) and on a little-endian machine.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__);
static_assert(sizeof(io_uring_sqe) == 64);
static_assert(offsetof(io_uring_sqe, flags) == 1 && offsetof(io_uring_sqe, ioprio) == 2 &&
              offsetof(io_uring_sqe, fd) == 4 && offsetof(io_uring_sqe, off) == 8);
static_assert(offsetof(io_uring_sqe, len) == 24 && offsetof(io_uring_sqe, rw_flags) == 28 &&
              offsetof(io_uring_sqe, user_data) == 32 && offsetof(io_uring_sqe, buf_index) == 40);

// read(2) and friends transfer at most this much per call; the SQE length
// field is 32 bits, so longer requests are clamped to the same short count
// the blocking call would return.
inline constexpr uint64_t kMaxTransfer = 0x7ffff000;
inline unsigned clamp_len(uint64_t len) { return static_cast<unsigned>(std::min(len, kMaxTransfer)); }

// The codes prep_direct_sqe writes.
inline constexpr uint64_t kDirectPrepCodes =
    LIO_CAP(LIO_OP_NOP) | LIO_CAP(LIO_OP_READ) | LIO_CAP(LIO_OP_WRITE) | LIO_CAP(LIO_OP_READV) |
    LIO_CAP(LIO_OP_WRITEV) | LIO_CAP(LIO_OP_FSYNC) | LIO_CAP(LIO_OP_CLOSE) | LIO_CAP(LIO_OP_SOCKET) |
    LIO_CAP(LIO_OP_ACCEPT) | LIO_CAP(LIO_OP_CONNECT) | LIO_CAP(LIO_OP_SEND) | LIO_CAP(LIO_OP_RECV) |
    LIO_CAP(LIO_OP_SHUTDOWN);

// True when prep_direct_sqe writes `op`'s SQE: one of those codes, and no
// per-op flag but fsync's DATASYNC (recv's buffer select needs prep_sqe).
// Generic flags (LIO_OPF_*) are the caller's to apply after.
inline bool direct_preppable(const lio_op& op) {
  if ((kDirectPrepCodes & LIO_CAP(op.code)) == 0) return false;
  const uint32_t own = op.flags & ~LIO_OPF_GENERIC;
  return own == 0 || (op.code == LIO_OP_FSYNC && own == LIO_FSYNC_DATASYNC);
}

// Fills every field of `sqe` but user_data, for an op direct_preppable
// accepts (checked by the kit: code and flags valid).
[[gnu::always_inline]] inline void prep_direct_sqe(const lio_op& op, io_uring_sqe* sqe) {
  int fd = plugin::to_fd(op.handle);
  uint8_t opcode = IORING_OP_NOP;
  uint64_t addr = 0;
  uint64_t off = 0;
  unsigned len = 0;
  uint32_t op_flags = 0;  // the union after len: rw_flags, fsync_flags, msg_flags, accept_flags
  switch (op.code) {
    case LIO_OP_NOP:
      fd = -1;
      break;
    case LIO_OP_READ:  // offset -1 (LIO_OFFSET_CURRENT) is io_uring's "file position" too
    case LIO_OP_WRITE:
      opcode = op.code == LIO_OP_READ ? IORING_OP_READ : IORING_OP_WRITE;
      addr = reinterpret_cast<uintptr_t>(op.u.rw.buf);
      len = clamp_len(op.u.rw.len);
      off = static_cast<uint64_t>(op.u.rw.offset);
      break;
    case LIO_OP_READV:
    case LIO_OP_WRITEV:
      opcode = op.code == LIO_OP_READV ? IORING_OP_READV : IORING_OP_WRITEV;
      addr = reinterpret_cast<uintptr_t>(op.u.rwv.iov);
      len = op.u.rwv.iovcnt;
      off = static_cast<uint64_t>(op.u.rwv.offset);
      break;
    case LIO_OP_FSYNC:
      opcode = IORING_OP_FSYNC;
      op_flags = (op.flags & LIO_FSYNC_DATASYNC) ? IORING_FSYNC_DATASYNC : 0;
      break;
    case LIO_OP_CLOSE:
      opcode = IORING_OP_CLOSE;
      break;
    case LIO_OP_SOCKET:  // liburing: fd = domain, len = protocol, off = type
      opcode = IORING_OP_SOCKET;
      fd = op.u.socket.domain;
      len = static_cast<unsigned>(op.u.socket.protocol);
      off = static_cast<uint64_t>(op.u.socket.type | SOCK_CLOEXEC);  // sign-extended, as liburing's int
      break;
    case LIO_OP_ACCEPT:  // liburing: off = the addrlen pointer
      opcode = IORING_OP_ACCEPT;
      addr = reinterpret_cast<uintptr_t>(op.u.accept.addr);
      off = reinterpret_cast<uintptr_t>(op.u.accept.addrlen);
      op_flags = SOCK_CLOEXEC;
      break;
    case LIO_OP_CONNECT:  // liburing: off = addrlen
      opcode = IORING_OP_CONNECT;
      addr = reinterpret_cast<uintptr_t>(op.u.connect.addr);
      off = op.u.connect.addrlen;
      break;
    case LIO_OP_SEND:
    case LIO_OP_RECV:
      opcode = op.code == LIO_OP_SEND ? IORING_OP_SEND : IORING_OP_RECV;
      addr = reinterpret_cast<uintptr_t>(op.u.sr.buf);
      len = clamp_len(op.u.sr.len);
      op_flags = static_cast<uint32_t>(op.u.sr.flags);
      break;
    case LIO_OP_SHUTDOWN:  // liburing: len = how
      opcode = IORING_OP_SHUTDOWN;
      len = static_cast<unsigned>(op.u.shutdown.how);
      break;
  }
  // io_uring_prep_rw's thirteen field stores as five: opcode, flags 0,
  // ioprio 0 and fd in one word; len and the op flags in one; the 24 bytes
  // after user_data (buf_index, personality, file_index, addr3, pad) zero.
  const uint64_t head = uint64_t{opcode} | uint64_t{static_cast<uint32_t>(fd)} << 32;
  const uint64_t len_and_flags = uint64_t{len} | uint64_t{op_flags} << 32;
  char* const bytes = reinterpret_cast<char*>(sqe);
  std::memcpy(bytes, &head, sizeof head);
  sqe->off = off;
  sqe->addr = addr;
  std::memcpy(bytes + offsetof(io_uring_sqe, len), &len_and_flags, sizeof len_and_flags);
  std::memset(bytes + offsetof(io_uring_sqe, buf_index), 0, sizeof(io_uring_sqe) - offsetof(io_uring_sqe, buf_index));
}

}  // namespace lio::io_uring_plugin

#endif  // LIO_PLUGINS_IO_URING_DIRECT_PREP_H_
