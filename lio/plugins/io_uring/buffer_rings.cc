#include "lio/plugins/io_uring/buffer_rings.h"

#include <sys/mman.h>
#include <unistd.h>

#include <new>

#include "lio/core/plugin_abi.h"

namespace lio::io_uring_plugin {

int BufferRings::add(io_uring* ring, uint32_t group, void* base, uint32_t count, uint32_t size) noexcept {
  if (groups_.contains(group)) return -LIO_EEXIST;
  Group made;
  try {
    made.lent.assign(count, 0);
  } catch (const std::bad_alloc&) {
    return -LIO_ENOMEM;
  }
  // The kernel wants the ring page-aligned; a whole mapping is.
  made.ring_bytes = static_cast<size_t>(count) * sizeof(io_uring_buf);
  void* memory = mmap(nullptr, made.ring_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) return -LIO_ENOMEM;
  made.ring = static_cast<io_uring_buf_ring*>(memory);
  made.base = static_cast<char*>(base);
  made.count = count;
  made.size = size;

  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(made.ring);
  reg.ring_entries = count;
  reg.bgid = static_cast<uint16_t>(group);
  if (int error = io_uring_register_buf_ring(ring, &reg, 0); error < 0) {
    munmap(made.ring, made.ring_bytes);
    return error;
  }
  io_uring_buf_ring_init(made.ring);
  const int mask = io_uring_buf_ring_mask(count);
  for (uint32_t i = 0; i < count; ++i) {
    io_uring_buf_ring_add(made.ring, made.base + static_cast<size_t>(i) * size, size, static_cast<unsigned short>(i),
                          mask, static_cast<int>(i));
  }
  io_uring_buf_ring_advance(made.ring, static_cast<int>(count));
  try {
    groups_.emplace(group, std::move(made));
  } catch (const std::bad_alloc&) {
    io_uring_unregister_buf_ring(ring, static_cast<int>(group));
    munmap(memory, static_cast<size_t>(count) * sizeof(io_uring_buf));
    return -LIO_ENOMEM;
  }
  return 0;
}

int BufferRings::give_back(uint32_t group, uint32_t buffer_id) noexcept {
  auto it = groups_.find(group);
  if (it == groups_.end()) return -LIO_ENOENT;
  Group& g = it->second;
  if (buffer_id >= g.count || g.lent[buffer_id] == 0) return -LIO_EINVAL;
  g.lent[buffer_id] = 0;
  io_uring_buf_ring_add(g.ring, g.base + static_cast<size_t>(buffer_id) * g.size, g.size,
                        static_cast<unsigned short>(buffer_id), io_uring_buf_ring_mask(g.count), 0);
  io_uring_buf_ring_advance(g.ring, 1);
  return 0;
}

int BufferRings::remove(io_uring* ring, uint32_t group) noexcept {
  auto it = groups_.find(group);
  if (it == groups_.end()) return -LIO_ENOENT;
  if (it->second.ops_in_flight > 0) return -LIO_EBUSY;
  if (int error = io_uring_unregister_buf_ring(ring, static_cast<int>(group)); error < 0) return error;
  munmap(it->second.ring, it->second.ring_bytes);
  groups_.erase(it);
  return 0;
}

bool BufferRings::count_op(uint32_t group) noexcept {
  auto it = groups_.find(group);
  if (it == groups_.end()) return false;
  ++it->second.ops_in_flight;
  return true;
}

void BufferRings::count_done(uint32_t group) noexcept {
  auto it = groups_.find(group);
  if (it != groups_.end() && it->second.ops_in_flight > 0) --it->second.ops_in_flight;
}

void BufferRings::mark_lent(uint32_t group, uint32_t buffer_id) noexcept {
  auto it = groups_.find(group);
  if (it != groups_.end() && buffer_id < it->second.count) it->second.lent[buffer_id] = 1;
}

void BufferRings::release_all() noexcept {
  for (auto& [id, g] : groups_) munmap(g.ring, g.ring_bytes);
  groups_.clear();
}

}  // namespace lio::io_uring_plugin
