// The loop's operation slots: allocated in chunks, addressed by a 32-bit
// index, handed out from a free list.
//
// The first chunk holds the loop's initial capacity and is allocated when the
// loop is created; grow() adds one more chunk of bit_ceil(initial) slots (the
// last one shorter, so there are never more than `max`), on the slow path of
// an operation that found every slot taken. So after creation the store
// allocates only in grow(), never per operation. Chunks are never freed
// before the loop goes: a slot's address is stable while an operation uses
// it, and a loop that once had that many operations in flight may again.
//
// Index i lives in chunk i >> shift at i & mask: one shift, one mask and one
// extra load per access. Indices of the first chunk past `initial`, and of
// the last past `max`, do not exist (find() says so).
//
// Internal to the loop.
#ifndef LIO_RUNTIME_SLOT_STORE_H_
#define LIO_RUNTIME_SLOT_STORE_H_

#include <bit>
#include <cstdint>
#include <memory>
#include <vector>

#include "lio/runtime/slot.h"

namespace lio::detail {

class SlotStore {
 public:
  // `initial` slots now (at least 1), room to grow to `max` (>= initial).
  void init(uint32_t initial, uint32_t max) {
    initial = initial > 0 ? initial : 1;
    max_ = max > initial ? max : initial;
    shift_ = static_cast<uint32_t>(std::countr_zero(std::bit_ceil(initial)));
    mask_ = (uint32_t{1} << shift_) - 1;
    const uint64_t chunk = uint64_t{1} << shift_;
    const size_t most_chunks = 1 + static_cast<size_t>((max_ - initial + chunk - 1) / chunk);
    chunks_.reserve(most_chunks);
    lengths_.reserve(most_chunks);
    add_chunk(initial);
  }

  // The first chunk (the loop's capacity, where nearly every operation
  // lives) answers in one compare, without the chunk arithmetic.
  Slot& operator[](uint32_t index) noexcept {
    if (index < first_length_) [[likely]] return first_[index];
    return chunks_[index >> shift_][index & mask_];
  }
  const Slot& operator[](uint32_t index) const noexcept {
    if (index < first_length_) [[likely]] return first_[index];
    return chunks_[index >> shift_][index & mask_];
  }

  // The slot at `index`, or nullptr when there is none (never allocated).
  Slot* find(uint64_t index) noexcept {
    if (index < first_length_) [[likely]] return &first_[index];
    const uint64_t chunk = index >> shift_;
    if (chunk >= chunks_.size() || (index & mask_) >= lengths_[chunk]) return nullptr;
    return &chunks_[chunk][index & mask_];
  }

  // Slots allocated now, and the most there may be.
  uint32_t allocated() const noexcept { return allocated_; }
  uint32_t max() const noexcept { return max_; }
  uint32_t free_count() const noexcept { return free_count_; }
  // Every operation index is below this, at any size (timer ids start here).
  uint64_t index_limit() const noexcept {
    const uint64_t chunk = uint64_t{1} << shift_;
    const uint64_t first = lengths_.empty() ? 0 : lengths_[0];
    return chunk * (1 + (max_ - first + chunk - 1) / chunk);
  }

  // The first free slot, taken off the free list; nullptr when none is free.
  Slot* pop_free() noexcept {
    if (free_head_ == kNoSlot) return nullptr;
    Slot& s = (*this)[free_head_];
    free_head_ = s.next;
    s.next = kNoSlot;
    --free_count_;
    return &s;
  }
  void push_free(Slot& s) noexcept {
    s.next = free_head_;
    free_head_ = s.index;
    ++free_count_;
  }

  // Adds a chunk to the free list. false when the store is at `max` (or the
  // allocation failed: then it stays as it was).
  bool grow() noexcept {
    if (allocated_ >= max_) return false;
    const uint32_t room = max_ - allocated_;
    const uint32_t chunk = mask_ + 1;
    return add_chunk(room < chunk ? room : chunk);
  }

  // Calls fn(slot) for every allocated slot.
  template <class F>
  void for_each(F&& fn) {
    for (size_t c = 0; c < chunks_.size(); ++c) {
      for (uint32_t i = 0; i < lengths_[c]; ++i) fn(chunks_[c][i]);
    }
  }

 private:
  bool add_chunk(uint32_t length) noexcept {
    std::unique_ptr<Slot[]> chunk(new (std::nothrow) Slot[length]);
    if (!chunk) return false;
    const uint32_t base = static_cast<uint32_t>(chunks_.size()) << shift_;
    // Linked in index order, so a fresh store hands out 0, 1, 2...
    for (uint32_t i = length; i-- > 0;) {
      chunk[i].index = base + i;
      chunk[i].next = free_head_;
      free_head_ = base + i;
    }
    free_count_ += length;
    allocated_ += length;
    if (chunks_.empty()) {
      first_ = chunk.get();
      first_length_ = length;
    }
    chunks_.push_back(std::move(chunk));  // both reserved in init: no reallocation
    lengths_.push_back(length);
    return true;
  }

  std::vector<std::unique_ptr<Slot[]>> chunks_;
  std::vector<uint32_t> lengths_;
  Slot* first_ = nullptr;  // chunks_[0], and its length
  uint32_t first_length_ = 0;
  uint32_t shift_ = 0;
  uint32_t mask_ = 0;
  uint32_t allocated_ = 0;
  uint32_t max_ = 0;
  uint32_t free_head_ = kNoSlot;
  uint32_t free_count_ = 0;
};

}  // namespace lio::detail

#endif  // LIO_RUNTIME_SLOT_STORE_H_
