// The runtime's backend-free parts: Buffer, InlineFunction, the deadline
// heap, SocketAddress.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "lio/runtime/buffer.h"
#include "lio/runtime/deadline_heap.h"
#include "lio/runtime/inline_function.h"
#include "lio/runtime/socket_address.h"

namespace lio {
namespace {

TEST(Buffer, SizeCapacityAndMoves) {
  Buffer b(16);
  EXPECT_EQ(b.capacity(), 16u);
  EXPECT_EQ(b.size(), 0u);
  EXPECT_EQ(b.append("hello"), 5u);
  EXPECT_EQ(b.view(), "hello");
  b.resize(100);
  EXPECT_EQ(b.size(), 16u) << "clamped to capacity";
  Buffer moved = std::move(b);
  EXPECT_FALSE(b);
  EXPECT_EQ(moved.capacity(), 16u);
  Buffer copy = Buffer::CopyOf("abc");
  EXPECT_EQ(copy.view(), "abc");
  EXPECT_EQ(copy.append("more"), 0u) << "full";
}

struct Released {
  int count = 0;
  bool zero = false;
  static void Release(void* ctx, std::byte* data, size_t n) {
    auto* self = static_cast<Released*>(ctx);
    ++self->count;
    self->zero = true;
    for (size_t i = 0; i < n; ++i) self->zero = self->zero && data[i] == std::byte{0};
  }
};

TEST(Buffer, AdoptedMemoryIsReleasedOnceAndWipedWhenAsked) {
  std::byte memory[32];
  Released r;
  {
    Buffer b = Buffer::Adopt(memory, sizeof memory, &Released::Release, &r);
    b.append("secret");
    Buffer other = std::move(b);
    EXPECT_EQ(r.count, 0);
  }
  EXPECT_EQ(r.count, 1);
  EXPECT_FALSE(r.zero);

  Released w;
  {
    Buffer b = Buffer::Adopt(memory, sizeof memory, &Released::Release, &w);
    b.set_wipe_on_release(true);
    b.append("secret");
    b = Buffer();  // released by assignment
    EXPECT_EQ(w.count, 1);
  }
  EXPECT_EQ(w.count, 1);
  EXPECT_TRUE(w.zero);
  EXPECT_TRUE(Buffer::Secret(8).wipe_on_release());
}

TEST(InlineFunction, SmallCallablesStayInlineBigOnesGoToTheHeap) {
  int x = 0;
  InlineFunction<int(int), 64> small = [&x](int v) { return x += v; };
  EXPECT_FALSE(small.on_heap());
  EXPECT_EQ(small(2), 2);
  struct Big {
    char pad[200];
    int operator()(int v) { return v * 2; }
  };
  InlineFunction<int(int), 64> big = Big{};
  EXPECT_TRUE(big.on_heap());
  EXPECT_EQ(big(21), 42);
  InlineFunction<int(int), 64> moved = std::move(big);
  EXPECT_FALSE(big);
  EXPECT_EQ(moved(1), 2);
  auto counter = std::make_shared<int>(0);
  {
    InlineFunction<void(), 64> holds = [counter] {};
    EXPECT_EQ(counter.use_count(), 2);
    InlineFunction<void(), 64> moved_holder = std::move(holds);
    EXPECT_EQ(counter.use_count(), 2);
  }
  EXPECT_EQ(counter.use_count(), 1) << "destroyed exactly once";
}

// consume() is how the loop calls a slot's callback: the callable leaves the
// wrapper before it runs, so it may refill the wrapper (the slot is reused by
// the next operation the callback starts) and is destroyed exactly once.
TEST(InlineFunction, ConsumeEmptiesTheWrapperBeforeTheCallRunsInlineAndOnHeap) {
  using F = InlineFunction<int(int), 64>;
  auto counter = std::make_shared<int>(0);
  F f;
  int seen_refilled = 0;
  f.emplace([&f, &seen_refilled, counter](int v) {
    EXPECT_FALSE(f) << "already empty while running";
    f.emplace([](int w) { return w + 100; });  // the slot reused from inside
    seen_refilled = counter.use_count();
    return v * 2;
  });
  EXPECT_FALSE(f.on_heap());
  EXPECT_EQ(counter.use_count(), 2);
  EXPECT_EQ(f.consume(21), 42);
  EXPECT_EQ(seen_refilled, 2) << "the one moved out of the storage, alive during the call";
  EXPECT_EQ(counter.use_count(), 1) << "destroyed exactly once, after the call";
  ASSERT_TRUE(f);
  EXPECT_EQ(f.consume(1), 101);
  EXPECT_FALSE(f);

  struct Big {
    char pad[200];
    std::shared_ptr<int> counter;
    F* self;
    int operator()(int v) {
      EXPECT_FALSE(*self);
      return v + static_cast<int>(counter.use_count());
    }
  };
  f.emplace(Big{{}, counter, &f});
  EXPECT_TRUE(f.on_heap());
  EXPECT_EQ(f.consume(10), 12);
  EXPECT_FALSE(f);
  EXPECT_EQ(counter.use_count(), 1) << "the heap copy was freed";
}

TEST(DeadlineHeap, PopsInDeadlineThenArmingOrderAndRemovesAnyNode) {
  detail::DeadlineHeap heap;
  std::vector<detail::TimerNode> nodes(200);
  std::mt19937 rng(7);
  for (auto& n : nodes) heap.push(&n, static_cast<int64_t>(rng() % 50));
  for (size_t i = 0; i < nodes.size(); i += 3) heap.remove(&nodes[i]);
  int64_t last_deadline = -1;
  uint64_t last_sequence = 0;
  size_t popped = 0;
  while (detail::TimerNode* t = heap.top()) {
    heap.remove(t);
    EXPECT_FALSE(t->armed());
    if (t->deadline_ns == last_deadline) {
      EXPECT_GT(t->sequence, last_sequence);
    }
    EXPECT_GE(t->deadline_ns, last_deadline);
    last_deadline = t->deadline_ns;
    last_sequence = t->sequence;
    ++popped;
  }
  EXPECT_EQ(popped, nodes.size() - (nodes.size() + 2) / 3);
}

// Arming, cancelling (remove from anywhere) and firing (remove the top)
// interleaved at random: the top is always the earliest armed node, and each
// node's index keeps up with the entries moved around it.
TEST(DeadlineHeap, InterleavedPushRemoveAndPopKeepOrder) {
  detail::DeadlineHeap heap;
  std::vector<detail::TimerNode> nodes(500);
  std::mt19937 rng(11);
  auto earliest_armed = [&]() -> const detail::TimerNode* {
    const detail::TimerNode* best = nullptr;
    for (const auto& n : nodes) {
      if (!n.armed()) continue;
      if (best == nullptr || n.deadline_ns < best->deadline_ns ||
          (n.deadline_ns == best->deadline_ns && n.sequence < best->sequence)) {
        best = &n;
      }
    }
    return best;
  };
  for (int step = 0; step < 20000; ++step) {
    detail::TimerNode& n = nodes[rng() % nodes.size()];
    switch (rng() % 3) {
      case 0:
        if (!n.armed()) heap.push(&n, static_cast<int64_t>(rng() % 100));
        break;
      case 1:
        heap.remove(&n);
        EXPECT_FALSE(n.armed());
        break;
      default:
        if (heap.empty()) break;
        ASSERT_EQ(heap.top(), earliest_armed()) << "step " << step;
        detail::TimerNode* top = heap.top();
        heap.remove(top);
        EXPECT_FALSE(top->armed());
    }
    size_t armed = 0;
    for (const auto& node : nodes) armed += node.armed() ? 1 : 0;
    ASSERT_EQ(heap.size(), armed) << "step " << step;
  }
}

TEST(SocketAddress, ParsesAndPrints) {
  auto v4 = SocketAddress::Parse("127.0.0.1:8080");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->port(), 8080);
  EXPECT_EQ(v4->ToString(), "127.0.0.1:8080");
  auto v6 = SocketAddress::Parse("[::1]:443");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->ToString(), "[::1]:443");
  EXPECT_FALSE(SocketAddress::Parse("localhost:80")) << "numeric only";
  EXPECT_FALSE(SocketAddress::Parse("1.2.3.4"));
  EXPECT_FALSE(SocketAddress::Parse("1.2.3.4:99999"));
  EXPECT_EQ(SocketAddress::Loopback(0).ToString(), "127.0.0.1:0");
}

}  // namespace
}  // namespace lio
