// lio::when_all — run tasks concurrently on the awaiting task's loop and
// resume when every one has finished.
//
//   std::vector<lio::Task<void>> workers;
//   for (int i = 0; i < 8; ++i) workers.push_back(worker(i));
//   co_await lio::when_all(std::move(workers));
//
// Tasks start in order, each running until its first suspension. The first
// exception a task throws is rethrown by co_await once all have finished.
// Destroying the awaiting coroutine destroys the tasks (cancelling what they
// wait for). One coroutine frame per task is allocated to watch it.
#ifndef LIO_RUNTIME_WHEN_ALL_H_
#define LIO_RUNTIME_WHEN_ALL_H_

#include <coroutine>
#include <cstddef>
#include <exception>
#include <type_traits>
#include <utility>
#include <vector>

#include "lio/runtime/task.h"

namespace lio {
namespace detail {

struct WhenAllState {
  size_t left = 0;
  std::coroutine_handle<> continuation;
  std::exception_ptr exception;
  Loop* loop = nullptr;
};

// Watches one task: awaits it, then counts down; the last one resumes the
// awaiting coroutine (symmetric transfer, from its final suspension).
struct WhenAllChild {
  struct promise_type {
    WhenAllState* state = nullptr;
    Loop* lio_loop() const noexcept { return state->loop; }
    WhenAllChild get_return_object() noexcept {
      return WhenAllChild{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() const noexcept { return {}; }
    struct Final {
      bool await_ready() const noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
        WhenAllState* s = h.promise().state;
        if (--s->left == 0) return s->continuation;
        return std::noop_coroutine();
      }
      void await_resume() const noexcept {}
    };
    Final final_suspend() const noexcept { return {}; }
    void return_void() const noexcept {}
    void unhandled_exception() noexcept {
      if (!state->exception) state->exception = std::current_exception();
    }
  };
  std::coroutine_handle<promise_type> handle;
};

template <class T>
WhenAllChild WatchTask(Task<T>& task) {
  co_await task;
}

}  // namespace detail

template <class T>
class [[nodiscard]] WhenAllAwaitable {
  static_assert(std::is_void_v<T>, "when_all takes Task<void>: hand results back through references");

 public:
  explicit WhenAllAwaitable(std::vector<Task<T>> tasks) : tasks_(std::move(tasks)) {}
  WhenAllAwaitable(WhenAllAwaitable&& other) noexcept : tasks_(std::move(other.tasks_)) {}
  WhenAllAwaitable& operator=(WhenAllAwaitable&&) = delete;
  ~WhenAllAwaitable() {
    for (auto& c : children_) c.handle.destroy();
  }

  bool await_ready() const noexcept { return tasks_.empty(); }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    state_.loop = detail::LoopOf(h);
    state_.continuation = h;
    state_.left = tasks_.size() + 1;  // +1: ours, so nothing resumes h while we start them
    children_.reserve(tasks_.size());
    for (Task<T>& t : tasks_) {
      children_.push_back(detail::WatchTask(t));
      children_.back().handle.promise().state = &state_;
      children_.back().handle.resume();
    }
    return --state_.left != 0;  // all finished already: do not suspend
  }
  void await_resume() {
    if (state_.exception) std::rethrow_exception(state_.exception);
  }

 private:
  std::vector<Task<T>> tasks_;
  std::vector<detail::WhenAllChild> children_;
  detail::WhenAllState state_;
};

template <class T>
WhenAllAwaitable<T> when_all(std::vector<Task<T>> tasks) {
  return WhenAllAwaitable<T>(std::move(tasks));
}

}  // namespace lio

#endif  // LIO_RUNTIME_WHEN_ALL_H_
