// What the shared conformance suite does not reach in the iocp backend: more
// buffers than one Winsock call carries, datagram connect, poll of a file,
// accept into a short address buffer, the option parser, negative handles,
// and destroy's bound when a handle's completions go to another port.
#include <gtest/gtest.h>
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "lio/core/backend.h"
#include "lio/core/op.h"
#include "lio/core/registry.h"

namespace lio {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

const BackendInfo& Iocp() {
  static Registry* registry = new Registry({fs::absolute("lio/plugins/iocp")});
  static const BackendInfo* info = [] {
    auto found = registry->Find("iocp");
    EXPECT_TRUE(found) << found.error().message;
    return found ? *found : nullptr;
  }();
  return *info;
}

sockaddr_in Loopback(uint16_t port = 0) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

struct Pair {
  SOCKET near_end = INVALID_SOCKET, far_end = INVALID_SOCKET, listener = INVALID_SOCKET;
  sockaddr_in listen_address{};
  ~Pair() {
    for (SOCKET s : {near_end, far_end, listener}) {
      if (s != INVALID_SOCKET) closesocket(s);
    }
  }
};

// A listening socket, and a connected pair through it.
void MakePair(Pair* p) {
  p->listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = Loopback();
  ASSERT_EQ(bind(p->listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(p->listener, 8), 0);
  int len = sizeof p->listen_address;
  getsockname(p->listener, reinterpret_cast<sockaddr*>(&p->listen_address), &len);
  p->near_end = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(connect(p->near_end, reinterpret_cast<sockaddr*>(&p->listen_address), sizeof p->listen_address), 0);
  p->far_end = accept(p->listener, nullptr, nullptr);
  ASSERT_NE(p->far_end, INVALID_SOCKET);
}

class IocpBackendTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    WSADATA data;
    WSAStartup(MAKEWORD(2, 2), &data);
  }
  void SetUp() override {
    auto created = Backend::Create(Iocp(), {.capacity = 64});
    ASSERT_TRUE(created) << created.error().message;
    backend_.emplace(std::move(created).value());
  }

  // Pushes `op`, waits for its completion (bounded), returns its result.
  int64_t Complete(const lio_op& op) {
    uint64_t id = next_id_++;
    EXPECT_FALSE(backend_->push(id, op));
    auto end = std::chrono::steady_clock::now() + seconds(5);
    while (std::chrono::steady_clock::now() < end) {
      auto batch = backend_->wait(milliseconds(100));
      if (!batch) return INT64_MIN;
      for (const lio_completion& c : *batch) {
        if (c.id == id) return c.result;
      }
    }
    ADD_FAILURE() << "no completion within 5 s";
    return INT64_MIN;
  }

  std::optional<Backend> backend_;
  uint64_t next_id_ = 1;
};

TEST_F(IocpBackendTest, OptionsAreCheckedAtCreate) {
  EXPECT_TRUE(Backend::Create(Iocp(), {.capacity = 4, .options = "workers=4"}));
  for (const char* bad : {"workers=0", "workers=65", "workers=x", "bogus=1", "workers"}) {
    auto created = Backend::Create(Iocp(), {.capacity = 4, .options = bad});
    ASSERT_FALSE(created) << bad;
    EXPECT_EQ(created.error().code, make_error(-LIO_EINVAL)) << bad;
  }
}

TEST_F(IocpBackendTest, NegativeHandlesAreEbadfNotPseudoHandles) {
  // -1 is GetCurrentProcess(): closing or reading it must not be attempted.
  EXPECT_EQ(Complete(Op::Close(LIO_INVALID_HANDLE)), -LIO_EBADF);
  char buf[4];
  EXPECT_EQ(Complete(Op::Read(-2, buf, sizeof buf, 0)), -LIO_EBADF);
  EXPECT_EQ(Complete(Op::Recv(LIO_INVALID_HANDLE, buf, sizeof buf)), -LIO_EBADF);
  EXPECT_EQ(Complete(Op::Poll(LIO_INVALID_HANDLE, LIO_POLL_IN)), -LIO_EBADF);
  EXPECT_EQ(Complete(Op::Nop()), 0) << "still alive";
}

