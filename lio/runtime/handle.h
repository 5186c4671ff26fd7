// lio::Handle — shared ownership of one OS handle (fd, HANDLE, SOCKET) that
// belongs to a Loop, and lio::Target — what an operation acts on.
//
// A Handle is closed *through the loop's backend* (a `close` operation) when
// its last owner lets go. Owners are the Handle objects (copies share
// ownership) and every operation in flight on it: an operation started on a
// File keeps the file open until that operation completed, so the OS can
// never reuse the descriptor number under an operation still using it.
//
// Handles are not thread-safe (like everything of a Loop but post/stop) and
// must not outlive their loop.
//
// The typed resources (File, TcpStream, ...) in resources.h are Handles.
#ifndef LIO_RUNTIME_HANDLE_H_
#define LIO_RUNTIME_HANDLE_H_

#include <cstdint>
#include <utility>

#include "lio/core/plugin_abi.h"

namespace lio {

class Loop;

namespace detail {

// A place in the loop's queue of those waiting for a free slot.
struct SlotWaiter {
  SlotWaiter* prev = nullptr;
  SlotWaiter* next = nullptr;
  bool queued = false;
  // An operation that may take the loop's reserved slots (accept, close):
  // queued apart, served first.
  bool reserved = false;
  // Called (on the loop thread) when a slot is free for this waiter, which
  // must then take it with LoopAccess::TakeFreeSlot.
  void (*on_slot)(SlotWaiter* self, Loop& loop) = nullptr;
  void* context = nullptr;
};

// The shared state of a Handle; pooled by the loop.
struct HandleState {
  Loop* loop = nullptr;
  lio_handle handle = LIO_INVALID_HANDLE;
  uint32_t refs = 0;
  HandleState* next_free = nullptr;
  SlotWaiter close_waiter;  // when no slot is free to close it right away
};

}  // namespace detail

class Handle {
 public:
  Handle() noexcept = default;

  // Takes ownership of `h`, a handle you created (or got from a raw op):
  // from now on it is closed through `loop` when the last owner lets go.
  static Handle Adopt(Loop& loop, lio_handle h);

  Handle(const Handle& other) noexcept : state_(other.state_) {
    if (state_ != nullptr) ++state_->refs;
  }
  Handle(Handle&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  Handle& operator=(const Handle& other) noexcept {
    Handle copy(other);
    swap(copy);
    return *this;
  }
  Handle& operator=(Handle&& other) noexcept {
    Handle moved(std::move(other));
    swap(moved);
    return *this;
  }
  ~Handle() { reset(); }

  lio_handle get() const noexcept { return state_ != nullptr ? state_->handle : LIO_INVALID_HANDLE; }
  Loop* loop() const noexcept { return state_ != nullptr ? state_->loop : nullptr; }
  explicit operator bool() const noexcept { return state_ != nullptr; }
  // Owners right now (Handle copies + operations in flight); 0 when empty.
  uint32_t use_count() const noexcept { return state_ != nullptr ? state_->refs : 0; }

  // Lets go of this owner (the handle is closed if it was the last).
  void reset() noexcept;
  // Gives up ownership without closing: returns the handle when this is its
  // only owner (no copy, no operation in flight), else LIO_INVALID_HANDLE and
  // nothing changes.
  lio_handle release() noexcept;

  void swap(Handle& other) noexcept { std::swap(state_, other.state_); }

 private:
  explicit Handle(detail::HandleState* state) noexcept : state_(state) {}
  detail::HandleState* state_ = nullptr;
  friend class Loop;
};

// What an operation acts on: a raw handle you keep open yourself, or a
// Handle/resource, which the operation keeps open until it completed.
class Target {
 public:
  Target(lio_handle raw) noexcept : raw_(raw) {}  // NOLINT: implicit by design
  Target(const Handle& owned) noexcept : raw_(owned.get()), owned_(owned) {}  // NOLINT
  Target(Handle&& owned) noexcept : raw_(owned.get()), owned_(std::move(owned)) {}  // NOLINT

  lio_handle get() const noexcept { return raw_; }
  Loop* loop() const noexcept { return owned_.loop(); }
  Handle take_owner() noexcept { return std::move(owned_); }

 private:
  lio_handle raw_;
  Handle owned_;
};

}  // namespace lio

#endif  // LIO_RUNTIME_HANDLE_H_
