// The fixture of the 1.1 multi-completion cases (multishot_test.cc,
// bufgroup_test.cc): waiting for the next completion of one id, for its
// final one, a buffer group whose memory the case keeps, and the accept and
// recv streams those cases start from.
#ifndef LIO_TESTING_STREAM_TEST_H_
#define LIO_TESTING_STREAM_TEST_H_

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lio/testing/conformance_test.h"

namespace lio::testing {

class StreamTest : public ConformanceTest {
 protected:
  bool has_buffer_groups() { return backend().has_feature(LIO_FEATURE_BUFFER_GROUPS); }

  // The completion number `index` (0-based) of `id`, waiting (bounded) for it;
  // nullopt (and a failure) when it does not come.
  std::optional<lio_completion> NthOf(uint64_t id, size_t index, nanoseconds deadline = kDeadline) {
    const Clock::time_point end = Clock::now() + deadline;
    while (completions_of(id).size() <= index && !HasFatalFailure()) {
      if (!in_flight(id)) break;  // its final one came: nothing more can
      const nanoseconds left = end - Clock::now();
      if (left <= nanoseconds(0)) break;
      WaitOnce(left);
    }
    if (completions_of(id).size() <= index) {
      ADD_FAILURE() << "id 0x" << std::hex << id << std::dec << ": completion #" << index << " did not come ("
                    << completions_of(id).size() << " so far, " << (in_flight(id) ? "still in flight" : "ended") << ")";
      return std::nullopt;
    }
    return completions_of(id)[index];
  }

  // Waits (bounded) for the final completion of `id`; its completion.
  std::optional<lio_completion> FinalOf(uint64_t id) {
    WaitForId(id);
    if (in_flight(id) || completions_of(id).empty()) return std::nullopt;
    return completions_of(id).back();
  }

  // The next completion of `id`, the one after those already reaped (see NthOf).
  std::optional<lio_completion> NextOf(uint64_t id) { return NthOf(id, completions_of(id).size()); }

  // An ACCEPT_MULTI stream on a loopback listener the case owns, pushed and flushed.
  struct AcceptStream {
    Listener listener;
    uint64_t id = 0;
  };
  AcceptStream StartAcceptStream() {
    AcceptStream stream{.listener = OwnedListener()};
    stream.id = PushNew(Op::AcceptMulti(stream.listener.handle));
    Flush();
    return stream;
  }

  // A RECV_MULTI stream on a connected pair the case owns, taking buffers of
  // group `group` (`count` x `size` bytes, added here), pushed and flushed.
  // `base` is nullptr (and the case has a failure) when the group was
  // refused; then nothing was pushed.
  struct RecvStream {
    TcpPair pair;
    char* base = nullptr;
    uint64_t id = 0;
  };
  RecvStream StartRecvStream(uint32_t group, uint32_t count, uint32_t size) {
    RecvStream stream{.pair = OwnedTcpPair()};
    stream.base = AddGroup(group, count, size);
    if (stream.base == nullptr) return stream;
    stream.id = PushNew(Op::RecvMulti(stream.pair.tested, group));
    Flush();
    return stream;
  }

  // A buffer group of `count` buffers of `size` bytes in memory the case
  // keeps; the base, or nullptr (and a failure) when add_buffer_group refused.
  char* AddGroup(uint32_t group, uint32_t count, uint32_t size) {
    std::span<char> memory = Buffer(static_cast<size_t>(count) * size, '\0');
    std::error_code added = backend().add_buffer_group(group, memory.data(), count, size);
    EXPECT_FALSE(added) << "add_buffer_group(" << group << ", " << count << " x " << size
                        << "): " << added.message();
    return added ? nullptr : memory.data();
  }

  // The bytes a BUFFER completion names, in a group at `base` of `size`-byte buffers.
  static std::string_view BytesOf(const lio_completion& c, const char* base, uint32_t size) {
    if (c.result <= 0) return {};
    return {base + static_cast<size_t>(LIO_COMPLETION_BUFFER_ID(c.flags)) * size, static_cast<size_t>(c.result)};
  }

  // Sends all of `bytes` from the peer end (blocking).
  void PeerSend(lio_handle peer, std::string_view bytes) {
    ASSERT_EQ(platform::Send(peer, bytes.data(), bytes.size(), 0), static_cast<int64_t>(bytes.size()));
  }

  // Ends the stream `id`: cancel, then its final completion.
  void EndStream(uint64_t id) {
    if (!in_flight(id)) return;
    EXPECT_EQ(Cancel(id), 0);
    FinalOf(id);
  }
};

// Skips the case when the backend has no buffer groups.
#define LIO_REQUIRE_BUFFER_GROUPS()                                                                       \
  if (has_buffer_groups()) {                                                                              \
  } else                                                                                                  \
    GTEST_SKIP() << "backend does not declare LIO_FEATURE_BUFFER_GROUPS"

}  // namespace lio::testing

#endif  // LIO_TESTING_STREAM_TEST_H_
