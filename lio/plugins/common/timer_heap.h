// TimerHeap: the deadlines of a backend's timers, nearest first.
//
// A binary min-heap of (deadline, key) with a position index, so any key can
// be removed in O(log n) (cancel) and the nearest deadline read in O(1) (it
// bounds the backend's wait). Keys are small integers in [0, capacity) — a
// backend uses its OpTable slot numbers. Everything is allocated in init;
// push/erase/pop never allocate. Equal deadlines pop in push order, so timers
// with the same deadline complete in the order they were submitted.
//
// Plugin-side helper (C++, header-only); nothing here crosses the ABI.
#ifndef LIO_PLUGINS_COMMON_TIMER_HEAP_H_
#define LIO_PLUGINS_COMMON_TIMER_HEAP_H_

#include <cstdint>
#include <vector>

namespace lio::plugin {

class TimerHeap {
 public:
  static constexpr uint32_t kAbsent = UINT32_MAX;

  // Room for keys [0, capacity). Throws std::bad_alloc (create() turns it
  // into -LIO_ENOMEM).
  void init(uint32_t capacity) {
    entries_.assign(capacity, Entry{});
    position_.assign(capacity, kAbsent);
    size_ = 0;
    next_sequence_ = 0;
  }

  bool empty() const noexcept { return size_ == 0; }
  uint32_t size() const noexcept { return size_; }
  bool contains(uint32_t key) const noexcept { return position_[key] != kAbsent; }

  // Adds `key` (not already present) due at `deadline`.
  void push(uint32_t key, int64_t deadline) noexcept {
    uint32_t at = size_++;
    entries_[at] = Entry{deadline, next_sequence_++, key};
    position_[key] = at;
    sift_up(at);
  }

  // Removes `key` if present; returns whether it was.
  bool erase(uint32_t key) noexcept {
    uint32_t at = position_[key];
    if (at == kAbsent) return false;
    remove_at(at);
    return true;
  }

  // The nearest timer. Only when !empty().
  uint32_t top_key() const noexcept { return entries_[0].key; }
  int64_t top_deadline() const noexcept { return entries_[0].deadline; }

  // Removes the nearest timer and returns its key. Only when !empty().
  uint32_t pop() noexcept {
    uint32_t key = entries_[0].key;
    remove_at(0);
    return key;
  }

 private:
  struct Entry {
    int64_t deadline = 0;
    uint64_t sequence = 0;  // push order, breaks ties between equal deadlines
    uint32_t key = kAbsent;
  };

  static bool earlier(const Entry& a, const Entry& b) noexcept {
    return a.deadline != b.deadline ? a.deadline < b.deadline : a.sequence < b.sequence;
  }

  void place(uint32_t at, const Entry& entry) noexcept {
    entries_[at] = entry;
    position_[entry.key] = at;
  }

  void remove_at(uint32_t at) noexcept {
    position_[entries_[at].key] = kAbsent;
    uint32_t last = --size_;
    if (at == last) return;
    place(at, entries_[last]);
    // The moved entry may belong above or below its new place.
    if (at > 0 && earlier(entries_[at], entries_[parent(at)])) {
      sift_up(at);
    } else {
      sift_down(at);
    }
  }

  void sift_up(uint32_t at) noexcept {
    Entry moving = entries_[at];
    while (at > 0 && earlier(moving, entries_[parent(at)])) {
      place(at, entries_[parent(at)]);
      at = parent(at);
    }
    place(at, moving);
  }

  void sift_down(uint32_t at) noexcept {
    Entry moving = entries_[at];
    for (;;) {
      uint32_t child = 2 * at + 1;
      if (child >= size_) break;
      if (child + 1 < size_ && earlier(entries_[child + 1], entries_[child])) ++child;
      if (!earlier(entries_[child], moving)) break;
      place(at, entries_[child]);
      at = child;
    }
    place(at, moving);
  }

  static uint32_t parent(uint32_t at) noexcept { return (at - 1) / 2; }

  std::vector<Entry> entries_;      // the heap, entries_[0] nearest
  std::vector<uint32_t> position_;  // key -> index in entries_, or kAbsent
  uint32_t size_ = 0;
  uint64_t next_sequence_ = 0;
};

}  // namespace lio::plugin

#endif  // LIO_PLUGINS_COMMON_TIMER_HEAP_H_
