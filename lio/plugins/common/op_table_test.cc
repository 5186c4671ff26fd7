#include "lio/plugins/common/op_table.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>

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

}  // namespace
}  // namespace lio::plugin
