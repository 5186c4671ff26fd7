// prep_direct_sqe writes, for each code it serves, the SQE liburing's own
// helper writes (the oracle): every byte but user_data, from an SQE filled
// with garbage first, so a field it forgets shows.
#include "lio/plugins/io_uring/direct_prep.h"

#include <gtest/gtest.h>
#include <liburing.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cstring>
#include <functional>

namespace lio::io_uring_plugin {
namespace {

lio_op make_op(uint32_t code, lio_handle handle = 7) {
  lio_op op{};
  op.struct_size = sizeof(lio_op);
  op.abi_version = LIO_ABI_VERSION;
  op.code = code;
  op.handle = handle;
  return op;
}

io_uring_sqe garbage_sqe() {
  io_uring_sqe sqe;
  std::memset(&sqe, 0xa5, sizeof sqe);
  return sqe;
}

// The SQE prep_direct_sqe writes for `op` equals the one `oracle` writes.
void expect_same_sqe(const lio_op& op, const std::function<void(io_uring_sqe*)>& oracle) {
  ASSERT_TRUE(direct_preppable(op)) << "code " << op.code;
  io_uring_sqe ours = garbage_sqe();
  io_uring_sqe theirs = garbage_sqe();
  prep_direct_sqe(op, &ours);
  oracle(&theirs);
  EXPECT_EQ(std::memcmp(&ours, &theirs, sizeof ours), 0)
      << "code " << op.code << ": opcode " << int{ours.opcode} << "/" << int{theirs.opcode} << ", fd " << ours.fd << "/"
      << theirs.fd << ", off " << ours.off << "/" << theirs.off << ", addr " << ours.addr << "/" << theirs.addr
      << ", len " << ours.len << "/" << theirs.len << ", flags word " << ours.rw_flags << "/" << theirs.rw_flags;
}

char buffer[64];
iovec iovs[3];

TEST(DirectPrep, NopAsLiburing) {
  expect_same_sqe(make_op(LIO_OP_NOP), [](io_uring_sqe* s) { io_uring_prep_nop(s); });
}

TEST(DirectPrep, ReadWriteAsLiburing) {
  for (int64_t offset : {int64_t{0}, int64_t{4096}, int64_t{LIO_OFFSET_CURRENT}}) {
    lio_op read = make_op(LIO_OP_READ);
    read.u.rw = {.buf = buffer, .len = 33, .offset = offset};
    expect_same_sqe(read, [&](io_uring_sqe* s) { io_uring_prep_read(s, 7, buffer, 33, static_cast<uint64_t>(offset)); });
    lio_op write = make_op(LIO_OP_WRITE);
    write.u.rw = {.buf = buffer, .len = 12, .offset = offset};
    expect_same_sqe(write, [&](io_uring_sqe* s) { io_uring_prep_write(s, 7, buffer, 12, static_cast<uint64_t>(offset)); });
  }
}

TEST(DirectPrep, LengthOverTheKernelsLimitIsClampedAsBefore) {
  lio_op read = make_op(LIO_OP_READ);
  read.u.rw = {.buf = buffer, .len = uint64_t{1} << 40, .offset = 0};
  expect_same_sqe(read, [](io_uring_sqe* s) { io_uring_prep_read(s, 7, buffer, 0x7ffff000, 0); });
  lio_op send = make_op(LIO_OP_SEND);
  send.u.sr = {.buf = buffer, .len = UINT64_MAX, .flags = 0};
  expect_same_sqe(send, [](io_uring_sqe* s) { io_uring_prep_send(s, 7, buffer, 0x7ffff000, 0); });
}

TEST(DirectPrep, HandleOutOfIntRangeBecomesMinusOne) {
  lio_op read = make_op(LIO_OP_READ, (lio_handle{1} << 32) + 3);
  read.u.rw = {.buf = buffer, .len = 1, .offset = 0};
  expect_same_sqe(read, [](io_uring_sqe* s) { io_uring_prep_read(s, -1, buffer, 1, 0); });
}

TEST(DirectPrep, VectoredAsLiburing) {
  lio_op readv = make_op(LIO_OP_READV);
  readv.u.rwv = {.iov = reinterpret_cast<const lio_iovec*>(iovs), .iovcnt = 3, .offset = 8};
  expect_same_sqe(readv, [](io_uring_sqe* s) { io_uring_prep_readv(s, 7, iovs, 3, 8); });
  lio_op writev = make_op(LIO_OP_WRITEV);
  writev.u.rwv = {.iov = reinterpret_cast<const lio_iovec*>(iovs), .iovcnt = 2, .offset = LIO_OFFSET_CURRENT};
  expect_same_sqe(writev, [](io_uring_sqe* s) { io_uring_prep_writev(s, 7, iovs, 2, static_cast<uint64_t>(-1)); });
}

TEST(DirectPrep, FsyncAsLiburing) {
  expect_same_sqe(make_op(LIO_OP_FSYNC), [](io_uring_sqe* s) { io_uring_prep_fsync(s, 7, 0); });
  lio_op datasync = make_op(LIO_OP_FSYNC);
  datasync.flags = LIO_FSYNC_DATASYNC;
  expect_same_sqe(datasync, [](io_uring_sqe* s) { io_uring_prep_fsync(s, 7, IORING_FSYNC_DATASYNC); });
}

TEST(DirectPrep, CloseAndShutdownAsLiburing) {
  expect_same_sqe(make_op(LIO_OP_CLOSE), [](io_uring_sqe* s) { io_uring_prep_close(s, 7); });
  lio_op shutdown = make_op(LIO_OP_SHUTDOWN);
  shutdown.u.shutdown.how = SHUT_WR;
  expect_same_sqe(shutdown, [](io_uring_sqe* s) { io_uring_prep_shutdown(s, 7, SHUT_WR); });
}

TEST(DirectPrep, SocketsAsLiburing) {
  lio_op socket = make_op(LIO_OP_SOCKET, 0);
  socket.u.socket = {.domain = AF_INET6, .type = SOCK_STREAM | SOCK_NONBLOCK, .protocol = 6};
  expect_same_sqe(socket, [](io_uring_sqe* s) {
    io_uring_prep_socket(s, AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 6, 0);
  });
  lio_op bad_type = make_op(LIO_OP_SOCKET, 0);  // a negative type reaches the kernel as liburing passes it
  bad_type.u.socket = {.domain = AF_INET, .type = -5, .protocol = 0};
  expect_same_sqe(bad_type, [](io_uring_sqe* s) { io_uring_prep_socket(s, AF_INET, -5 | SOCK_CLOEXEC, 0, 0); });

  sockaddr_storage addr{};
  uint32_t addrlen = sizeof addr;
  lio_op accept = make_op(LIO_OP_ACCEPT);
  accept.u.accept = {.addr = &addr, .addrlen = &addrlen};
  expect_same_sqe(accept, [&](io_uring_sqe* s) {
    io_uring_prep_accept(s, 7, reinterpret_cast<sockaddr*>(&addr), reinterpret_cast<socklen_t*>(&addrlen),
                         SOCK_CLOEXEC);
  });
  lio_op connect = make_op(LIO_OP_CONNECT);
  connect.u.connect = {.addr = &addr, .addrlen = 28};
  expect_same_sqe(connect, [&](io_uring_sqe* s) { io_uring_prep_connect(s, 7, reinterpret_cast<sockaddr*>(&addr), 28); });

  lio_op send = make_op(LIO_OP_SEND);
  send.u.sr = {.buf = buffer, .len = 10, .flags = MSG_NOSIGNAL | MSG_MORE};
  expect_same_sqe(send, [](io_uring_sqe* s) { io_uring_prep_send(s, 7, buffer, 10, MSG_NOSIGNAL | MSG_MORE); });
  lio_op recv = make_op(LIO_OP_RECV);
  recv.u.sr = {.buf = buffer, .len = 64, .flags = MSG_WAITALL};
  expect_same_sqe(recv, [](io_uring_sqe* s) { io_uring_prep_recv(s, 7, buffer, 64, MSG_WAITALL); });
}

TEST(DirectPrep, OnlyPlainOpsOfItsCodes) {
  EXPECT_FALSE(direct_preppable(make_op(LIO_OP_OPENAT)));
  EXPECT_FALSE(direct_preppable(make_op(LIO_OP_TIMEOUT)));
  EXPECT_FALSE(direct_preppable(make_op(LIO_OP_RECV_MULTI)));
  lio_op select = make_op(LIO_OP_RECV);
  select.flags = LIO_RECV_BUFFER_SELECT;  // needs a buffer group: prep_sqe's
  EXPECT_FALSE(direct_preppable(select));
  lio_op linked = make_op(LIO_OP_READ);
  linked.flags = LIO_OPF_LINK;  // generic flags are applied after, by the caller
  EXPECT_TRUE(direct_preppable(linked));
}

}  // namespace
}  // namespace lio::io_uring_plugin
