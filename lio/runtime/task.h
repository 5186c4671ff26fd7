// lio::Task<T> — a lazily started coroutine returning T.
//
//   lio::Task<size_t> count_bytes(lio::File f) {
//     size_t total = 0;
//     for (int64_t off = 0;;) {
//       auto [n, buf] = co_await lio::read(f, lio::Buffer(65536), off);
//       if (!n || *n == 0) co_return total;
//       total += *n;
//       off += *n;
//     }
//   }
//
// A Task does nothing until it is awaited (`co_await task`), spawned
// (`loop.spawn(std::move(task))`) or waited for (`std::move(task).wait()`).
// It runs on the loop of whoever awaits it.
//
// Cancellation is destruction: destroying a Task that is suspended destroys
// its frame, and with it every awaiter inside — each cancels its operation in
// the backend. Owned buffers stay in the loop's slots until the kernel is done
// with them (see buffer.h), so destroying a task never frees memory the kernel
// still writes.
//
// Exceptions thrown inside a task propagate to the awaiting task at its
// co_await (to Loop::run for a spawned task). lio's own operations never
// throw: their errors are values (std::error_code, Expected).
//
// Allocation: the compiler allocates each coroutine frame (one allocation per
// Task call, freed when the Task is destroyed); awaiting lio operations inside
// it allocates nothing more.
#ifndef LIO_RUNTIME_TASK_H_
#define LIO_RUNTIME_TASK_H_

#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace lio {

class Loop;

template <class T = void>
class Task;

namespace detail {

// The loop's list of spawned (detached) tasks, so a loop destroyed before
// they finished can destroy them.
struct SpawnNode {
  SpawnNode* prev = nullptr;
  SpawnNode* next = nullptr;
  std::coroutine_handle<> handle;
};

struct TaskPromiseBase;

// Defined in loop.cc.
Loop* CurrentLoop() noexcept;
void DetachedTaskDone(TaskPromiseBase& promise, std::coroutine_handle<> handle) noexcept;

struct TaskPromiseBase {
  Loop* loop = nullptr;
  std::coroutine_handle<> continuation;
  bool detached = false;
  SpawnNode spawn_node;
  std::exception_ptr exception;

  Loop* lio_loop() const noexcept { return loop; }

  std::suspend_always initial_suspend() const noexcept { return {}; }

  struct FinalAwaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      TaskPromiseBase& p = h.promise();
      if (p.detached) {
        DetachedTaskDone(p, h);  // destroys the frame
        return std::noop_coroutine();
      }
      if (p.continuation) return p.continuation;
      return std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };
  FinalAwaiter final_suspend() const noexcept { return {}; }

  void unhandled_exception() noexcept { exception = std::current_exception(); }
};

// The loop a coroutine runs on: its promise's when it is a lio Task (or any
// promise with lio_loop()), else the thread's current loop.
template <class P>
Loop* LoopOf(std::coroutine_handle<P> h) noexcept {
  if constexpr (requires { h.promise().lio_loop(); }) {
    if (Loop* loop = h.promise().lio_loop()) return loop;
  }
  return CurrentLoop();
}

template <class T>
struct TaskPromise : TaskPromiseBase {
  std::optional<T> value;
  template <class U = T>
  void return_value(U&& v) {
    value.emplace(std::forward<U>(v));
  }
  T take() {
    if (exception) std::rethrow_exception(exception);
    return std::move(*value);
  }
};

template <>
struct TaskPromise<void> : TaskPromiseBase {
  void return_void() noexcept {}
  void take() {
    if (exception) std::rethrow_exception(exception);
  }
};

}  // namespace detail

template <class T>
class [[nodiscard]] Task {
 public:
  using value_type = T;
  struct promise_type : detail::TaskPromise<T> {
    Task get_return_object() noexcept { return Task(std::coroutine_handle<promise_type>::from_promise(*this)); }
  };
  using Handle = std::coroutine_handle<promise_type>;

  Task() noexcept = default;
  Task(Task&& other) noexcept : h_(std::exchange(other.h_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      reset();
      h_ = std::exchange(other.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  explicit operator bool() const noexcept { return static_cast<bool>(h_); }
  bool done() const noexcept { return h_ && h_.done(); }

  // Destroys the coroutine (cancelling what it waits for).
  void reset() noexcept {
    if (h_) std::exchange(h_, {}).destroy();
  }

  // Awaiting starts the task and resumes the awaiter with its result.
  struct Awaiter {
    Handle h;
    bool await_ready() const noexcept { return !h || h.done(); }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> parent) noexcept {
      h.promise().continuation = parent;
      if (h.promise().loop == nullptr) h.promise().loop = detail::LoopOf(parent);
      return h;
    }
    T await_resume() { return h.promise().take(); }
  };
  Awaiter operator co_await() const& noexcept { return Awaiter{h_}; }
  Awaiter operator co_await() const&& noexcept { return Awaiter{h_}; }

  // Runs the loop (the task's, else the thread's current one) until the task
  // finished; returns its result or rethrows its exception. Not from inside
  // the loop: co_await there.
  T wait() &&;

  // For the loop: gives up ownership of the frame.
  Handle release() noexcept { return std::exchange(h_, {}); }
  Handle handle() const noexcept { return h_; }

 private:
  explicit Task(Handle h) noexcept : h_(h) {}
  Handle h_;
};

}  // namespace lio

#endif  // LIO_RUNTIME_TASK_H_
