#include "lio/runtime/per_core.h"

#include <condition_variable>
#include <mutex>
#include <string>
#include <utility>

#include "lio/core/registry.h"

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#endif

namespace lio {

struct LoopGroup::Shared {
  std::mutex mutex;
  std::condition_variable cv;
  unsigned next_setup = 0;  // whose setup runs next
  bool failed = false;
  Error failure;
  std::vector<Loop*> loops;  // null once a loop is gone
  std::vector<std::error_code> errors;
};

namespace {

void Pin(unsigned cpu) {
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu % CPU_SETSIZE, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
#else
  (void)cpu;
#endif
}

}  // namespace

Expected<std::unique_ptr<LoopGroup>, Error> LoopGroup::Start(const PerCoreOptions& options, Setup setup) {
  unsigned n = options.threads != 0 ? options.threads : std::thread::hardware_concurrency();
  if (n == 0) n = 1;
  // Plugins are loaded here, on one thread (the registry is not
  // thread-safe); each thread then only creates its own instance.
  Registry& registry = options.loop.registry != nullptr ? *options.loop.registry : Registry::Default();
  auto info = registry.Resolve(options.loop.backend);
  if (!info) return Unexpected{std::move(info).error()};
  ProbeResult probe = Backend::Probe(**info);
  if (!probe.ok()) {
    return Unexpected{Error{make_error(probe.code), "backend '" + (*info)->name + "' cannot run here: " + probe.why}};
  }
  BackendOptions backend_options;
  backend_options.capacity = Loop::BackendCapacityFor(options.loop);
  backend_options.options = options.loop.backend_options;
  backend_options.flags = Loop::kBackendFlags;

  std::unique_ptr<LoopGroup> group(new LoopGroup);
  auto shared = std::make_shared<Shared>();
  shared->loops.assign(n, nullptr);
  shared->errors.assign(n, {});
  group->shared_ = shared;

  for (unsigned i = 0; i < n; ++i) {
    group->threads_.emplace_back([shared, setup, backend_options, i, pin = options.pin, info = *info,
                                  loop_options = options.loop] {
      if (pin) Pin(i);
      auto backend = Backend::Create(*info, backend_options);
      std::unique_lock<std::mutex> lock(shared->mutex);
      shared->cv.wait(lock, [&] { return shared->next_setup == i || shared->failed; });
      if (shared->failed) return;
      if (!backend) {
        shared->failed = true;
        shared->failure = std::move(backend).error();
        shared->cv.notify_all();
        return;
      }
      lock.unlock();
      Loop loop(std::move(*backend), loop_options);
      std::error_code ec = setup(loop, i);
      lock.lock();
      if (ec) {
        shared->failed = true;
        shared->failure = Error{ec, "setting up loop " + std::to_string(i) + " failed: " + ec.message()};
        shared->cv.notify_all();
        return;  // ~Loop with the lock held is fine: it touches nothing shared
      }
      shared->loops[i] = &loop;
      ++shared->next_setup;
      shared->cv.notify_all();
      lock.unlock();

      Loop::KeepAlive keep = loop.keep_alive();
      shared->errors[i] = loop.run();

      lock.lock();
      shared->loops[i] = nullptr;
      lock.unlock();
      keep = Loop::KeepAlive();
    });
  }

  std::unique_lock<std::mutex> lock(shared->mutex);
  shared->cv.wait(lock, [&] { return shared->next_setup == n || shared->failed; });
  if (shared->failed) {
    Error failure = shared->failure;
    lock.unlock();
    group->stop();
    group->join();
    return Unexpected{std::move(failure)};
  }
  group->loops_ = shared->loops;
  return group;
}

void LoopGroup::stop() noexcept {
  std::lock_guard<std::mutex> lock(shared_->mutex);
  for (Loop* loop : shared_->loops) {
    if (loop != nullptr) loop->stop();
  }
}

std::error_code LoopGroup::join() {
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  for (const std::error_code& ec : shared_->errors) {
    if (ec) return ec;
  }
  return {};
}

LoopGroup::~LoopGroup() {
  stop();
  join();
}

}  // namespace lio