TEST_F(IocpBackendTest, WritevWithMoreBuffersThanOneWsaSendSendsThemAll) {
  Pair p;
  MakePair(&p);
  std::vector<std::string> parts;
  std::vector<lio_iovec> iov;
  std::string all;
  for (int i = 0; i < 40; ++i) parts.push_back(std::string(1 + i % 7, static_cast<char>('a' + i % 26)));
  for (std::string& part : parts) {
    iov.push_back({part.data(), part.size()});
    all += part;
  }
  ASSERT_EQ(Complete(Op::Writev(static_cast<lio_handle>(p.near_end), iov.data(), iov.size())),
            static_cast<int64_t>(all.size()));
  std::string got(all.size(), '\0');
  size_t have = 0;
  while (have < got.size()) {
    int n = recv(p.far_end, got.data() + have, static_cast<int>(got.size() - have), 0);
    ASSERT_GT(n, 0);
    have += n;
  }
  EXPECT_EQ(got, all);
}

TEST_F(IocpBackendTest, ReadvOfASocketFillsBuffersInOrder) {
  Pair p;
  MakePair(&p);
  std::string sent = "0123456789abcdefghijklmnopqrstuvwxyz";
  ASSERT_EQ(send(p.far_end, sent.data(), static_cast<int>(sent.size()), 0), static_cast<int>(sent.size()));
  Sleep(50);
  std::vector<std::string> parts(40, std::string(1, '#'));
  std::vector<lio_iovec> iov;
  for (std::string& part : parts) iov.push_back({part.data(), part.size()});
  int64_t n = Complete(Op::Readv(static_cast<lio_handle>(p.near_end), iov.data(), iov.size()));
  ASSERT_GT(n, 0);
  ASSERT_LE(n, static_cast<int64_t>(sent.size()));
  std::string got;
  for (int64_t i = 0; i < n; ++i) got += parts[i];
  EXPECT_EQ(got, sent.substr(0, n)) << "a short read is allowed; out of order bytes are not";
}

TEST_F(IocpBackendTest, ReadvOfAFileWithManyBuffersReadsThemAll) {
  fs::path path = fs::temp_directory_path() / "iocp_readv_many";
  std::string content;
  for (int i = 0; i < 300; ++i) content += static_cast<char>('A' + i % 26);
  std::ofstream(path, std::ios::binary) << content;
  HANDLE f = CreateFileW(path.wstring().c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_DELETE, nullptr,
                         OPEN_EXISTING, FILE_FLAG_OVERLAPPED, nullptr);
  ASSERT_NE(f, INVALID_HANDLE_VALUE);
  std::vector<std::string> parts(100, std::string(3, '#'));
  std::vector<lio_iovec> iov;
  for (std::string& part : parts) iov.push_back({part.data(), part.size()});
  EXPECT_EQ(Complete(Op::Readv(reinterpret_cast<lio_handle>(f), iov.data(), iov.size(), 0)), 300);
  std::string got;
  for (const std::string& part : parts) got += part;
  EXPECT_EQ(got, content);
  backend_.reset();
  CloseHandle(f);
  fs::remove(path);
}

TEST_F(IocpBackendTest, SendmsgOfADatagramTooScatteredForOneCallIsEmsgsize) {
  SOCKET u = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to = Loopback(9);
  std::vector<char> bytes(40, 'x');
  std::vector<lio_iovec> iov;
  for (char& c : bytes) iov.push_back({&c, 1});
  lio_msghdr msg{&to, sizeof to, static_cast<uint32_t>(iov.size()), iov.data(), nullptr, 0, 0, 0};
  EXPECT_EQ(Complete(Op::Sendmsg(static_cast<lio_handle>(u), &msg)), -LIO_EMSGSIZE);
  backend_.reset();
  closesocket(u);
}

