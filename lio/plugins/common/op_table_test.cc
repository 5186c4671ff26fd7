#include "lio/plugins/common/op_table.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>
#include <vector>

namespace lio::plugin {
namespace {

TEST(OpTable, InsertFindEraseAgainstAReferenceMap) {
  OpTable<int> table;
  table.init(64);
  std::unordered_map<uint64_t, uint32_t> reference;
  std::mt19937_64 rng(7);
  for (int step = 0; step < 200000; ++step) {
    uint64_t id = rng() % 200;  // small id space: many collisions and re-inserts
    auto it = reference.find(id);
    if (it != reference.end()) {
      ASSERT_EQ(table.find(id), it->second);
      ASSERT_EQ(table.insert(id), table.kNone) << "duplicate id accepted";
      table.erase(it->second);
      reference.erase(it);
      ASSERT_EQ(table.find(id), table.kNone);
    } else if (!table.full()) {
      uint32_t s = table.insert(id);
      ASSERT_NE(s, table.kNone);
      ASSERT_EQ(table.id(s), id);
      reference.emplace(id, s);
    } else {
      ASSERT_EQ(table.insert(id), table.kNone);
    }
    ASSERT_EQ(table.size(), reference.size());
  }
  for (auto& [id, slot] : reference) EXPECT_EQ(table.find(id), slot);
}

TEST(OpTable, FullAtCapacity) {
  OpTable<int> table;
  table.init(3);
  EXPECT_NE(table.insert(1), table.kNone);
  EXPECT_NE(table.insert(2), table.kNone);
  EXPECT_NE(table.insert(3), table.kNone);
  EXPECT_TRUE(table.full());
  EXPECT_EQ(table.insert(4), table.kNone);
}

// The index keeps a 32-bit hash per bucket and reads a slot only when the
// hashes match; ids with equal hashes must still be told apart by id.
TEST(OpTable, IdsWithEqualHashesAreToldApart) {
  constexpr uint64_t kMultiplier = 0x9E3779B97F4A7C15ull;  // the table's hash multiplier
  uint64_t inverse = kMultiplier;                          // Newton: kMultiplier * inverse == 1 (mod 2^64)
  for (int i = 0; i < 6; ++i) inverse *= 2 - kMultiplier * inverse;
  ASSERT_EQ(kMultiplier * inverse, 1u);
  // (a + k * inverse) * kMultiplier == a * kMultiplier + k: the same upper 32
  // bits while the low half does not carry, i.e. the same hash.
  const uint64_t a = 0;  // a * kMultiplier == 0: no carry for small k
  OpTable<int> table;
  table.init(16);
  std::vector<uint32_t> slots;
  for (uint64_t k = 0; k < 8; ++k) {
    uint64_t id = a + k * inverse;
    ASSERT_EQ((id * kMultiplier) >> 32, 0u) << "not a hash collision: the test's arithmetic is off";
    uint32_t s = table.insert(id);
    ASSERT_NE(s, table.kNone) << "id " << id << " taken for a duplicate";
    slots.push_back(s);
  }
  for (uint64_t k = 0; k < 8; ++k) {
    EXPECT_EQ(table.find(a + k * inverse), slots[k]);
    EXPECT_EQ(table.insert(a + k * inverse), table.kNone) << "duplicate accepted";
  }
  table.erase(slots[3]);
  EXPECT_EQ(table.find(a + 3 * inverse), table.kNone);
  for (uint64_t k : {0, 1, 2, 4, 5, 6, 7}) EXPECT_EQ(table.find(a + k * inverse), slots[k]);
}

}  // namespace
}  // namespace lio::plugin
