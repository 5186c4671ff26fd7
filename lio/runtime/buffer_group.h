// lio::BufferGroup — a provided buffer group on a loop's backend (ABI 1.1,
// LIO_FEATURE_BUFFER_GROUPS): `count` buffers of `size` bytes, memory owned
// here. An operation reading into the group (Loop::recv_each) takes one
// buffer per completion; the loop hands it to you as an owned lio::Buffer
// (a lease) whose release gives it back to the group — no system call. Pass
// the Buffer on (send it back out: it returns to the group when that send
// completed) or drop it.
//
//   auto group = lio::BufferGroup::Add(*loop, /*group=*/1, /*count=*/64, /*size=*/4096);
//   if (!group) { ... group.error() ... }   // operation_not_supported: no buffer groups here
//   loop->recv_each(conn, **group, [](lio::Expected<lio::Buffer> chunk, bool more) { ... });
//
// Lifetime: destroy the group after every operation on it completed and
// every lease was released, and before its loop. Destroying it with leases
// out is a bug the group stops at (it aborts with a message): their memory
// would be freed under them.
#ifndef LIO_RUNTIME_BUFFER_GROUP_H_
#define LIO_RUNTIME_BUFFER_GROUP_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <system_error>

#include "lio/core/expected.h"
#include "lio/runtime/buffer.h"

namespace lio {

class Loop;

class BufferGroup {
 public:
  // Registers group `group` (below 65,536) of `count` buffers (a power of
  // two up to 32,768) of `size` bytes with loop's backend.
  static Expected<std::unique_ptr<BufferGroup>> Add(Loop& loop, uint32_t group, uint32_t count, uint32_t size);

  BufferGroup(const BufferGroup&) = delete;
  BufferGroup& operator=(const BufferGroup&) = delete;
  // Removes the group from the backend and frees its memory. If an
  // operation on it is still in flight (-EBUSY) the memory is left
  // allocated rather than freed under the kernel.
  ~BufferGroup();

  uint32_t id() const noexcept { return id_; }
  uint32_t count() const noexcept { return count_; }
  uint32_t buffer_size() const noexcept { return size_; }
  // Buffers lent out as Buffers and not yet released.
  uint32_t leased() const noexcept { return leased_; }

  // Buffer `buffer_id`, which a completion named, holding `bytes` bytes, as
  // an owned Buffer that gives it back when released.
  Buffer Lease(uint32_t buffer_id, size_t bytes) noexcept;

 private:
  BufferGroup(Loop& loop, uint32_t id, uint32_t count, uint32_t size);
  static void GiveBack(void* context, std::byte* data, size_t capacity);

  Loop* loop_;
  uint32_t id_;
  uint32_t count_;
  uint32_t size_;
  uint32_t leased_ = 0;
  std::unique_ptr<std::byte[]> memory_;
};

}  // namespace lio

#endif  // LIO_RUNTIME_BUFFER_GROUP_H_
