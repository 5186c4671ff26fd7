// "No allocation after init": this binary replaces the global operator new
// and counts calls; the dlopen'ed plugin's calls resolve to it (checked: its
// create() is seen allocating). After create, socket ops — immediate and
// pending, in both directions — timers, cancel, poll, accept/connect and
// file ops on the worker pool run many times without one allocation.
#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "lio/core/op.h"
#include "lio/core/plugin_abi.h"

namespace {
std::atomic<long> allocations{0};
}  // namespace

// Every (non-aligned) form, so no pair mixes ours with the runtime's (ASan
// checks that what operator new gave is given back to operator delete).
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new(std::size_t size) {
  if (void* p = operator new(size, std::nothrow)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return operator new(size, std::nothrow); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

const lio_backend_vtable* LoadPoller() {
#if defined(LIO_TEST_POLLER_KQUEUE)  // poller_kqueue_alloc_test: libkqueue's malloc is not counted
  constexpr char kPluginFile[] = "liblio_poller_kqueue.so";
#else
  constexpr char kPluginFile[] = "liblio_poller.so";
#endif
  std::string path = std::string(std::getenv("TEST_SRCDIR")) + "/lio/lio/plugins/poller/" + kPluginFile;
  void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) return nullptr;
  auto register_fn = reinterpret_cast<lio_plugin_register_fn>(dlsym(library, LIO_PLUGIN_REGISTER_SYMBOL));
  static const lio_backend_vtable* registered = nullptr;
  lio_registrar registrar{};
  registrar.struct_size = sizeof registrar;
  registrar.abi_version = LIO_ABI_VERSION;
  registrar.register_backend = [](void*, const lio_backend_vtable* v) {
    registered = v;
    return 0;
  };
  return register_fn(&registrar) == 0 ? registered : nullptr;
}

// Runs one op to completion through the raw vtable; its result, or INT64_MIN
// when it did not complete within ~5 s. Allocates nothing itself.
int64_t RunToCompletion(const lio_backend_vtable* vt, lio_backend* b, uint64_t id, const lio_op& op) {
  if (vt->push(b, id, &op) != 0) return INT64_MIN;
  for (int round = 0; round < 5000; ++round) {
    const lio_completion* out = nullptr;
    int n = vt->wait(b, 1'000'000, &out);
    for (int i = 0; i < n; ++i) {
      if (out[i].id == id) return out[i].result;
    }
  }
  return INT64_MIN;
}

// Waits for `id` without pushing anything.
int64_t Reap(const lio_backend_vtable* vt, lio_backend* b, uint64_t id) {
  for (int round = 0; round < 5000; ++round) {
    const lio_completion* out = nullptr;
    int n = vt->wait(b, 1'000'000, &out);
    for (int i = 0; i < n; ++i) {
      if (out[i].id == id) return out[i].result;
    }
  }
  return INT64_MIN;
}

// Waits for two ids, in whichever order they complete.
void ReapBoth(const lio_backend_vtable* vt, lio_backend* b, uint64_t id1, int64_t* result1, uint64_t id2,
              int64_t* result2) {
  *result1 = *result2 = INT64_MIN;
  for (int round = 0; round < 5000 && (*result1 == INT64_MIN || *result2 == INT64_MIN); ++round) {
    const lio_completion* out = nullptr;
    int n = vt->wait(b, 1'000'000, &out);
    for (int i = 0; i < n; ++i) {
      if (out[i].id == id1) *result1 = out[i].result;
      if (out[i].id == id2) *result2 = out[i].result;
    }
  }
}

TEST(ZeroAllocation, AfterCreateOnEveryPath) {
  const lio_backend_vtable* vt = LoadPoller();
  ASSERT_NE(vt, nullptr) << dlerror();
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener, 64), 0);
  socklen_t addr_len = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &addr_len);
  std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/alloc_file";
  int file = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(file, 0);

  lio_backend_config config{};
  config.struct_size = sizeof config;
  config.abi_version = LIO_ABI_VERSION;
  config.capacity = 32;
  config.options = "workers=2";
  lio_backend* b = nullptr;
  long before_create = allocations.load();
  ASSERT_EQ(vt->create(&config, &b), 0);
  ASSERT_GT(allocations.load(), before_create) << "the counter does not see the plugin's allocations";

  // Results go to plain arrays; nothing below allocates unless the plugin does.
  constexpr int kRounds = 50;
  int64_t results[kRounds][10];
  char buf[64];
  long before = allocations.load();
  uint64_t id = 1;
  for (int r = 0; r < kRounds; ++r) {
    int64_t* out = results[r];
    // A pending recv served when data arrives, then an immediate send.
    lio_op recv = lio::Op::Recv(pair[0], buf, sizeof buf);
    uint64_t recv_id = id++;
    vt->push(b, recv_id, &recv);
    vt->flush(b);
    (void)!write(pair[1], "data", 4);
    out[0] = Reap(vt, b, recv_id);
    out[1] = RunToCompletion(vt, b, id++, lio::Op::Send(pair[0], "back", 4));
    (void)!read(pair[1], buf, 4);
    // A timer, a cancelled pending recv, a ready poll.
    out[2] = RunToCompletion(vt, b, id++, lio::Op::Timeout(100'000));
    uint64_t cancelled = id++;
    lio_op pending = lio::Op::Recv(pair[0], buf, sizeof buf);
    vt->push(b, cancelled, &pending);
    vt->flush(b);
    vt->cancel(b, cancelled);
    out[3] = Reap(vt, b, cancelled);
    out[4] = RunToCompletion(vt, b, id++, lio::Op::Poll(pair[0], LIO_POLL_OUT));
    // accept + connect on blocking sockets (the O_NONBLOCK toggle path).
    uint64_t accept_id = id++;
    lio_op accept = lio::Op::Accept(listener);
    vt->push(b, accept_id, &accept);
    int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    uint64_t connect_id = id++;
    lio_op connect = lio::Op::Connect(client, &addr, sizeof addr);
    vt->push(b, connect_id, &connect);
    ReapBoth(vt, b, connect_id, &out[5], accept_id, &out[6]);
    if (out[6] >= 0) close(static_cast<int>(out[6]));
    close(client);
    // File ops on the worker pool.
    out[7] = RunToCompletion(vt, b, id++, lio::Op::Write(file, "file", 4, 0));
    out[8] = RunToCompletion(vt, b, id++, lio::Op::Read(file, buf, 4, 0));
    out[9] = RunToCompletion(vt, b, id++, lio::Op::Fsync(file));
  }
  long allocated = allocations.load() - before;
  vt->destroy(b);

  EXPECT_EQ(allocated, 0) << "allocations after create";
  for (int r = 0; r < kRounds; ++r) {
    EXPECT_EQ(results[r][0], 4);
    EXPECT_EQ(results[r][1], 4);
    EXPECT_EQ(results[r][2], -LIO_ETIME);
    EXPECT_EQ(results[r][3], -LIO_ECANCELED);
    EXPECT_EQ(results[r][4] & LIO_POLL_OUT, LIO_POLL_OUT);
    EXPECT_EQ(results[r][5], 0);
    EXPECT_GE(results[r][6], 0);
    EXPECT_EQ(results[r][7], 4);
    EXPECT_EQ(results[r][8], 4);
    EXPECT_EQ(results[r][9], 0);
  }
  close(file);
  close(listener);
  close(pair[0]);
  close(pair[1]);
  unlink(path.c_str());
}

}  // namespace
