// The one worker pool (worker_pool.h), as the poller and iocp use it. Built
// for Linux, and for Windows (//lio/plugins/iocp:worker_pool_test, under Wine).
#include "lio/plugins/common/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#ifdef _WIN32
#include <windows.h>
#endif

#include "lio/core/plugin_abi.h"

namespace lio::plugin {
namespace {

// What the test's jobs do, by slot, as a backend's records would say.
enum class Kind { kDouble, kBlockOnGate };

// Stands in for a backend: its records of the ops, its wake-up, and the
// gate blocking jobs wait on.
struct Backend {
  std::vector<Kind> kind = std::vector<Kind>(128, Kind::kDouble);
  std::vector<int64_t> value = std::vector<int64_t>(128, 0);
  uint32_t threads = 0;

  std::mutex mutex;
  std::condition_variable changed;
  int notifications = 0;
  bool gate_open = false;
  int blocked = 0;
  std::atomic<int> jobs_run{0};
  std::atomic<bool> bad_worker_index{false};

  static int64_t run(void* self, uint32_t slot, uint32_t worker) {
    auto* b = static_cast<Backend*>(self);
    ++b->jobs_run;
    if (worker >= b->threads) b->bad_worker_index = true;
    if (b->kind[slot] == Kind::kBlockOnGate) {
      std::unique_lock lock(b->mutex);
      ++b->blocked;
      b->changed.notify_all();
      b->changed.wait(lock, [&] { return b->gate_open; });
      return b->value[slot];
    }
    return b->value[slot] * 2;
  }

  static void notify(void* self) {
    auto* b = static_cast<Backend*>(self);
    std::lock_guard lock(b->mutex);
    ++b->notifications;
    b->changed.notify_all();
  }

  void open_gate() {
    std::lock_guard lock(mutex);
    gate_open = true;
    changed.notify_all();
  }

  void wait_until_blocked(int n) {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(10), [&] { return blocked >= n; }));
  }

  int notifications_seen() {
    std::lock_guard lock(mutex);
    return notifications;
  }

  void wait_for_notification_after(int seen) {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(10), [&] { return notifications > seen; }));
  }

  // Drains until `n` results arrived (each slot once), waiting for a
  // notification whenever the done list was empty: a lost one hangs here.
  std::map<uint32_t, int64_t> collect(WorkerPool& pool, size_t n) {
    std::map<uint32_t, int64_t> results;
    while (results.size() < n) {
      int seen = notifications_seen();
      pool.drain([&](uint32_t slot, int64_t result) { EXPECT_TRUE(results.emplace(slot, result).second); });
      if (results.size() < n) wait_for_notification_after(seen);
    }
    return results;
  }

  void job(uint32_t slot, Kind k, int64_t v) {
    kind[slot] = k;
    value[slot] = v;
  }
};

class WorkerPoolTest : public ::testing::Test {
 protected:
  void TearDown() override { backend.open_gate(); }

  int start(WorkerPool& pool, uint32_t capacity, uint32_t threads) {
    backend.threads = threads;
    return pool.start(capacity, threads, &Backend::run, &Backend::notify, &backend);
  }

  Backend backend;
};

TEST_F(WorkerPoolTest, RunsEveryJobOnceAndNotifies) {
  WorkerPool pool;
  ASSERT_EQ(start(pool, 100, 4), 0);
  for (uint32_t slot = 0; slot < 100; ++slot) {
    backend.job(slot, Kind::kDouble, slot);
    pool.submit(slot);
  }
  auto results = backend.collect(pool, 100);
  for (uint32_t slot = 0; slot < 100; ++slot) EXPECT_EQ(results[slot], slot * 2);
  EXPECT_EQ(backend.jobs_run.load(), 100);
  EXPECT_FALSE(backend.bad_worker_index.load()) << "run() got a worker index past the thread count";
}

TEST_F(WorkerPoolTest, EachWorkerHasItsOwnIndex) {
  // Three jobs that block hold the three workers at once: each must have
  // been told a different index, or two would share per-thread scratch.
  std::mutex mutex;
  std::set<uint32_t> seen;
  struct Context {
    std::mutex* mutex;
    std::set<uint32_t>* seen;
    Backend* backend;
  } context{&mutex, &seen, &backend};
  WorkerPool indexed;
  ASSERT_EQ(indexed.start(
                8, 3,
                [](void* self, uint32_t slot, uint32_t worker) -> int64_t {
                  auto* c = static_cast<Context*>(self);
                  {
                    std::lock_guard lock(*c->mutex);
                    c->seen->insert(worker);
                  }
                  return Backend::run(c->backend, slot, worker);
                },
                [](void* self) { Backend::notify(static_cast<Context*>(self)->backend); }, &context),
            0);
  backend.threads = 3;
  for (uint32_t slot = 0; slot < 3; ++slot) {
    backend.job(slot, Kind::kBlockOnGate, slot);
    indexed.submit(slot);
  }
  backend.wait_until_blocked(3);
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(seen, (std::set<uint32_t>{0, 1, 2}));
  }
  backend.open_gate();
  EXPECT_EQ(backend.collect(indexed, 3).size(), 3u);
}

