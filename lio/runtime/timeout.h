// Time in coroutines: lio::sleep, lio::sleep_until, lio::yield and
// lio::with_timeout.
//
//   co_await lio::sleep(std::chrono::milliseconds(50));
//
//   // An operation with a deadline: its own result type, with
//   // errc::timed_out (ETIMEDOUT) when the deadline won.
//   auto [n, buf] = co_await lio::with_timeout(1s, lio::recv(conn, std::move(buf)));
//   if (!n && n.error() == std::errc::timed_out) ...   // buf is back, intact
//
//   // A whole task with a deadline: Expected<T> (std::error_code for void).
//   lio::Expected<Reply> r = co_await lio::with_timeout(5s, fetch(conn));
//
// Sleeps are the loop's timers (a heap that bounds the backend's wait; no
// slot, no system call, no allocation). They fire in deadline order, ties in
// the order they were armed. A sleep's deadline is taken when sleep() is
// called.
//
// with_timeout on an operation: when the deadline passes first, the operation
// is cancelled in the backend and the coroutine resumes when the backend
// returned its completion — so an owned buffer always comes back, and a
// result that won the race against the cancel (data received just in time) is
// returned as is, not lost. On a Task: when the deadline passes first, the
// task is destroyed (its pending operations are cancelled, their buffers kept
// in the loop until the kernel is done) and timed_out is returned.
#ifndef LIO_RUNTIME_TIMEOUT_H_
#define LIO_RUNTIME_TIMEOUT_H_

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <system_error>
#include <utility>

#include "lio/runtime/buffer.h"
#include "lio/runtime/deadline_heap.h"
#include "lio/core/error.h"
#include "lio/core/expected.h"
#include "lio/runtime/io.h"
#include "lio/runtime/loop.h"
#include "lio/runtime/ops.h"
#include "lio/runtime/task.h"

namespace lio {

class [[nodiscard]] SleepAwaitable {
 public:
  explicit SleepAwaitable(int64_t deadline_ns, Loop* loop = nullptr) noexcept : deadline_ns_(deadline_ns), loop_(loop) {}
  SleepAwaitable(SleepAwaitable&& other) noexcept : deadline_ns_(other.deadline_ns_), loop_(other.loop_) {}
  SleepAwaitable& operator=(SleepAwaitable&&) = delete;
  ~SleepAwaitable() {
    if (loop_ != nullptr && node_.armed()) detail::LoopAccess::DisarmTimer(*loop_, &node_);
  }

  // Even an elapsed deadline suspends until the next turn (a yield).
  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    if (loop_ == nullptr) loop_ = detail::LoopOf(h);
    if (loop_ == nullptr) return false;
    continuation_ = h;
    node_.context = this;
    node_.fire = [](detail::TimerNode* node, Loop&) { static_cast<SleepAwaitable*>(node->context)->continuation_.resume(); };
    detail::LoopAccess::ArmTimer(*loop_, &node_, deadline_ns_);
    return true;
  }
  void await_resume() const noexcept {}

  // Runs the loop until the deadline (not from inside the loop).
  void wait() && {
    Loop* loop = loop_ != nullptr ? loop_ : detail::CurrentLoop();
    if (loop != nullptr) loop->block_on(std::move(*this));
  }

 private:
  int64_t deadline_ns_;
  Loop* loop_;
  std::coroutine_handle<> continuation_;
  detail::TimerNode node_;
};

