// What an SQE's user_data says, so every CQE can be told apart.
//
//   direct op    the caller's id itself         bit 63 clear (only under
//                                               LIO_CONFIG_UNIQUE_IDS)
//   slot op      kLio | kSlotOp | seq << 32 | slot   seq in [1, 2^29)
//   its cancel   kCancelOf | <slot op's>        the cancel's own completion
//   wake read    kLio | kWakeSlot               the armed eventfd read
//   cancel-all   kLio | kNoSlot                 destroy's IORING_ASYNC_CANCEL_ANY
//   cancel of a direct op   kLio | kDirectCancelSlot   (its CQE says nothing we need)
//
// The sequence number makes a slot's user_data differ each time the slot is
// reused, so a cancel that is still queued when its target completes cannot
// hit the slot's next op, and a stray CQE can never be mistaken for one.
// A direct op carries no slot: the kernel matches a cancel by the id itself
// (the caller promised ids unique while in flight), and its completion needs
// nothing but the id and the result.
#ifndef LIO_PLUGINS_IO_URING_USER_DATA_H_
#define LIO_PLUGINS_IO_URING_USER_DATA_H_

#include <cstdint>

namespace lio::io_uring_plugin {

inline constexpr uint64_t kLio = uint64_t{1} << 63;       // clear: a direct op's id
inline constexpr uint64_t kSlotOp = uint64_t{1} << 62;    // a user op known by its slot
inline constexpr uint64_t kCancelOf = uint64_t{1} << 61;  // the cancel of that slot op
inline constexpr uint32_t kWakeSlot = UINT32_MAX;
inline constexpr uint32_t kNoSlot = UINT32_MAX - 1;
inline constexpr uint32_t kDirectCancelSlot = UINT32_MAX - 2;
inline constexpr uint64_t kWakeUserData = kLio | kWakeSlot;
inline constexpr uint64_t kCancelAllUserData = kLio | kNoSlot;
inline constexpr uint64_t kDirectCancelUserData = kLio | kDirectCancelSlot;
inline constexpr uint32_t kMaxSeq = (uint32_t{1} << 29) - 1;

constexpr uint64_t op_user_data(uint32_t seq, uint32_t slot) { return kLio | kSlotOp | uint64_t{seq} << 32 | slot; }
constexpr uint64_t cancel_user_data(uint64_t target) { return kCancelOf | target; }
// An id the caller gave that can travel as user_data as it is.
constexpr bool is_direct(uint64_t user_data) { return (user_data & kLio) == 0; }
// A CQE a caller waits for (a direct or a slot op), not one of lio's own.
constexpr bool is_user_op(uint64_t user_data) {
  return is_direct(user_data) || (user_data & (kSlotOp | kCancelOf)) == kSlotOp;
}
constexpr bool is_internal(uint64_t user_data) { return !is_user_op(user_data); }
constexpr uint32_t slot_of(uint64_t user_data) { return static_cast<uint32_t>(user_data); }
// The op a cancel's completion was about.
constexpr uint64_t cancel_target(uint64_t user_data) { return user_data & ~kCancelOf; }
constexpr uint32_t next_seq(uint32_t seq) { return seq >= kMaxSeq ? 1 : seq + 1; }

}  // namespace lio::io_uring_plugin

#endif  // LIO_PLUGINS_IO_URING_USER_DATA_H_
