// OpTable: the fixed-capacity table of in-flight operations every backend
// keeps. Slots are pre-allocated in init; insert/find/erase never allocate.
// An open-addressing index maps the caller's 64-bit id to its slot so cancel
// and duplicate-id checks are O(1). Each bucket keeps the id's 32-bit hash
// beside the slot number, so probing compares hashes in the index and reads
// a slot only on a hash match: with many ops in flight the slots are cold,
// and touching one per probe step made every push and reap pay cache misses.
//
// Plugin-side helper (C++, header-only); nothing here crosses the ABI.
#ifndef LIO_PLUGINS_COMMON_OP_TABLE_H_
#define LIO_PLUGINS_COMMON_OP_TABLE_H_

#include <cstdint>
#include <vector>

namespace lio::plugin {

template <class Slot>
class OpTable {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // Allocates for `capacity` operations. Throws std::bad_alloc (callers in
  // create() turn it into -LIO_ENOMEM).
  // capacity() stays 0 until everything is allocated, so an owner that walks
  // its slots on the way out of a failed create walks none.
  void init(uint32_t capacity) {
    slots_.assign(capacity, Entry{});
    free_.resize(capacity);
    for (uint32_t i = 0; i < capacity; ++i) free_[i] = capacity - 1 - i;
    uint32_t buckets = 8;
    while (buckets < capacity * 2u) buckets <<= 1;
    index_.assign(buckets, Bucket{});
    mask_ = buckets - 1;
    free_count_ = capacity;
    capacity_ = capacity;
  }

  uint32_t capacity() const noexcept { return capacity_; }
  uint32_t size() const noexcept { return capacity_ - free_count_; }
  bool full() const noexcept { return free_count_ == 0; }

  // The slot for a new op `id`, or kNone when full or `id` is in flight
  // (tell them apart with full()).
  uint32_t insert(uint64_t id) noexcept {
    if (free_count_ == 0) return kNone;
    const uint32_t h = hash(id);
    uint32_t b = h & mask_;
    for (; index_[b].slot != kNone; b = (b + 1) & mask_) {
      if (holds(index_[b], h, id)) return kNone;
    }
    const uint32_t s = free_[--free_count_];
    index_[b] = Bucket{s, h};
    Entry& entry = slots_[s];
    entry.id = id;
    entry.bucket = b;
    reset(entry.slot);
    return s;
  }

  // The slot of in-flight op `id`, or kNone.
  uint32_t find(uint64_t id) const noexcept {
    const uint32_t h = hash(id);
    for (uint32_t b = h & mask_; index_[b].slot != kNone; b = (b + 1) & mask_) {
      if (holds(index_[b], h, id)) return index_[b].slot;
    }
    return kNone;
  }

  // Forget slot `s` (its op completed). Backward-shift deletion keeps probe
  // chains intact without tombstones; each slot knows its bucket, so erase
  // starts there instead of hashing and probing again.
  void erase(uint32_t s) noexcept {
    uint32_t b = slots_[s].bucket;
    for (uint32_t next = (b + 1) & mask_; index_[next].slot != kNone; next = (next + 1) & mask_) {
      const uint32_t home = index_[next].hash & mask_;
      // Move `next` into the hole at b if its home is not in (b, next].
      const bool home_between = (b < next) ? (home > b && home <= next) : (home > b || home <= next);
      if (!home_between) {
        index_[b] = index_[next];
        slots_[index_[b].slot].bucket = b;
        b = next;
      }
    }
    index_[b] = Bucket{};
    free_[free_count_++] = s;
  }

  // Starts loading what erase(s) will touch (slot `s` and its index bucket)
  // so that a batch of completions waits for memory once, not once each:
  // the rings' own traffic keeps pushing the index out of L1.
  void prefetch_erase(uint32_t s) const noexcept {
    if (s >= capacity_) return;
    __builtin_prefetch(&index_[slots_[s].bucket], 1);
  }

  uint64_t id(uint32_t s) const noexcept { return slots_[s].id; }
  Slot& operator[](uint32_t s) noexcept { return slots_[s].slot; }
  const Slot& operator[](uint32_t s) const noexcept { return slots_[s].slot; }

 private:
  struct Entry {
    uint64_t id = 0;
    uint32_t bucket = 0;  // where index_ points at this slot, while in flight
    Slot slot{};
  };

  struct Bucket {
    uint32_t slot = kNone;
    uint32_t hash = 0;  // hash(id of slot): its home bucket, and a filter before reading the slot
  };

  // A Slot may say how to make itself ready for a new op more cheaply than
  // by assigning a value-initialised one (large unions need no clearing).
  static void reset(Slot& slot) noexcept {
    if constexpr (requires { slot.reset(); }) {
      slot.reset();
    } else {
      slot = Slot{};
    }
  }

  static uint32_t hash(uint64_t id) noexcept { return static_cast<uint32_t>((id * 0x9E3779B97F4A7C15ull) >> 32); }

  bool holds(const Bucket& bucket, uint32_t h, uint64_t id) const noexcept {
    return bucket.hash == h && slots_[bucket.slot].id == id;
  }

  uint32_t capacity_ = 0;
  uint32_t mask_ = 0;
  std::vector<Entry> slots_;
  std::vector<uint32_t> free_;  // free slot numbers; the first free_count_ are valid
  uint32_t free_count_ = 0;
  std::vector<Bucket> index_;
};

}  // namespace lio::plugin

#endif  // LIO_PLUGINS_COMMON_OP_TABLE_H_
