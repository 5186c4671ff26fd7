// The runtime's offload threads (offload.h): a FIFO of jobs and a fixed set
// of threads, started on the first offload and joined at exit.
#include "lio/runtime/offload.h"

#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace lio::detail {
namespace {

constexpr unsigned kDefaultThreads = 4;
constexpr unsigned kMaxThreads = 256;

unsigned ThreadCount() {
  const char* text = std::getenv("LIO_OFFLOAD_THREADS");
  if (text == nullptr) return kDefaultThreads;
  const long n = std::strtol(text, nullptr, 10);
  return (n >= 1 && n <= static_cast<long>(kMaxThreads)) ? static_cast<unsigned>(n) : kDefaultThreads;
}

class OffloadPool {
 public:
  OffloadPool() {
    const unsigned n = ThreadCount();
    for (unsigned i = 0; i < n; ++i) threads_.emplace_back([this] { Work(); });
  }
  ~OffloadPool() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

  void Submit(std::function<void()> job) {
    {
      std::lock_guard lock(mutex_);
      jobs_.push_back(std::move(job));
    }
    ready_.notify_one();
  }

 private:
  // Runs jobs until stopped; at exit, jobs not started are dropped.
  void Work() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (stopping_) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace

void SubmitOffload(std::function<void()> job) {
  static OffloadPool pool;
  pool.Submit(std::move(job));
}

}  // namespace lio::detail
