// Provided buffer rings ([bufgroup.*]): one io_uring_buf_ring per buffer
// group, registered with the ring (liburing 2.3's io_uring_register_buf_ring;
// 2.3 has no io_uring_setup_buf_ring, so the ring memory is mapped here).
//
// Every buffer starts in the ring. The kernel takes one per recv that selects
// a buffer and names it in the CQE; the backend marks it lent, and
// return_buffer puts it back at the ring's tail — a store, no system call.
// Lent marks let return_buffer refuse an id that is not lent out.
#ifndef LIO_PLUGINS_IO_URING_BUFFER_RINGS_H_
#define LIO_PLUGINS_IO_URING_BUFFER_RINGS_H_

#include <liburing.h>

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace lio::io_uring_plugin {

class BufferRings {
 public:
  BufferRings() = default;
  BufferRings(const BufferRings&) = delete;
  BufferRings& operator=(const BufferRings&) = delete;
  ~BufferRings() { release_all(); }

  // Arguments already checked by the kit (buffer_group_shape_valid). 0,
  // -LIO_EEXIST, -LIO_ENOMEM, or the kernel's error.
  int add(io_uring* ring, uint32_t group, void* base, uint32_t count, uint32_t size) noexcept;
  // 0, -LIO_ENOENT, -LIO_EINVAL (out of range, or not lent out). No system call.
  int give_back(uint32_t group, uint32_t buffer_id) noexcept;
  // 0, -LIO_ENOENT, -LIO_EBUSY (ops on it in flight), or the kernel's error.
  int remove(io_uring* ring, uint32_t group) noexcept;

  // An op reading into `group` was pushed: true when the group exists (the
  // op is then counted until count_done).
  bool count_op(uint32_t group) noexcept;
  void count_done(uint32_t group) noexcept;
  // The kernel lent buffer `buffer_id` of `group` to a completion.
  void mark_lent(uint32_t group, uint32_t buffer_id) noexcept;

  // After io_uring_queue_exit (which drops the registrations): unmaps every ring.
  void release_all() noexcept;

 private:
  struct Group {
    io_uring_buf_ring* ring = nullptr;
    size_t ring_bytes = 0;
    char* base = nullptr;
    uint32_t count = 0;
    uint32_t size = 0;
    uint32_t ops_in_flight = 0;
    std::vector<uint8_t> lent;  // per buffer: 1 while the caller owns it
  };

  std::unordered_map<uint32_t, Group> groups_;
};

}  // namespace lio::io_uring_plugin

#endif  // LIO_PLUGINS_IO_URING_BUFFER_RINGS_H_
