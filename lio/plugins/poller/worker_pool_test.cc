#include "lio/plugins/poller/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

namespace lio::poller {
namespace {

// Jobs for the test: NOP returns handle * 2; READ blocks until released,
// then returns handle.
std::mutex gate_mutex;
std::condition_variable gate_changed;
bool gate_open = false;
std::atomic<int> jobs_run{0};
std::atomic<int> blocked_jobs{0};

int64_t execute(const lio_op& op) {
  ++jobs_run;
  if (op.code == LIO_OP_READ) {
    std::unique_lock lock(gate_mutex);
    ++blocked_jobs;
    gate_changed.wait(lock, [] { return gate_open; });
    return op.handle;
  }
  return op.handle * 2;
}

// Stands in for the reactor: counts notifications, lets the test wait for one.
struct Notifications {
  std::mutex mutex;
  std::condition_variable changed;
  int count = 0;

  static void notify(void* self) {
    auto* n = static_cast<Notifications*>(self);
    std::lock_guard lock(n->mutex);
    ++n->count;
    n->changed.notify_all();
  }
  void wait_for_more_than(int seen) {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(10), [&] { return count > seen; }));
  }
};

lio_op job(uint32_t code, lio_handle handle) {
  lio_op op{};
  op.code = code;
  op.handle = handle;
  return op;
}

void open_gate(bool open) {
  std::lock_guard lock(gate_mutex);
  gate_open = open;
  gate_changed.notify_all();
}

void wait_until_blocked(int n) {
  for (int i = 0; i < 10000 && blocked_jobs.load() < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_EQ(blocked_jobs.load(), n);
}

class WorkerPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    open_gate(false);
    jobs_run = 0;
    blocked_jobs = 0;
  }
  void TearDown() override { open_gate(true); }

  // Drains until `n` results arrived (each slot once).
  std::map<uint32_t, int64_t> collect(WorkerPool& pool, size_t n) {
    std::map<uint32_t, int64_t> results;
    while (results.size() < n) {
      int seen;
      {
        std::lock_guard lock(notifications.mutex);
        seen = notifications.count;
      }
      pool.drain([&](uint32_t slot, int64_t result) { EXPECT_TRUE(results.emplace(slot, result).second); });
      if (results.size() < n) notifications.wait_for_more_than(seen);
    }
    return results;
  }

  Notifications notifications;
};

TEST_F(WorkerPoolTest, RunsEveryJobOnceAndNotifies) {
  WorkerPool pool;
  ASSERT_EQ(pool.start(100, 4, &execute, &Notifications::notify, &notifications), 0);
  for (uint32_t slot = 0; slot < 100; ++slot) pool.submit(slot, job(LIO_OP_NOP, slot));
  auto results = collect(pool, 100);
  for (uint32_t slot = 0; slot < 100; ++slot) EXPECT_EQ(results[slot], slot * 2);
  EXPECT_EQ(jobs_run.load(), 100);
}

TEST_F(WorkerPoolTest, CancelDropsAQueuedJobAndLeavesARunningOne) {
  WorkerPool pool;
  ASSERT_EQ(pool.start(4, 1, &execute, &Notifications::notify, &notifications), 0);
  pool.submit(0, job(LIO_OP_READ, 7));  // occupies the only worker
  wait_until_blocked(1);
  pool.submit(1, job(LIO_OP_NOP, 1));  // queued behind it
  EXPECT_EQ(pool.cancel(1), WorkerPool::CancelOutcome::kRemoved);
  EXPECT_EQ(pool.cancel(0), WorkerPool::CancelOutcome::kStarted);
  EXPECT_EQ(pool.cancel(2), WorkerPool::CancelOutcome::kNotFound);
  open_gate(true);
  auto results = collect(pool, 1);
  EXPECT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0], 7);
  EXPECT_EQ(jobs_run.load(), 1) << "a cancelled job ran";
  // The slot of a dropped job can be submitted again.
  pool.submit(1, job(LIO_OP_NOP, 5));
  EXPECT_EQ(collect(pool, 1)[1], 10);
}

TEST_F(WorkerPoolTest, StopFinishesRunningJobsAndDropsQueuedOnes) {
  WorkerPool pool;
  ASSERT_EQ(pool.start(8, 2, &execute, &Notifications::notify, &notifications), 0);
  pool.submit(0, job(LIO_OP_READ, 1));
  pool.submit(1, job(LIO_OP_READ, 2));
  wait_until_blocked(2);
  for (uint32_t slot = 2; slot < 8; ++slot) pool.submit(slot, job(LIO_OP_NOP, slot));
  std::thread opener([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    open_gate(true);
  });
  pool.stop();  // returns only once both running jobs finished
  opener.join();
  std::map<uint32_t, int64_t> results;
  pool.drain([&](uint32_t slot, int64_t result) { results.emplace(slot, result); });
  EXPECT_EQ(results, (std::map<uint32_t, int64_t>{{0, 1}, {1, 2}}));
  EXPECT_EQ(jobs_run.load(), 2);
}

}  // namespace
}  // namespace lio::poller
