#include "lio/plugins/common/timer_heap.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <utility>

namespace lio::plugin {
namespace {

TEST(TimerHeap, PopsNearestFirst) {
  TimerHeap heap;
  heap.init(8);
  heap.push(0, 30);
  heap.push(1, 10);
  heap.push(2, 20);
  EXPECT_EQ(heap.top_deadline(), 10);
  EXPECT_EQ(heap.pop(), 1u);
  EXPECT_EQ(heap.pop(), 2u);
  EXPECT_EQ(heap.pop(), 0u);
  EXPECT_TRUE(heap.empty());
}

TEST(TimerHeap, EqualDeadlinesPopInPushOrder) {
  TimerHeap heap;
  heap.init(8);
  for (uint32_t key : {5u, 3u, 7u, 0u}) heap.push(key, 100);
  EXPECT_EQ(heap.pop(), 5u);
  EXPECT_EQ(heap.pop(), 3u);
  EXPECT_EQ(heap.pop(), 7u);
  EXPECT_EQ(heap.pop(), 0u);
}

TEST(TimerHeap, EraseAnyKey) {
  TimerHeap heap;
  heap.init(4);
  heap.push(0, 1);
  heap.push(1, 2);
  heap.push(2, 3);
  EXPECT_TRUE(heap.erase(1));
  EXPECT_FALSE(heap.erase(1));
  EXPECT_FALSE(heap.contains(1));
  EXPECT_EQ(heap.pop(), 0u);
  EXPECT_EQ(heap.pop(), 2u);
  EXPECT_FALSE(heap.erase(3));
}

// Random pushes, erases and pops against std::map ordered by (deadline, order).
TEST(TimerHeap, MatchesAReferenceOrdering) {
  constexpr uint32_t kCapacity = 64;
  TimerHeap heap;
  heap.init(kCapacity);
  std::map<std::pair<int64_t, uint64_t>, uint32_t> reference;
  std::map<uint32_t, std::pair<int64_t, uint64_t>> by_key;
  std::mt19937_64 rng(11);
  uint64_t order = 0;
  for (int step = 0; step < 100000; ++step) {
    uint32_t key = static_cast<uint32_t>(rng() % kCapacity);
    switch (rng() % 3) {
      case 0:
        if (!heap.contains(key)) {
          int64_t deadline = static_cast<int64_t>(rng() % 50);
          heap.push(key, deadline);
          reference[{deadline, order}] = key;
          by_key[key] = {deadline, order};
          ++order;
        }
        break;
      case 1: {
        bool present = by_key.count(key) != 0;
        ASSERT_EQ(heap.erase(key), present);
        if (present) {
          reference.erase(by_key[key]);
          by_key.erase(key);
        }
        break;
      }
      default:
        if (!reference.empty()) {
          auto nearest = reference.begin();
          ASSERT_EQ(heap.top_deadline(), nearest->first.first);
          ASSERT_EQ(heap.pop(), nearest->second);
          by_key.erase(nearest->second);
          reference.erase(nearest);
        }
    }
    ASSERT_EQ(heap.size(), reference.size());
  }
}

}  // namespace
}  // namespace lio::plugin
