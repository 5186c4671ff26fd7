// The soak test's verifier must be able to fail: a changed byte, a changed
// checksum and bytes past a message's end are each caught.
#include "lio/testing/soak/message_stream.h"

#include <gtest/gtest.h>

#include <vector>

namespace lio::soak {
namespace {

std::vector<uint8_t> Message(MessageStream& s) {
  std::vector<uint8_t> m(s.message_size());
  EXPECT_EQ(s.fill(m.data(), m.size()), m.size());
  return m;
}

TEST(MessageStreamTest, SizesSpanOneByteTo64KiBAndFramingHolds) {
  MessageStream s(1);
  uint32_t smallest = kMaxPayload, largest = 0;
  for (int i = 0; i < 2000; ++i, s.next_message()) {
    smallest = std::min(smallest, s.payload_size());
    largest = std::max(largest, s.payload_size());
    ASSERT_GE(s.payload_size(), 1u);
    ASSERT_LE(s.payload_size(), kMaxPayload);
  }
  EXPECT_EQ(smallest, 1u);
  EXPECT_GT(largest, kMaxPayload / 2);
}

TEST(MessageStreamTest, CheckerAcceptsTheStreamInAnyChunking) {
  MessageStream tx(7);
  MessageChecker rx(7);
  for (int i = 0; i < 50; ++i) {
    std::vector<uint8_t> m = Message(tx);
    for (size_t at = 0; at < m.size();) {
      size_t n = std::min<size_t>(1 + (at * 7919) % 5000, m.size() - at);
      ASSERT_TRUE(rx.take(m.data() + at, n)) << "message " << i << " at " << at;
      at += n;
    }
    ASSERT_TRUE(rx.message_done());
    tx.next_message();
    rx.next_message();
  }
}

TEST(MessageStreamTest, CheckerCatchesAChangedByteChecksumOrExtraBytes) {
  for (size_t where : {size_t{0}, size_t{4}, size_t{5}}) {
    MessageStream tx(3);
    MessageChecker rx(3);
    std::vector<uint8_t> m = Message(tx);
    m[std::min(where, m.size() - 1)] ^= 1;
    EXPECT_FALSE(rx.take(m.data(), m.size())) << where;
  }
  MessageStream tx(3);
  MessageChecker rx(3);
  std::vector<uint8_t> m = Message(tx);
  m.back() ^= 0x80;  // the checksum's last byte
  EXPECT_FALSE(rx.take(m.data(), m.size()));
  MessageStream tx2(3);
  MessageChecker rx2(3);
  std::vector<uint8_t> m2 = Message(tx2);
  m2.push_back(0);
  EXPECT_FALSE(rx2.take(m2.data(), m2.size())) << "one byte past the message";
}

}  // namespace
}  // namespace lio::soak