TEST_F(IocpBackendTest, ConnectOfADatagramSocketSetsItsPeer) {
  SOCKET a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in at = Loopback();
  ASSERT_EQ(bind(b, reinterpret_cast<sockaddr*>(&at), sizeof at), 0);
  int len = sizeof at;
  getsockname(b, reinterpret_cast<sockaddr*>(&at), &len);
  EXPECT_EQ(Complete(Op::Connect(static_cast<lio_handle>(a), &at, sizeof at)), 0);
  EXPECT_EQ(Complete(Op::Send(static_cast<lio_handle>(a), "dgram", 5)), 5);
  char got[8] = {};
  EXPECT_EQ(recv(b, got, sizeof got, 0), 5);
  backend_.reset();
  closesocket(a);
  closesocket(b);
}

TEST_F(IocpBackendTest, PollOfAFileIsReadyAtOnce) {
  fs::path path = fs::temp_directory_path() / "iocp_poll_file";
  std::ofstream(path) << "x";
  HANDLE f = CreateFileW(path.wstring().c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_DELETE, nullptr,
                         OPEN_EXISTING, FILE_FLAG_OVERLAPPED, nullptr);
  ASSERT_NE(f, INVALID_HANDLE_VALUE);
  EXPECT_EQ(Complete(Op::Poll(reinterpret_cast<lio_handle>(f), LIO_POLL_IN | LIO_POLL_OUT)),
            LIO_POLL_IN | LIO_POLL_OUT)
      << "as poll(2) says of regular files";
  backend_.reset();
  CloseHandle(f);
  fs::remove(path);
}

TEST_F(IocpBackendTest, AcceptIntoAShortAddressBufferTruncatesAndSaysTheSize) {
  Pair p;
  MakePair(&p);
  SOCKET client = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(connect(client, reinterpret_cast<sockaddr*>(&p.listen_address), sizeof p.listen_address), 0);
  char small[4];
  std::memset(small, '#', sizeof small);
  uint32_t len = sizeof small;
  int64_t accepted = Complete(Op::Accept(static_cast<lio_handle>(p.listener), small, &len));
  ASSERT_GE(accepted, 0);
  EXPECT_EQ(len, sizeof(sockaddr_in)) << "addrlen says the full size, as accept(2) does";
  EXPECT_EQ(reinterpret_cast<sockaddr*>(small)->sa_family, AF_INET);
  backend_.reset();
  closesocket(static_cast<SOCKET>(accepted));
  closesocket(client);
}

TEST_F(IocpBackendTest, DestroyEndsWhenAHandlesCompletionsGoToAnotherPort) {
  // A handle is bound to the first completion port that does I/O on it, for
  // life (Windows 8.1 can rebind; Wine 8 answers STATUS_NOT_IMPLEMENTED).
  // Its ops in a second instance complete to the first port, so the second
  // never sees them; destroy must still end, reading the OVERLAPPED.
  Pair p;
  MakePair(&p);
  char first[8], second[8];
  lio_handle near_end = static_cast<lio_handle>(p.near_end);
  EXPECT_FALSE(backend_->push(1, Op::Recv(near_end, first, sizeof first)));
  ASSERT_TRUE(backend_->flush());
  EXPECT_FALSE(backend_->cancel(1));
  auto batch = backend_->wait(seconds(5));
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 1u);
  EXPECT_EQ((*batch)[0].result, -LIO_ECANCELED);

  auto other = Backend::Create(Iocp(), {.capacity = 4});
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->push(2, Op::Recv(near_end, second, sizeof second)));
  ASSERT_TRUE(other->flush());
  auto start = std::chrono::steady_clock::now();
  other = Backend::Create(Iocp(), {.capacity = 4});  // destroys the second instance
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(5));
  ASSERT_EQ(send(p.far_end, "late", 4, 0), 4);
  char got[8] = {};
  EXPECT_EQ(recv(p.near_end, got, sizeof got, 0), 4) << "the destroyed instance's recv took the data";
}

// ---- handles opened without FILE_FLAG_OVERLAPPED ----

