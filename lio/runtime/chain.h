// lio::Chain — operations linked on a Loop (plugin_abi.h [link.*]): each
// starts only after the one before it completed, a failure cancels the rest
// (-ECANCELED), and an op may have a deadline (a LINK_TIMEOUT).
//
//   char header[64], body[4096];
//   std::error_code ec = loop.link()
//       .then(lio::Op::Read(fd, header, sizeof header, 0), [](lio::Expected<int64_t> n) { ... })
//       .timeout(std::chrono::milliseconds(50))  // the read's deadline
//       .then(lio::Op::Read(fd, body, sizeof body, 64), [](lio::Expected<int64_t> n) { ... })
//       .submit();
//
// Every callback is called exactly once: with the op's result, or
// operation_canceled (ECANCELED) when an earlier op failed or its deadline
// cut it (a timeout's own callback: see timeout()). What fails a chain is
// [link.fail_forward]'s list: an error, a short read or write, a short
// send/recv under MSG_WAITALL.
//
// The chain is built without touching the backend: then() takes a slot of
// the loop (the callback lives in it) and keeps the op; submit() pushes them
// all back to back, so no other push lands inside the chain, and the loop
// flushes them together at the end of its turn. No allocation: a chain holds
// up to kMaxOps ops in the builder itself.
//
// Needs a backend with LIO_FEATURE_LINK (io_uring natively, poller
// emulated): submit() answers operation_not_supported otherwise, and the
// callbacks are dropped uncalled. A chain never submitted (destroyed, or
// submit() refused) releases its slots and drops its callbacks uncalled.
#ifndef LIO_RUNTIME_CHAIN_H_
#define LIO_RUNTIME_CHAIN_H_

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <system_error>
#include <type_traits>
#include <utility>

#include "lio/core/error.h"
#include "lio/core/expected.h"
#include "lio/core/op.h"
#include "lio/runtime/loop.h"

namespace lio {

class Chain {
 public:
  // Ops and timeouts in one chain, at most.
  static constexpr size_t kMaxOps = 16;

  explicit Chain(Loop& loop) noexcept : loop_(&loop) {}
  Chain(Chain&& other) noexcept;
  Chain& operator=(Chain&&) = delete;
  Chain(const Chain&) = delete;
  Chain& operator=(const Chain&) = delete;
  ~Chain();

  // Appends `op` (what it points to stays alive until its callback ran);
  // `callback(Expected<int64_t>)` gets its result. Takes a loop slot now;
  // when none is free (or kMaxOps is reached) the chain is spoilt and
  // submit() answers resource_unavailable_try_again.
  template <class F>
  Chain& then(const Op& op, F&& callback);

  // The deadline of the op appended last ([link.timeout]): if it has not
  // completed `after` its start, it is cancelled (its callback gets
  // operation_canceled, and the rest of the chain too). `callback`, if
  // given, gets the timeout's own result: timer expired (ETIME) when it cut
  // the op, operation_canceled when the op finished first.
  template <class Rep, class Period>
  Chain& timeout(std::chrono::duration<Rep, Period> after) {
    return timeout(after, [](Expected<int64_t>) {});
  }
  template <class Rep, class Period, class F>
  Chain& timeout(std::chrono::duration<Rep, Period> after, F&& callback) {
    const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(after).count();
    if (count_ == 0 || ops_[count_ - 1].code == LIO_OP_LINK_TIMEOUT) misplaced_timeout_ = true;
    return then(Op::LinkTimeout(ns), std::forward<F>(callback));
  }

  // Pushes the chain. {} — every callback will be called — or, with nothing
  // pushed and every callback dropped uncalled: operation_not_supported (the
  // backend has no links), resource_unavailable_try_again (no slot for an
  // op, or more than kMaxOps), invalid_argument (an empty chain, a timeout
  // first or right after another). Once only.
  std::error_code submit() noexcept;

  size_t size() const noexcept { return count_; }

 private:
  void release_all() noexcept;

  Loop* loop_;
  std::array<Op, kMaxOps> ops_{};
  std::array<detail::Slot*, kMaxOps> slots_{};
  size_t count_ = 0;
  bool spoilt_ = false;            // a then() found no slot, or too many ops
  bool misplaced_timeout_ = false;
  bool submitted_ = false;
};

template <class F>
Chain& Chain::then(const Op& op, F&& callback) {
  using D = std::decay_t<F>;
  static_assert(std::is_invocable_v<D&, Expected<int64_t>>, "a chain callback takes Expected<int64_t>");
  if (submitted_ || spoilt_) return *this;
  if (count_ == kMaxOps) {
    spoilt_ = true;
    return *this;
  }
  detail::Slot* s = loop_->try_acquire_slot();
  if (s == nullptr) {
    spoilt_ = true;
    return *this;
  }
  s->callback.emplace([cb = D(std::forward<F>(callback))](Loop& loop, detail::Slot& slot, int64_t r) mutable {
    Expected<int64_t> result = detail::RawSpec::finish(loop, slot.data, r);
    loop.release_slot(slot);
    cb(std::move(result));
  });
  s->abandon = detail::RawSpec::kAbandon;
  ops_[count_] = op;
  slots_[count_] = s;
  ++count_;
  return *this;
}

}  // namespace lio

#endif  // LIO_RUNTIME_CHAIN_H_
