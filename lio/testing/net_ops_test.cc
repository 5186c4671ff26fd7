// The 1.1 socket, pipe and process operations — bind, listen, tee, splice,
// pipe, waitid — each result compared with its blocking call made on a twin
// (the same arguments on an identical handle), errors included; and accept
// on a Unix-domain listener, which reports the peer's sockaddr_un.
//
// bind and listen are portable; the rest are Linux calls (tee, splice,
// pipe2, waitid, fork), so their cases are compiled on POSIX only — a
// Windows backend cannot declare them honestly.
#include <array>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "lio/testing/conformance_test.h"

#if !defined(_WIN32)
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#endif

namespace lio::testing {
namespace {

class NetOpsTest : public ConformanceTest {
 protected:
  lio_handle NewSocket(int type) {
    int64_t h = platform::Socket(AF_INET, type, 0);
    EXPECT_GE(h, 0);
    return Own(static_cast<lio_handle>(h));
  }
};
LIO_INSTANTIATE_CONFORMANCE_SUITE(NetOpsTest);

// ---- bind ----

LIO_CONFORMANCE_CASE(NetOpsTest, result_as_blocking_call, BindTakesTheAddress) {
  LIO_REQUIRE_OPS(LIO_OP_BIND);
  lio_handle s = NewSocket(SOCK_STREAM);
  const sockaddr_in& any_port = Keep<sockaddr_in>(LoopbackAddress(0));
  ASSERT_EQ(Complete(Op::Bind(s, &any_port, sizeof any_port)), 0);
  sockaddr_in bound{};
  ASSERT_EQ(platform::LocalAddress(s, &bound), 0);
  EXPECT_NE(PortOf(bound), 0) << "the socket is bound to a real port";
}

LIO_CONFORMANCE_CASE(NetOpsTest, result_as_blocking_call, BindErrorsMatchSyscall) {
  LIO_REQUIRE_OPS(LIO_OP_BIND);
  // EADDRINUSE: a port a listener holds, asked by the op and by a twin.
  Listener taken = OwnedListener();
  const sockaddr_in& busy = Keep<sockaddr_in>(taken.address);
  lio_handle twin = NewSocket(SOCK_STREAM);
  const int64_t in_use = platform::Bind(twin, AsSockaddr(busy), sizeof busy);
  ASSERT_LT(in_use, 0);
  EXPECT_EQ(Complete(Op::Bind(NewSocket(SOCK_STREAM), &busy, sizeof busy)), in_use);
  // EINVAL: binding a socket that is bound already (the twin: `taken`).
  const sockaddr_in& any_port = Keep<sockaddr_in>(LoopbackAddress(0));
  const int64_t again = platform::Bind(taken.handle, AsSockaddr(any_port), sizeof any_port);
  ASSERT_LT(again, 0);
  lio_handle bound = NewSocket(SOCK_STREAM);
  ASSERT_EQ(platform::Bind(bound, AsSockaddr(any_port), sizeof any_port), 0);
  EXPECT_EQ(Complete(Op::Bind(bound, &any_port, sizeof any_port)), again);
  // EBADF: a handle that is not open.
  const lio_handle closed = platform::KnownClosedHandle();
  EXPECT_EQ(Complete(Op::Bind(closed, &any_port, sizeof any_port)),
            platform::Bind(closed, AsSockaddr(any_port), sizeof any_port));
}

// ---- listen ----

LIO_CONFORMANCE_CASE(NetOpsTest, result_as_blocking_call, ListenAcceptsConnections) {
  LIO_REQUIRE_OPS(LIO_OP_LISTEN);
  lio_handle s = NewSocket(SOCK_STREAM);
  sockaddr_in any_port = LoopbackAddress(0);
  ASSERT_EQ(platform::Bind(s, AsSockaddr(any_port), sizeof any_port), 0);
  ASSERT_EQ(Complete(Op::Listen(s, 16)), 0);
  sockaddr_in address{};
  ASSERT_EQ(platform::LocalAddress(s, &address), 0);
  lio_handle client = NewSocket(SOCK_STREAM);
  EXPECT_EQ(platform::Connect(client, AsSockaddr(address), sizeof address), 0) << "the socket listens";
}

LIO_CONFORMANCE_CASE(NetOpsTest, result_as_blocking_call, ListenErrorsMatchSyscall) {
  LIO_REQUIRE_OPS(LIO_OP_LISTEN);
  // A datagram socket cannot listen (EOPNOTSUPP), twin and op alike.
  UdpSocket twin = OwnedUdpSocket();
  UdpSocket udp = OwnedUdpSocket();
  const int64_t expected = platform::Listen(twin.handle);
  ASSERT_LT(expected, 0);
  EXPECT_EQ(Complete(Op::Listen(udp.handle, 16)), expected);
  const lio_handle closed = platform::KnownClosedHandle();
  EXPECT_EQ(Complete(Op::Listen(closed, 16)), platform::Listen(closed));
}

#if !defined(_WIN32)

int64_t Syscall(int returned) { return returned >= 0 ? returned : -errno; }

// ---- pipe ----

LIO_CONFORMANCE_CASE(NetOpsTest, pipe_handles, PipeWritesBothEnds) {
  LIO_REQUIRE_OPS(LIO_OP_PIPE);
  lio_handle* fds = Keep<std::array<lio_handle, 2>>(std::array<lio_handle, 2>{-7, -7}).data();
  ASSERT_EQ(Complete(Op::Pipe(fds)), 0);
  ASSERT_GE(fds[0], 0);
  ASSERT_GE(fds[1], 0);
  Own(fds[0]);
  Own(fds[1]);
  EXPECT_NE(fds[0], fds[1]);
  for (lio_handle end : {fds[0], fds[1]}) {
    EXPECT_FALSE(platform::IsInheritable(end)) << "close-on-exec, as pipe2(O_CLOEXEC)";
    EXPECT_NE(platform::IsBlocking(end), false) << "blocking mode";
  }
  EXPECT_EQ(fcntl(static_cast<int>(fds[0]), F_GETFL) & O_ACCMODE, O_RDONLY) << "fds[0] is the read end";
  EXPECT_EQ(fcntl(static_cast<int>(fds[1]), F_GETFL) & O_ACCMODE, O_WRONLY) << "fds[1] is the write end";
  ASSERT_EQ(write(static_cast<int>(fds[1]), "ping", 4), 4);
  char got[4] = {};
  ASSERT_EQ(read(static_cast<int>(fds[0]), got, 4), 4);
  EXPECT_EQ(std::string_view(got, 4), "ping");
}

LIO_CONFORMANCE_CASE(NetOpsTest, result_as_blocking_call, PipeWithoutArrayIsEfault) {
  LIO_REQUIRE_OPS(LIO_OP_PIPE);
  EXPECT_EQ(Complete(Op::Pipe(nullptr)), -LIO_EFAULT) << "pipe2(NULL) answers EFAULT";
}

// ---- tee / splice ----

struct PipeEnds {
  lio_handle read = -1;
  lio_handle write = -1;
};

class PipeOpsTest : public NetOpsTest {
 protected:
  PipeEnds NewPipe() {
    int fds[2];
    EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0);
    return {Own(static_cast<lio_handle>(fds[0])), Own(static_cast<lio_handle>(fds[1]))};
  }
  static void Put(lio_handle h, std::string_view bytes) {
    ASSERT_EQ(write(static_cast<int>(h), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  static std::string Take(lio_handle h, size_t max = 64) {
    std::string bytes(max, '\0');
    ssize_t n = read(static_cast<int>(h), bytes.data(), bytes.size());
    bytes.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return bytes;
  }
};
LIO_INSTANTIATE_CONFORMANCE_SUITE(PipeOpsTest);

LIO_CONFORMANCE_CASE(PipeOpsTest, result_as_blocking_call, TeeDuplicatesPipeData) {
  LIO_REQUIRE_OPS(LIO_OP_TEE);
  PipeEnds from = NewPipe();
  PipeEnds to = NewPipe();
  Put(from.write, "duplicate me");
  EXPECT_EQ(Complete(Op::Tee(from.read, to.write, 64)), 12);
  EXPECT_EQ(Take(to.read), "duplicate me");
  EXPECT_EQ(Take(from.read), "duplicate me") << "tee consumes nothing";
}

LIO_CONFORMANCE_CASE(PipeOpsTest, result_as_blocking_call, TeeWaitsForData) {
  LIO_REQUIRE_OPS(LIO_OP_TEE);
  PipeEnds from = NewPipe();
  PipeEnds to = NewPipe();
  uint64_t id = PushNew(Op::Tee(from.read, to.write, 64));
  Flush();
  EXPECT_TRUE(ReapFor(milliseconds(20)).empty()) << "an empty pipe: tee waits, as the blocking call does";
  Put(from.write, "late");
  EXPECT_EQ(WaitForId(id), 4);
  EXPECT_EQ(Take(to.read), "late");
}

LIO_CONFORMANCE_CASE(PipeOpsTest, result_as_blocking_call, TeeWaitsForRoomInTheOutput) {
  LIO_REQUIRE_OPS(LIO_OP_TEE);
  PipeEnds from = NewPipe();
  PipeEnds to = NewPipe();
  // Fill the output pipe (non-blocking for the filling only).
  const int out = static_cast<int>(to.write);
  const int flags = fcntl(out, F_GETFL);
  ASSERT_EQ(fcntl(out, F_SETFL, flags | O_NONBLOCK), 0);
  std::string chunk(4096, 'f');
  size_t filled = 0;
  for (ssize_t n; (n = write(out, chunk.data(), chunk.size())) > 0;) filled += static_cast<size_t>(n);
  ASSERT_EQ(fcntl(out, F_SETFL, flags), 0);
  ASSERT_GT(filled, 0u);
  uint64_t id = PushNew(Op::Tee(from.read, to.write, 64));
  Flush();
  EXPECT_TRUE(ReapFor(milliseconds(20)).empty()) << "nothing to duplicate yet";
  Put(from.write, "held up");
  EXPECT_TRUE(ReapFor(milliseconds(20)).empty()) << "the output is full: tee waits for room";
  for (size_t drained = 0; drained < filled;) {
    const std::string taken = Take(to.read, 65536);
    ASSERT_FALSE(taken.empty());
    drained += taken.size();
  }
  EXPECT_EQ(WaitForId(id), 7);
  EXPECT_EQ(Take(to.read), "held up");
}

LIO_CONFORMANCE_CASE(PipeOpsTest, result_as_blocking_call, TeeErrorsMatchSyscall) {
  LIO_REQUIRE_OPS(LIO_OP_TEE);
  PipeEnds pipe = NewPipe();
  TcpPair tcp = OwnedTcpPair();
  ASSERT_TRUE(tcp.ok());
  // A socket is not a pipe: EINVAL.
  const int64_t not_pipe = Syscall(tee(static_cast<int>(pipe.read), static_cast<int>(tcp.tested), 8, 0));
  ASSERT_LT(not_pipe, 0);
  EXPECT_EQ(Complete(Op::Tee(pipe.read, tcp.tested, 8)), not_pipe);
  const lio_handle closed = platform::KnownClosedHandle();
  EXPECT_EQ(Complete(Op::Tee(closed, pipe.write, 8)),
            Syscall(tee(static_cast<int>(closed), static_cast<int>(pipe.write), 8, 0)));
}

LIO_CONFORMANCE_CASE(PipeOpsTest, result_as_blocking_call, SpliceMovesSocketToPipeToSocket) {
  LIO_REQUIRE_OPS(LIO_OP_SPLICE);
  TcpPair in = OwnedTcpPair();
  TcpPair out = OwnedTcpPair();
  ASSERT_TRUE(in.ok() && out.ok());
  PipeEnds pipe = NewPipe();
  ASSERT_EQ(platform::Send(in.peer, "through the pipe", 16, 0), 16);
  EXPECT_EQ(Complete(Op::Splice(in.tested, LIO_OFFSET_CURRENT, pipe.write, LIO_OFFSET_CURRENT, 64)), 16);
  EXPECT_EQ(Complete(Op::Splice(pipe.read, LIO_OFFSET_CURRENT, out.tested, LIO_OFFSET_CURRENT, 64)), 16);
  char got[16] = {};
  ASSERT_EQ(platform::Recv(out.peer, got, sizeof got, MSG_WAITALL), 16);
  EXPECT_EQ(std::string_view(got, 16), "through the pipe");
  EXPECT_NE(platform::IsBlocking(in.tested), false) << "the caller's socket mode is kept";
  EXPECT_NE(platform::IsBlocking(pipe.read), false) << "the caller's pipe mode is kept";
}

LIO_CONFORMANCE_CASE(PipeOpsTest, result_as_blocking_call, SpliceWaitsForTheSocket) {
  LIO_REQUIRE_OPS(LIO_OP_SPLICE);
  TcpPair in = OwnedTcpPair();
  ASSERT_TRUE(in.ok());
  PipeEnds pipe = NewPipe();
  uint64_t id = PushNew(Op::Splice(in.tested, LIO_OFFSET_CURRENT, pipe.write, LIO_OFFSET_CURRENT, 64));
  Flush();
  EXPECT_TRUE(ReapFor(milliseconds(20)).empty()) << "nothing to read: splice waits, as the blocking call does";
  ASSERT_EQ(platform::Send(in.peer, "late", 4, 0), 4);
  EXPECT_EQ(WaitForId(id), 4);
  EXPECT_EQ(Take(pipe.read), "late");
}

LIO_CONFORMANCE_CASE(PipeOpsTest, result_as_blocking_call, SpliceFromFileAtOffset) {
  LIO_REQUIRE_OPS(LIO_OP_SPLICE);
  lio_handle file = OpenOwned(WriteFile("source", "0123456789"), platform::Access::kReadOnly);
  PipeEnds pipe = NewPipe();
  EXPECT_EQ(Complete(Op::Splice(file, 4, pipe.write, LIO_OFFSET_CURRENT, 3)), 3);
  EXPECT_EQ(Take(pipe.read), "456");
  EXPECT_EQ(platform::FilePosition(file), 0) << "an offset leaves the file position alone";
}

LIO_CONFORMANCE_CASE(PipeOpsTest, result_as_blocking_call, SpliceErrorsMatchSyscall) {
  LIO_REQUIRE_OPS(LIO_OP_SPLICE);
  PipeEnds pipe = NewPipe();
  PipeEnds other = NewPipe();
  Put(pipe.write, "x");
  // An offset on a pipe end: ESPIPE.
  loff_t offset = 0;
  const int64_t seek = Syscall(static_cast<int>(
      splice(static_cast<int>(pipe.read), &offset, static_cast<int>(other.write), nullptr, 1, SPLICE_F_NONBLOCK)));
  ASSERT_LT(seek, 0);
  EXPECT_EQ(Complete(Op::Splice(pipe.read, 0, other.write, LIO_OFFSET_CURRENT, 1)), seek);
  const lio_handle closed = platform::KnownClosedHandle();
  EXPECT_EQ(Complete(Op::Splice(closed, LIO_OFFSET_CURRENT, pipe.write, LIO_OFFSET_CURRENT, 1)),
            Syscall(static_cast<int>(splice(static_cast<int>(closed), nullptr, static_cast<int>(pipe.write),
                                            nullptr, 1, 0))));
  // Neither end a pipe: EINVAL.
  TcpPair a = OwnedTcpPair();
  TcpPair b = OwnedTcpPair();
  ASSERT_TRUE(a.ok() && b.ok());
  const int64_t no_pipe = Syscall(static_cast<int>(
      splice(static_cast<int>(a.tested), nullptr, static_cast<int>(b.tested), nullptr, 1, SPLICE_F_NONBLOCK)));
  ASSERT_LT(no_pipe, 0);
  EXPECT_EQ(Complete(Op::Splice(a.tested, LIO_OFFSET_CURRENT, b.tested, LIO_OFFSET_CURRENT, 1)), no_pipe);
}

// ---- waitid ----

// A child that exits with `status` once the parent closes the gate pipe's
// write end (the child closes its own copy first; it touches nothing else).
pid_t SpawnWaitingChild(const int (&gate)[2], int status) {
  pid_t pid = fork();
  if (pid == 0) {
    close(gate[1]);
    const int gate_read = gate[0];
    char byte;
    while (read(gate_read, &byte, 1) < 0 && errno == EINTR) {
    }
    _exit(status);
  }
  return pid;
}

class WaitidTest : public NetOpsTest {
 protected:
  // A child that exits with `status` when Release() is called.
  pid_t Spawn(int status) {
    int gate[2];
    EXPECT_EQ(pipe2(gate, O_CLOEXEC), 0);
    pid_t pid = SpawnWaitingChild(gate, status);
    close(gate[0]);
    gate_ = gate[1];
    EXPECT_GT(pid, 0);
    children_.push_back(pid);
    return pid;
  }
  void Release() {
    if (gate_ >= 0) close(gate_);
    gate_ = -1;
  }
  void TearDown() override {
    Release();
    NetOpsTest::TearDown();
    for (pid_t pid : children_) waitpid(pid, nullptr, 0);  // reaps what the case did not
  }

 private:
  int gate_ = -1;
  std::vector<pid_t> children_;
};
LIO_INSTANTIATE_CONFORMANCE_SUITE(WaitidTest);

LIO_CONFORMANCE_CASE(WaitidTest, waitid_info, WaitidReportsTheExit) {
  LIO_REQUIRE_OPS(LIO_OP_WAITID);
  pid_t pid = Spawn(7);
  auto& info = Keep<siginfo_t>();
  std::memset(&info, 0xff, sizeof info);
  uint64_t id = PushNew(Op::Waitid(P_PID, pid, WEXITED, &info));
  Flush();
  EXPECT_TRUE(ReapFor(milliseconds(20)).empty()) << "the child runs: waitid waits, as the blocking call does";
  Release();
  ASSERT_EQ(WaitForId(id), 0);
  EXPECT_EQ(info.si_pid, pid);
  EXPECT_EQ(info.si_signo, SIGCHLD);
  EXPECT_EQ(info.si_code, CLD_EXITED);
  EXPECT_EQ(info.si_status, 7);
  EXPECT_EQ(Syscall(waitpid(pid, nullptr, WNOHANG)), -ECHILD) << "waitid reaped the child";
}

LIO_CONFORMANCE_CASE(WaitidTest, waitid_info, WaitidThroughAPidfd) {
  LIO_REQUIRE_OPS(LIO_OP_WAITID);
  pid_t pid = Spawn(9);
  const long pidfd = syscall(SYS_pidfd_open, pid, 0u);
  if (pidfd < 0) GTEST_SKIP() << "no pidfd_open here (Linux 5.3+)";
  Own(static_cast<lio_handle>(pidfd));
  auto& info = Keep<siginfo_t>();
  uint64_t id = PushNew(Op::Waitid(P_PIDFD, static_cast<int32_t>(pidfd), WEXITED, &info));
  Flush();
  EXPECT_TRUE(ReapFor(milliseconds(20)).empty()) << "the child runs: waitid waits";
  Release();
  ASSERT_EQ(WaitForId(id), 0);
  EXPECT_EQ(info.si_pid, pid);
  EXPECT_EQ(info.si_status, 9);
}

LIO_CONFORMANCE_CASE(WaitidTest, waitid_info, WaitidNohangOnRunningChildClearsInfo) {
  LIO_REQUIRE_OPS(LIO_OP_WAITID);
  pid_t pid = Spawn(0);
  auto& info = Keep<siginfo_t>();
  std::memset(&info, 0xff, sizeof info);
  ASSERT_EQ(Complete(Op::Waitid(P_PID, pid, WEXITED | WNOHANG, &info)), 0);
  EXPECT_EQ(info.si_pid, 0) << "nothing to report: waitid(WNOHANG) leaves si_pid 0";
}

LIO_CONFORMANCE_CASE(WaitidTest, result_as_blocking_call, WaitidAnyChildWithNullInfo) {
  LIO_REQUIRE_OPS(LIO_OP_WAITID);
  pid_t pid = Spawn(3);
  Release();
  EXPECT_EQ(Complete(Op::Waitid(P_PID, pid, WEXITED | WNOWAIT, nullptr)), 0) << "info may be NULL";
  EXPECT_EQ(Complete(Op::Waitid(P_ALL, 0, WEXITED, nullptr)), 0);
  EXPECT_EQ(Syscall(waitpid(pid, nullptr, WNOHANG)), -ECHILD) << "P_ALL reaped the one child";
}

LIO_CONFORMANCE_CASE(WaitidTest, result_as_blocking_call, WaitidErrorsMatchSyscall) {
  LIO_REQUIRE_OPS(LIO_OP_WAITID);
  siginfo_t twin{};
  auto& info = Keep<siginfo_t>();
  // Not a child of ours (the parent of the test): ECHILD.
  const pid_t stranger = getppid();
  const int64_t not_child = Syscall(waitid(P_PID, static_cast<id_t>(stranger), &twin, WEXITED));
  ASSERT_EQ(not_child, -ECHILD);
  EXPECT_EQ(Complete(Op::Waitid(P_PID, stranger, WEXITED, &info)), not_child);
  // No W* event asked for: EINVAL.
  const int64_t no_event = Syscall(waitid(P_ALL, 0, &twin, 0));
  ASSERT_EQ(no_event, -EINVAL);
  EXPECT_EQ(Complete(Op::Waitid(P_ALL, 0, 0, &info)), no_event);
  // A bad idtype: EINVAL.
  const int64_t bad_type = Syscall(waitid(static_cast<idtype_t>(77), 0, &twin, WEXITED));
  EXPECT_EQ(Complete(Op::Waitid(77, 0, WEXITED, &info)), bad_type);
}

LIO_CONFORMANCE_CASE(WaitidTest, cancel_completes_once, WaitidOnRunningChildCancels) {
  LIO_REQUIRE_OPS(LIO_OP_WAITID);
  pid_t pid = Spawn(0);
  auto& info = Keep<siginfo_t>();
  uint64_t id = PushNew(Op::Waitid(P_PID, pid, WEXITED, &info));
  Flush();
  EXPECT_TRUE(ReapFor(milliseconds(10)).empty());
  ASSERT_EQ(Cancel(id), 0);
  EXPECT_EQ(WaitForId(id), -LIO_ECANCELED);
}

// ---- accept on a Unix-domain listener ----

LIO_CONFORMANCE_CASE(NetOpsTest, accept_address, AcceptOnUnixListenerReturnsPeerPath) {
  LIO_REQUIRE_OPS(LIO_OP_ACCEPT);
  auto unix_address = [](const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    return address;
  };
  // sun_path holds 108 bytes: a short directory of its own under /tmp.
  char dir_template[] = "/tmp/lio-un-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  auto& dir = Keep<std::shared_ptr<const char>>(
      strdup(dir_template), [](const char* d) { std::filesystem::remove_all(d); free(const_cast<char*>(d)); });
  const std::string server_path = std::string(dir.get()) + "/server.sock";
  const std::string client_path = std::string(dir.get()) + "/client.sock";
  sockaddr_un server = unix_address(server_path);
  sockaddr_un client_name = unix_address(client_path);
  lio_handle listener = Own(static_cast<lio_handle>(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)));
  ASSERT_EQ(bind(static_cast<int>(listener), reinterpret_cast<sockaddr*>(&server), sizeof server), 0);
  ASSERT_EQ(listen(static_cast<int>(listener), 4), 0);
  lio_handle client = Own(static_cast<lio_handle>(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)));
  ASSERT_EQ(bind(static_cast<int>(client), reinterpret_cast<sockaddr*>(&client_name), sizeof client_name), 0);
  ASSERT_EQ(connect(static_cast<int>(client), reinterpret_cast<sockaddr*>(&server), sizeof server), 0);
  auto& peer = Keep<sockaddr_un>();
  uint32_t& peer_len = Keep<uint32_t>(static_cast<uint32_t>(sizeof peer));
  Result accepted = Complete(Op::Accept(listener, &peer, &peer_len));
  ASSERT_GE(accepted, 0);
  Own(accepted);
  EXPECT_EQ(peer.sun_family, AF_UNIX);
  EXPECT_EQ(std::string(peer.sun_path), client_path);
  EXPECT_EQ(peer_len, offsetof(sockaddr_un, sun_path) + client_path.size() + 1) << "the address's size";
}

#endif  // !_WIN32

}  // namespace
}  // namespace lio::testing
