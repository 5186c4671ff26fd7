// The loop's timers: a binary min-heap of intrusive nodes ordered by
// (deadline, arming sequence), so timers fire in deadline order and timers
// with the same deadline in the order they were armed.
//
// Nodes live in their owners (a sleeping coroutine's awaiter, a slot for
// loop.after); the heap stores a pointer and the key of each, and each node
// knows its index, so removing an arbitrary node (a cancelled sleep) is
// O(log n). The array is reserved for the loop's capacity at init; it grows
// only when more timers are armed at once than ever before.
#ifndef LIO_RUNTIME_DEADLINE_HEAP_H_
#define LIO_RUNTIME_DEADLINE_HEAP_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lio {
class Loop;
namespace detail {

struct TimerNode {
  static constexpr uint32_t kNotArmed = UINT32_MAX;

  int64_t deadline_ns = 0;  // steady_clock
  uint64_t sequence = 0;
  uint32_t index = kNotArmed;  // position in the heap
  // Called when the deadline passes, after the node left the heap.
  void (*fire)(TimerNode* node, Loop& loop) = nullptr;
  void* context = nullptr;

  bool armed() const noexcept { return index != kNotArmed; }
};

class DeadlineHeap {
 public:
  void reserve(size_t n) { entries_.reserve(n); }
  bool empty() const noexcept { return entries_.empty(); }
  size_t size() const noexcept { return entries_.size(); }
  TimerNode* top() const noexcept { return entries_.empty() ? nullptr : entries_.front().node; }

  void push(TimerNode* node, int64_t deadline_ns) {
    node->deadline_ns = deadline_ns;
    node->sequence = next_sequence_++;
    node->index = static_cast<uint32_t>(entries_.size());
    entries_.push_back(Entry{deadline_ns, node->sequence, node});
    up(node->index);
  }

  // Removes `node` if armed.
  void remove(TimerNode* node) noexcept {
    if (!node->armed()) return;
    const uint32_t i = node->index;
    node->index = TimerNode::kNotArmed;
    const Entry last = entries_.back();
    entries_.pop_back();
    if (i == entries_.size()) return;  // it was the last
    entries_[i] = last;
    last.node->index = i;
    if (!up(i)) down(i);
  }

  // The next sequence number push will use: timers armed from here on have
  // a sequence >= this.
  uint64_t next_sequence() const noexcept { return next_sequence_; }

 private:
  // The ordering key is kept beside the pointer: sifting compares entries in
  // this one array and never reads the nodes, which live wherever their
  // owners do (a million coroutine frames: a cache miss per node read).
  struct Entry {
    int64_t deadline_ns;
    uint64_t sequence;
    TimerNode* node;
  };

  static bool less(const Entry& a, const Entry& b) noexcept {
    return a.deadline_ns != b.deadline_ns ? a.deadline_ns < b.deadline_ns : a.sequence < b.sequence;
  }
  void place(uint32_t i, const Entry& e) noexcept {
    entries_[i] = e;
    e.node->index = i;
  }
  // Moves entry i up; whether it moved.
  bool up(uint32_t i) noexcept {
    const Entry e = entries_[i];
    const uint32_t start = i;
    while (i > 0) {
      const uint32_t parent = (i - 1) / 2;
      if (!less(e, entries_[parent])) break;
      place(i, entries_[parent]);
      i = parent;
    }
    if (i != start) place(i, e);
    return i != start;
  }
  void down(uint32_t i) noexcept {
    const Entry e = entries_[i];
    const uint32_t size = static_cast<uint32_t>(entries_.size());
    const uint32_t start = i;
    for (;;) {
      uint32_t child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && less(entries_[child + 1], entries_[child])) ++child;
      if (!less(entries_[child], e)) break;
      place(i, entries_[child]);
      i = child;
    }
    if (i != start) place(i, e);
  }

  std::vector<Entry> entries_;
  uint64_t next_sequence_ = 0;
};

}  // namespace detail
}  // namespace lio

#endif  // LIO_RUNTIME_DEADLINE_HEAP_H_
