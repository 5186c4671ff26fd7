// The loop's operation store: one Slot per operation in flight, allocated
// in chunks (slot_store.h): LoopOptions::capacity of them when the loop is
// created, more on the slow path when the loop grows (LOOP.md, "At capacity").
//
// A slot holds everything the kernel may still touch while the operation is
// in flight — the owned buffer(s), iovec and msghdr arrays, the socket
// address, the path — plus a reference to the resource operated on. Nothing
// in it is released before the backend returned the operation's completion,
// whatever happened to the caller (cancelled, coroutine destroyed, timed
// out): that is what makes the owned-buffer API safe on io_uring.
//
// Ids: an operation's id (the backend's 64-bit token) is the slot's index in
// the low 32 bits and the slot's generation in the high 32. The generation
// changes every time the slot is reused, so a stale id (a cancel for an
// operation that already finished) can never reach the operation now using
// the slot. Generations are odd (they start at 1 and step by 2), so an id is
// never 0 without a test for the wrap.
//
// Internal to the loop; applications use OpId.
#ifndef LIO_RUNTIME_SLOT_H_
#define LIO_RUNTIME_SLOT_H_

#include <coroutine>
#include <cstdint>
#include <string>
#include <vector>

#include "lio/runtime/buffer.h"
#include "lio/runtime/deadline_heap.h"
#include "lio/runtime/handle.h"
#include "lio/runtime/inline_function.h"
#include "lio/core/plugin_abi.h"
#include "lio/runtime/socket_address.h"

namespace lio {

class Loop;

// Names one operation (or timer) started with a callback, for Loop::cancel.
// Empty (false) when it could not be started.
struct OpId {
  uint64_t value = 0;
  explicit operator bool() const noexcept { return value != 0; }
  friend bool operator==(OpId, OpId) = default;
};

namespace detail {

// Memory an operation needs until its completion.
struct SlotData {
  Handle owner;                 // the resource operated on, kept open
  Buffer buffer;                // owned single buffer
  std::vector<Buffer> buffers;  // owned vectored buffers
  std::vector<lio_iovec> iov;   // their iovecs (capacity kept across uses)
  lio_iovec one_iov{};
  lio_msghdr msg{};
  SocketAddress address;
  uint32_t address_size = 0;
  std::string path;
  std::string other_path;  // linkat/renameat/symlinkat: the second path
  Handle other_owner;      // ... and the second directory, kept open
  Handle second_owner;              // tee/splice: the output, kept open too
  lio_handle pair[2] = {-1, -1};    // pipe: the two ends the backend writes

  // Releases what the operation owned (the buffer is wiped first if asked).
  // Inline and checked member by member: most operations (a nop, a borrowed
  // read) leave all of it empty, and this runs for every completion.
  void clear() noexcept {
    if (owner) owner.reset();
    if (second_owner) second_owner.reset();
    if (buffer) buffer.reset();
    if (!buffers.empty()) buffers.clear();
    iov.clear();
    path.clear();
    other_path.clear();
    if (other_owner) other_owner.reset();
  }
};

// A coroutine waiting for one operation's completion.
struct OpWaiter {
  // Moves the result out of the slot; the loop then frees the slot and
  // resumes `continuation`.
  void (*complete)(OpWaiter* self, Loop& loop, SlotData& data, int64_t result) = nullptr;
  std::coroutine_handle<> continuation;
};

// What to do with a completion nobody waits for any more (close the handle an
// abandoned accept or open produced). May be null.
using AbandonFn = void (*)(Loop& loop, SlotData& data, int64_t result);

inline constexpr uint32_t kNoSlot = UINT32_MAX;

struct Slot {
  enum class Kind : uint8_t { kFree, kOp };

  // The callback form: finishes the result from the slot, frees the slot,
  // then calls the user's callback (stored inline, see InlineFunction).
  using Callback = InlineFunction<void(Loop&, Slot&, int64_t), 64>;

  uint32_t generation = 1;
  uint32_t index = 0;       // in the loop's SlotStore; set once
  uint32_t next = kNoSlot;  // free list / ready list
  Kind kind = Kind::kFree;
  bool in_backend = false;  // pushed; its completion has not been dispatched
  bool ready = false;       // on the ready list, completing with `result`
  bool reserved = false;    // taken by accept or close (may be the loop's reserve)
  // `data` may hold something to release. Set whenever the slot is taken;
  // cleared only by an operation whose spec says it holds nothing (a nop):
  // release then skips SlotData::clear's member-by-member checks.
  bool holds_data = true;
  int64_t result = 0;
  uint32_t flags = 0;       // the completion's LIO_COMPLETION_* flags (streams.h reads them)

  Callback callback;          // or
  OpWaiter* waiter = nullptr;  // or neither: abandoned
  AbandonFn abandon = nullptr;

  SlotData data;
};

// A loop.after timer: its own store (LoopOptions::timers of them, allocated
// when the loop is created), apart from the operation slots, because a timer
// lives only in the loop's deadline heap and never reaches the backend. Ids:
// index SlotStore::index_limit() + i (so cancel tells them from operations),
// same generation scheme as Slot.
struct TimerSlot {
  using Callback = InlineFunction<void(Loop&, TimerSlot&, int64_t), 64>;

  uint32_t generation = 1;
  uint32_t next = kNoSlot;  // free list / cancelled list
  bool in_use = false;
  bool cancelled = false;  // on the cancelled list, completing with ECANCELED
  TimerNode node;          // in the loop's heap while armed
  Callback callback;
};

}  // namespace detail
}  // namespace lio

#endif  // LIO_RUNTIME_SLOT_H_
