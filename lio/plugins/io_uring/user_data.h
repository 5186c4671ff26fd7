// What an SQE's user_data says, so every CQE can be told apart.
//
//   user op      (seq << 32) | slot         bit 63 clear, seq in [1, 2^31)
//   its cancel   kInternal | <user op's>    the cancel's own completion
//   wake read    kInternal | kWakeSlot      the armed eventfd read
//   cancel-all   kInternal | kNoSlot        destroy's IORING_ASYNC_CANCEL_ANY
//
// The sequence number makes a slot's user_data differ each time the slot is
// reused, so a cancel that is still queued when its target completes cannot
// hit the slot's next op, and a stray CQE can never be mistaken for one.
#ifndef LIO_PLUGINS_IO_URING_USER_DATA_H_
#define LIO_PLUGINS_IO_URING_USER_DATA_H_

#include <cstdint>

namespace lio::io_uring_plugin {

inline constexpr uint64_t kInternal = uint64_t{1} << 63;
inline constexpr uint32_t kWakeSlot = UINT32_MAX;
inline constexpr uint32_t kNoSlot = UINT32_MAX - 1;
inline constexpr uint64_t kWakeUserData = kInternal | kWakeSlot;
inline constexpr uint64_t kCancelAllUserData = kInternal | kNoSlot;
inline constexpr uint32_t kMaxSeq = (uint32_t{1} << 31) - 1;

constexpr uint64_t op_user_data(uint32_t seq, uint32_t slot) { return uint64_t{seq} << 32 | slot; }
constexpr uint64_t cancel_user_data(uint64_t target) { return kInternal | target; }
constexpr bool is_internal(uint64_t user_data) { return (user_data & kInternal) != 0; }
constexpr uint32_t slot_of(uint64_t user_data) { return static_cast<uint32_t>(user_data); }
// The op a cancel's completion was about.
constexpr uint64_t cancel_target(uint64_t user_data) { return user_data & ~kInternal; }
constexpr uint32_t next_seq(uint32_t seq) { return seq >= kMaxSeq ? 1 : seq + 1; }

}  // namespace lio::io_uring_plugin

#endif  // LIO_PLUGINS_IO_URING_USER_DATA_H_