template <class Rep, class Period>
SleepAwaitable sleep(std::chrono::duration<Rep, Period> d) {
  int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  return SleepAwaitable(detail::LoopAccess::Now() + (ns > 0 ? ns : 0));
}
template <class Duration>
SleepAwaitable sleep_until(std::chrono::time_point<std::chrono::steady_clock, Duration> t) {
  return SleepAwaitable(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}
// Lets the rest of the loop run for one turn.
inline SleepAwaitable yield() { return SleepAwaitable(0); }

namespace detail {

inline std::error_code TimedOutError() { return make_error(-LIO_ETIMEDOUT); }
inline bool IsCanceled(std::error_code ec) { return ec == make_error(-LIO_ECANCELED); }

// Replacing "canceled" by "timed out" in each result type.
inline void MarkTimedOut(std::error_code& r) {
  if (IsCanceled(r)) r = TimedOutError();
}
template <class T>
void MarkTimedOut(Expected<T>& r) {
  if (!r && IsCanceled(r.error())) r = Expected<T>(Unexpected{TimedOutError()});
}
inline void MarkTimedOut(BufResult& r) { MarkTimedOut(r.bytes); }
inline void MarkTimedOut(BufsResult& r) { MarkTimedOut(r.bytes); }
inline void MarkTimedOut(RecvFromResult& r) { MarkTimedOut(r.bytes); }

// What with_timeout on a Task<T> gives.
template <class T>
struct TaskTimeoutResult {
  using type = Expected<T>;
  static type Wrap(T&& v) { return type(std::move(v)); }
  static type TimedOut() { return Unexpected{TimedOutError()}; }
};
template <>
struct TaskTimeoutResult<void> {
  using type = std::error_code;
  static type TimedOut() { return TimedOutError(); }
};
template <>
struct TaskTimeoutResult<std::error_code> {
  using type = std::error_code;
  static type Wrap(std::error_code&& v) { return v; }
  static type TimedOut() { return TimedOutError(); }
};
template <class U>
struct TaskTimeoutResult<Expected<U>> {
  using type = Expected<U>;
  static type Wrap(Expected<U>&& v) { return std::move(v); }
  static type TimedOut() { return Unexpected{TimedOutError()}; }
};
template <>
struct TaskTimeoutResult<BufResult> {
  using type = BufResult;
  static type Wrap(BufResult&& v) { return std::move(v); }
  static type TimedOut() { return BufResult{Unexpected{TimedOutError()}, Buffer()}; }
};

}  // namespace detail

// with_timeout on one operation.
template <class Spec>
class [[nodiscard]] OpTimeoutAwaitable {
 public:
  using Result = typename Spec::Result;
  OpTimeoutAwaitable(int64_t ns, OpAwaitable<Spec> op) : ns_(ns), op_(std::move(op)) {}
  OpTimeoutAwaitable(OpTimeoutAwaitable&& other) noexcept : ns_(other.ns_), op_(std::move(other.op_)) {}
  OpTimeoutAwaitable& operator=(OpTimeoutAwaitable&&) = delete;
  ~OpTimeoutAwaitable() { disarm(); }

  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    loop_ = detail::LoopOf(h);
    if (loop_ != nullptr) {
      node_.context = this;
      node_.fire = [](detail::TimerNode* node, Loop&) {
        auto* self = static_cast<OpTimeoutAwaitable*>(node->context);
        self->fired_ = true;
        self->op_.request_cancel();
      };
      detail::LoopAccess::ArmTimer(*loop_, &node_, detail::LoopAccess::Now() + (ns_ > 0 ? ns_ : 0));
    }
    bool suspended = op_.await_suspend(h);
    if (!suspended) disarm();
    return suspended;
  }
  Result await_resume() {
    disarm();
    Result r = op_.await_resume();
    if (fired_) detail::MarkTimedOut(r);
    return r;
  }
  Result wait() && {
    Loop* loop = detail::CurrentLoop();
    return loop->block_on(std::move(*this));
  }

 private:
  void disarm() noexcept {
    if (loop_ != nullptr && node_.armed()) detail::LoopAccess::DisarmTimer(*loop_, &node_);
  }
  int64_t ns_;
  OpAwaitable<Spec> op_;
  Loop* loop_ = nullptr;
  detail::TimerNode node_;
  bool fired_ = false;
};

// with_timeout on a task.
template <class T>
class [[nodiscard]] TaskTimeoutAwaitable {
 public:
  using Result = typename detail::TaskTimeoutResult<T>::type;
  TaskTimeoutAwaitable(int64_t ns, Task<T> task) : ns_(ns), task_(std::move(task)) {}
  TaskTimeoutAwaitable(TaskTimeoutAwaitable&& other) noexcept : ns_(other.ns_), task_(std::move(other.task_)) {}
  TaskTimeoutAwaitable& operator=(TaskTimeoutAwaitable&&) = delete;
  ~TaskTimeoutAwaitable() { disarm(); }

  bool await_ready() const noexcept { return !task_ || task_.done(); }
  template <class P>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) {
    loop_ = detail::LoopOf(h);
    continuation_ = h;
    auto child = task_.handle();
    child.promise().continuation = h;
    if (child.promise().loop == nullptr) child.promise().loop = loop_;
    if (loop_ != nullptr) {
      node_.context = this;
      node_.fire = [](detail::TimerNode* node, Loop&) {
        auto* self = static_cast<TaskTimeoutAwaitable*>(node->context);
        self->fired_ = true;
        self->task_.reset();  // destroys the child: its operations are cancelled
        self->continuation_.resume();
      };
      detail::LoopAccess::ArmTimer(*loop_, &node_, detail::LoopAccess::Now() + (ns_ > 0 ? ns_ : 0));
    }
    return child;
  }
  Result await_resume() {
    disarm();
    if (fired_ || !task_) return detail::TaskTimeoutResult<T>::TimedOut();
    if constexpr (std::is_void_v<T>) {
      task_.handle().promise().take();
      return std::error_code{};
    } else {
      return detail::TaskTimeoutResult<T>::Wrap(task_.handle().promise().take());
    }
  }
  Result wait() && {
    Loop* loop = detail::CurrentLoop();
    return loop->block_on(std::move(*this));
  }

 private:
  void disarm() noexcept {
    if (loop_ != nullptr && node_.armed()) detail::LoopAccess::DisarmTimer(*loop_, &node_);
  }
  int64_t ns_;
  Task<T> task_;
  Loop* loop_ = nullptr;
  std::coroutine_handle<> continuation_;
  detail::TimerNode node_;
  bool fired_ = false;
};

template <class Rep, class Period, class Spec>
OpTimeoutAwaitable<Spec> with_timeout(std::chrono::duration<Rep, Period> d, OpAwaitable<Spec> op) {
  return OpTimeoutAwaitable<Spec>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(), std::move(op));
}
template <class Rep, class Period, class T>
TaskTimeoutAwaitable<T> with_timeout(std::chrono::duration<Rep, Period> d, Task<T> task) {
  return TaskTimeoutAwaitable<T>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(), std::move(task));
}

}  // namespace lio

#endif  // LIO_RUNTIME_TIMEOUT_H_