TEST_F(IocpBackendTest, SynchronousFileHandleReadsAndWritesOnAWorker) {
  fs::path path = fs::temp_directory_path() / "iocp_sync_file";
  std::ofstream(path, std::ios::binary) << "0123456789";
  HANDLE f = CreateFileW(path.wstring().c_str(), GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_DELETE,
                         nullptr, OPEN_EXISTING, 0, nullptr);  // synchronous
  ASSERT_NE(f, INVALID_HANDLE_VALUE);
  lio_handle h = reinterpret_cast<lio_handle>(f);
  char buf[4] = {};
  EXPECT_EQ(Complete(Op::Read(h, buf, 4, 3)), 4);
  EXPECT_EQ(std::string(buf, 4), "3456");
  LARGE_INTEGER position{};
  SetFilePointerEx(f, LARGE_INTEGER{}, &position, FILE_CURRENT);
  EXPECT_EQ(position.QuadPart, 0) << "a read at an offset leaves the file pointer alone";
  EXPECT_EQ(Complete(Op::Read(h, buf, 4)), 4);
  EXPECT_EQ(std::string(buf, 4), "0123");
  EXPECT_EQ(Complete(Op::Write(h, "ab", 2)), 2);
  SetFilePointerEx(f, LARGE_INTEGER{}, &position, FILE_CURRENT);
  EXPECT_EQ(position.QuadPart, 6) << "reads and writes at the file pointer advance it";
  EXPECT_EQ(Complete(Op::Read(h, buf, 4, 100)), 0) << "end of file";
  backend_.reset();
  CloseHandle(f);
  std::ifstream in(path, std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "0123ab6789");
  in.close();
  fs::remove(path);
}

TEST_F(IocpBackendTest, SynchronousPipeReadWaitsAndCancels) {
  HANDLE r, w;
  ASSERT_TRUE(CreatePipe(&r, &w, nullptr, 0));  // anonymous pipes are synchronous
  char buf[16] = {};
  ASSERT_FALSE(backend_->push(1, Op::Read(reinterpret_cast<lio_handle>(r), buf, sizeof buf)));
  ASSERT_TRUE(backend_->flush());
  auto batch = backend_->wait(milliseconds(50));
  ASSERT_TRUE(batch);
  EXPECT_TRUE(batch->empty()) << "nothing written yet";
  DWORD n = 0;
  ASSERT_TRUE(WriteFile(w, "pipe", 4, &n, nullptr));
  batch = backend_->wait(seconds(5));
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 1u);
  EXPECT_EQ((*batch)[0].result, 4);
  EXPECT_EQ(std::string(buf, 4), "pipe");

  ASSERT_FALSE(backend_->push(2, Op::Read(reinterpret_cast<lio_handle>(r), buf, sizeof buf)));
  ASSERT_TRUE(backend_->flush());
  Sleep(50);  // let the worker block in ReadFile
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(backend_->cancel(2));
  batch = backend_->wait(seconds(5));
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 1u);
  EXPECT_EQ((*batch)[0].result, -LIO_ECANCELED);
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(2));

  ASSERT_FALSE(backend_->push(3, Op::Read(reinterpret_cast<lio_handle>(r), buf, sizeof buf)));
  ASSERT_TRUE(backend_->flush());
  Sleep(50);
  start = std::chrono::steady_clock::now();
  backend_.reset();  // destroy interrupts the blocked read
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(3));
  CloseHandle(w);
  ASSERT_FALSE(backend_.has_value());
  char rest[4];
  EXPECT_FALSE(ReadFile(r, rest, sizeof rest, &n, nullptr)) << "the writer is gone and nothing was left unread";
  CloseHandle(r);
}

TEST_F(IocpBackendTest, SocketWithoutOverlappedFlagIsRefused) {
  SOCKET s = WSASocketW(AF_INET, SOCK_STREAM, 0, nullptr, 0, 0);  // synchronous socket
  ASSERT_NE(s, INVALID_SOCKET);
  char buf[4];
  EXPECT_EQ(Complete(Op::Recv(static_cast<lio_handle>(s), buf, sizeof buf)), -LIO_EOPNOTSUPP);
  EXPECT_EQ(Complete(Op::Poll(static_cast<lio_handle>(s), LIO_POLL_IN)), -LIO_EOPNOTSUPP);
  backend_.reset();
  closesocket(s);
}

}  // namespace
}  // namespace lio
