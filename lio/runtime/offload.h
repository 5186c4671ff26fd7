// lio::offload — run a blocking function on a worker thread owned by the
// runtime and get its result back on the loop thread.
//
//   lio::Task<void> handler(lio::Loop& loop) {
//     std::string hash = co_await lio::offload(loop, [] { return bcrypt(password); });
//     ...
//   }
//   loop.run();  // or: lio::offload(loop, fn, [](std::string hash) { ... });
//
// For what has no operation (a library that blocks, CPU-heavy work, getaddrinfo).
// The function runs on one of the process's offload threads (started on first
// use: LIO_OFFLOAD_THREADS of them, default 4, joined at exit); its result is
// handed to the loop with Loop::post, which wakes the backend (its wake call),
// and the coroutine resumes — or the callback runs — on the loop thread. The
// loop's run() does not return while an offload is pending.
//
// Costs: one allocation per call (the shared state between the two threads),
// a lock on each side. The loop must outlive every offload it started. An offload cannot be cancelled once its function runs:
// destroying the awaiting coroutine leaves the function to finish and drops
// its result. An exception the function throws is rethrown by co_await (and,
// in the callback form, from the turn that would have run the callback, as
// loop.h says of callbacks). `fn` must not capture references into a
// coroutine frame that may be destroyed before it returns.
#ifndef LIO_RUNTIME_OFFLOAD_H_
#define LIO_RUNTIME_OFFLOAD_H_

#include <coroutine>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "lio/runtime/loop.h"

namespace lio {
namespace detail {

// Queues `job` on the runtime's offload threads (started on first use).
void SubmitOffload(std::function<void()> job);

// What the worker hands to the loop thread.
template <class R>
struct OffloadState {
  using Value = std::conditional_t<std::is_void_v<R>, std::monostate, R>;
  std::optional<Value> value;
  std::exception_ptr error;
  std::coroutine_handle<> waiter;  // the coroutine to resume, or none
  // Loop thread only (the worker never touches them):
  bool delivered = false;          // the result reached the loop thread
  bool abandoned = false;          // the awaiting coroutine is gone
  std::optional<Loop::KeepAlive> hold;  // made and dropped on the loop thread
};

template <class R, class F>
void RunOffloaded(F& fn, OffloadState<R>& state) {
  try {
    if constexpr (std::is_void_v<R>) {
      fn();
      state.value.emplace();
    } else {
      state.value.emplace(fn());
    }
  } catch (...) {
    state.error = std::current_exception();
  }
}

}  // namespace detail

template <class F, class R = std::invoke_result_t<F&>>
class [[nodiscard]] OffloadAwaitable {
 public:
  OffloadAwaitable(Loop& loop, F fn) : loop_(&loop), fn_(std::move(fn)) {}
  OffloadAwaitable(OffloadAwaitable&&) = default;
  ~OffloadAwaitable() {
    if (state_ != nullptr && !state_->delivered) state_->abandoned = true;
  }

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    state_ = std::make_shared<detail::OffloadState<R>>();
    state_->waiter = h;
    state_->hold.emplace(loop_->keep_alive());
    detail::SubmitOffload([loop = loop_, state = state_, fn = std::move(fn_)]() mutable {
      detail::RunOffloaded<R>(fn, *state);
      loop->post([state = std::move(state)] {
        state->hold.reset();
        state->delivered = true;
        if (!state->abandoned) state->waiter.resume();
      });
    });
  }
  R await_resume() {
    if (state_->error) std::rethrow_exception(state_->error);
    if constexpr (!std::is_void_v<R>) return std::move(*state_->value);
  }

 private:
  Loop* loop_;
  F fn_;
  std::shared_ptr<detail::OffloadState<R>> state_;
};

// co_await lio::offload(loop, fn): fn() on an offload thread; its result here.
template <class F>
OffloadAwaitable<std::decay_t<F>> offload(Loop& loop, F&& fn) {
  return OffloadAwaitable<std::decay_t<F>>(loop, std::forward<F>(fn));
}

// lio::offload(loop, fn, callback): callback(fn()) on the loop thread
// (callback() for a void fn). Call it on the loop thread.
template <class F, class C>
void offload(Loop& loop, F&& fn, C&& callback) {
  using R = std::invoke_result_t<std::decay_t<F>&>;
  auto state = std::make_shared<detail::OffloadState<R>>();
  state->hold.emplace(loop.keep_alive());
  detail::SubmitOffload([&loop, state, fn = std::forward<F>(fn), cb = std::forward<C>(callback)]() mutable {
    detail::RunOffloaded<R>(fn, *state);
    loop.post([state = std::move(state), cb = std::move(cb)]() mutable {
      state->hold.reset();
      if (state->error) std::rethrow_exception(state->error);
      if constexpr (std::is_void_v<R>) {
        cb();
      } else {
        cb(std::move(*state->value));
      }
    });
  });
}

}  // namespace lio

#endif  // LIO_RUNTIME_OFFLOAD_H_
