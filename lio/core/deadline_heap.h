// The loop's timers: a binary min-heap of intrusive nodes ordered by
// (deadline, arming sequence), so timers fire in deadline order and timers
// with the same deadline in the order they were armed.
//
// Nodes live in their owners (a sleeping coroutine's awaiter, a slot for
// loop.after); the heap stores pointers and each node knows its index, so
// removing an arbitrary node (a cancelled sleep) is O(log n). The pointer
// array is reserved for the loop's capacity at init; it grows only when more
// timers are armed at once than ever before.
#ifndef LIO_CORE_DEADLINE_HEAP_H_
#define LIO_CORE_DEADLINE_HEAP_H_

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
  void reserve(size_t n) { nodes_.reserve(n); }
  bool empty() const noexcept { return nodes_.empty(); }
  size_t size() const noexcept { return nodes_.size(); }
  TimerNode* top() const noexcept { return nodes_.empty() ? nullptr : nodes_.front(); }

  void push(TimerNode* node, int64_t deadline_ns) {
    node->deadline_ns = deadline_ns;
    node->sequence = next_sequence_++;
    node->index = static_cast<uint32_t>(nodes_.size());
    nodes_.push_back(node);
    up(node->index);
  }

  // Removes `node` if armed.
  void remove(TimerNode* node) noexcept {
    if (!node->armed()) return;
    uint32_t i = node->index;
    uint32_t last = static_cast<uint32_t>(nodes_.size() - 1);
    node->index = TimerNode::kNotArmed;
    if (i != last) {
      nodes_[i] = nodes_[last];
      nodes_[i]->index = i;
      nodes_.pop_back();
      if (!up(i)) down(i);
    } else {
      nodes_.pop_back();
    }
  }

  // The next sequence number push will use: timers armed from here on have
  // a sequence >= this.
  uint64_t next_sequence() const noexcept { return next_sequence_; }

 private:
  static bool less(const TimerNode* a, const TimerNode* b) noexcept {
    return a->deadline_ns != b->deadline_ns ? a->deadline_ns < b->deadline_ns : a->sequence < b->sequence;
  }
  void place(uint32_t i, TimerNode* n) noexcept {
    nodes_[i] = n;
    n->index = i;
  }
  // Moves node i up; whether it moved.
  bool up(uint32_t i) noexcept {
    TimerNode* n = nodes_[i];
    uint32_t start = i;
    while (i > 0) {
      uint32_t parent = (i - 1) / 2;
      if (!less(n, nodes_[parent])) break;
      place(i, nodes_[parent]);
      i = parent;
    }
    place(i, n);
    return i != start;
  }
  void down(uint32_t i) noexcept {
    TimerNode* n = nodes_[i];
    uint32_t size = static_cast<uint32_t>(nodes_.size());
    for (;;) {
      uint32_t child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && less(nodes_[child + 1], nodes_[child])) ++child;
      if (!less(nodes_[child], n)) break;
      place(i, nodes_[child]);
      i = child;
    }
    place(i, n);
  }

  std::vector<TimerNode*> nodes_;
  uint64_t next_sequence_ = 0;
};

}  // namespace detail
}  // namespace lio

#endif  // LIO_CORE_DEADLINE_HEAP_H_