TEST_F(WorkerPoolTest, CancelDropsAQueuedJobAndLeavesARunningOne) {
  WorkerPool pool;
  ASSERT_EQ(start(pool, 4, 1), 0);
  backend.job(0, Kind::kBlockOnGate, 7);
  pool.submit(0);  // occupies the only worker
  backend.wait_until_blocked(1);
  backend.job(1, Kind::kDouble, 1);
  pool.submit(1);  // queued behind it
  EXPECT_EQ(pool.cancel(1), WorkerPool::CancelOutcome::kRemoved);
  EXPECT_EQ(pool.cancel(0), WorkerPool::CancelOutcome::kStarted);
  EXPECT_EQ(pool.cancel(2), WorkerPool::CancelOutcome::kNotFound);
  EXPECT_EQ(pool.cancel(4), WorkerPool::CancelOutcome::kNotFound) << "a slot past capacity";
  EXPECT_FALSE(pool.interrupt(1)) << "a dropped job is in no call";
  backend.open_gate();
  auto results = backend.collect(pool, 1);
  EXPECT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0], 7);
  EXPECT_EQ(backend.jobs_run.load(), 1) << "a cancelled job ran";
  // The slot of a dropped job can be submitted again.
  backend.job(1, Kind::kDouble, 5);
  pool.submit(1);
  EXPECT_EQ(backend.collect(pool, 1)[1], 10);
}

TEST_F(WorkerPoolTest, StopFinishesRunningJobsAndDropsQueuedOnes) {
  WorkerPool pool;
  ASSERT_EQ(start(pool, 8, 2), 0);
  backend.job(0, Kind::kBlockOnGate, 1);
  backend.job(1, Kind::kBlockOnGate, 2);
  pool.submit(0);
  pool.submit(1);
  backend.wait_until_blocked(2);
  for (uint32_t slot = 2; slot < 8; ++slot) {
    backend.job(slot, Kind::kDouble, slot);
    pool.submit(slot);
  }
  std::thread opener([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    backend.open_gate();
  });
  pool.stop();  // returns only once both running jobs finished
  opener.join();
  std::map<uint32_t, int64_t> results;
  pool.drain([&](uint32_t slot, int64_t result) { results.emplace(slot, result); });
  EXPECT_EQ(results, (std::map<uint32_t, int64_t>{{0, 1}, {1, 2}}));
  EXPECT_EQ(backend.jobs_run.load(), 2);
}

#ifdef _WIN32
// A job blocked in a synchronous ReadFile (a pipe with no writer data) is cut
// short by interrupt: the call fails with ERROR_OPERATION_ABORTED.
struct PipeRead {
  HANDLE read_end = nullptr;
  std::atomic<bool> entered{false};
  Backend* backend = nullptr;

  static int64_t run(void* self, uint32_t, uint32_t) {
    auto* p = static_cast<PipeRead*>(self);
    char byte;
    DWORD n = 0;
    p->entered = true;
    if (ReadFile(p->read_end, &byte, 1, &n, nullptr)) return n;
    return GetLastError() == ERROR_OPERATION_ABORTED ? -LIO_ECANCELED : -LIO_EIO;
  }
  static void notify(void* self) { Backend::notify(static_cast<PipeRead*>(self)->backend); }
};

TEST_F(WorkerPoolTest, InterruptCutsShortABlockingCall) {
  HANDLE write_end = nullptr;
  PipeRead job;
  job.backend = &backend;
  ASSERT_TRUE(CreatePipe(&job.read_end, &write_end, nullptr, 0));
  WorkerPool pool;
  ASSERT_EQ(pool.start(1, 1, &PipeRead::run, &PipeRead::notify, &job), 0);
  pool.submit(0);
  // The job may not be in ReadFile yet when interrupt is called: retry until
  // the call is cut short (the pool's contract: a job between calls is not).
  std::map<uint32_t, int64_t> results;
  for (int i = 0; i < 1000 && results.empty(); ++i) {
    if (job.entered) pool.interrupt(0);
    pool.drain([&](uint32_t slot, int64_t result) { results.emplace(slot, result); });
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(results, (std::map<uint32_t, int64_t>{{0, -LIO_ECANCELED}}));
  pool.stop();
  CloseHandle(job.read_end);
  CloseHandle(write_end);
}
#else
TEST_F(WorkerPoolTest, InterruptDoesNothingWithoutAnOsWay) {
  WorkerPool pool;
  ASSERT_EQ(start(pool, 2, 1), 0);
  backend.job(0, Kind::kBlockOnGate, 3);
  pool.submit(0);
  backend.wait_until_blocked(1);
  EXPECT_FALSE(pool.interrupt(0));
  backend.open_gate();
  EXPECT_EQ(backend.collect(pool, 1)[0], 3) << "the job ends with its own result";
}
#endif

}  // namespace
}  // namespace lio::plugin
