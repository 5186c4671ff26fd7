// lio::LoopGroup — thread-per-core: one thread and one Loop (with its own
// backend instance) per core, nothing shared between them.
//
//   lio::PerCoreOptions options;           // threads = hardware_concurrency
//   std::atomic<uint16_t> port = 0;
//   auto group = lio::LoopGroup::Start(options, [&](lio::Loop& loop, unsigned i) -> std::error_code {
//     // Runs on thread i, in order: i = 0 first, so it can pick the port.
//     auto listener = lio::TcpListener::Bind(loop, lio::SocketAddress::Loopback(port),
//                                            {.reuse_port = true});
//     if (!listener) return listener.error();
//     if (i == 0) port = listener->local_address()->port();
//     loop.spawn(serve(std::move(*listener)));
//     return {};
//   });
//   ...
//   (*group)->stop();   // from any thread
//   (*group)->join();
//
// With SO_REUSEPORT listeners (ListenOptions::reuse_port) the kernel spreads
// incoming connections across the loops. Each loop runs until stop() (it holds
// a KeepAlive), so a loop with nothing to do waits instead of returning.
#ifndef LIO_RUNTIME_PER_CORE_H_
#define LIO_RUNTIME_PER_CORE_H_

#include <functional>
#include <memory>
#include <system_error>
#include <thread>
#include <vector>

#include "lio/core/error.h"
#include "lio/core/expected.h"
#include "lio/runtime/loop.h"

namespace lio {

struct PerCoreOptions {
  unsigned threads = 0;  // 0: std::thread::hardware_concurrency()
  LoopOptions loop;      // for every loop
  bool pin = false;      // pin thread i to CPU i (Linux; ignored elsewhere)
};

class LoopGroup {
 public:
  // Called on each loop's thread before it runs: set up listeners, spawn
  // tasks. Threads run it one after another in index order. An error stops
  // the group and is returned by Start.
  using Setup = std::function<std::error_code(Loop& loop, unsigned index)>;

  // Starts the threads and returns once every loop is created and set up.
  static Expected<std::unique_ptr<LoopGroup>, Error> Start(const PerCoreOptions& options, Setup setup);

  ~LoopGroup();  // stop() and join()
  LoopGroup(const LoopGroup&) = delete;
  LoopGroup& operator=(const LoopGroup&) = delete;

  size_t size() const noexcept { return loops_.size(); }
  // The loop of thread i (post() and stop() are the calls safe from here).
  Loop& loop(size_t i) noexcept { return *loops_[i]; }

  // Thread-safe: asks every loop to stop.
  void stop() noexcept;
  // Waits for every thread; returns the first loop error.
  std::error_code join();

 private:
  LoopGroup() = default;
  struct Shared;
  std::shared_ptr<Shared> shared_;
  std::vector<Loop*> loops_;
  std::vector<std::thread> threads_;
};

}  // namespace lio

#endif  // LIO_RUNTIME_PER_CORE_H_
