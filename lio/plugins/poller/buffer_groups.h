// Buffer groups emulated by a readiness backend ([bufgroup.*]): per group, a
// free list of buffer ids and a mark per buffer lent out. take() is called
// just before the non-blocking recv that fills the buffer, and a recv that
// would block or reads nothing gives it straight back, so a buffer is only
// ever lent with data in it. return_buffer is a push on the free list: no
// system call.
//
// Plugin-side helper (header-only, C++ standard library); nothing here
// crosses the ABI.
#ifndef LIO_PLUGINS_POLLER_BUFFER_GROUPS_H_
#define LIO_PLUGINS_POLLER_BUFFER_GROUPS_H_

#include <cstdint>
#include <new>
#include <unordered_map>
#include <vector>

#include "lio/core/plugin_abi.h"

namespace lio::poller {

class BufferGroups {
 public:
  static constexpr uint32_t kNoBuffer = UINT32_MAX;

  struct Lent {
    uint32_t id = kNoBuffer;
    char* data = nullptr;
    uint32_t size = 0;
  };

  // Arguments already checked by the kit. 0, -LIO_EEXIST or -LIO_ENOMEM.
  int add(uint32_t group, void* base, uint32_t count, uint32_t size) noexcept {
    if (groups_.contains(group)) return -LIO_EEXIST;
    try {
      Group& g = groups_[group];
      g.base = static_cast<char*>(base);
      g.size = size;
      g.count = count;
      g.lent.assign(count, 0);
      g.free.reserve(count);
      // Lowest id on top: the first recv takes buffer 0, as a ring would.
      for (uint32_t i = count; i-- > 0;) g.free.push_back(i);
    } catch (const std::bad_alloc&) {
      groups_.erase(group);
      return -LIO_ENOMEM;
    }
    return 0;
  }

  // 0, -LIO_ENOENT, or -LIO_EINVAL (outside the group, or not lent out).
  int give_back(uint32_t group, uint32_t id) noexcept {
    auto it = groups_.find(group);
    if (it == groups_.end()) return -LIO_ENOENT;
    Group& g = it->second;
    if (id >= g.count || g.lent[id] == 0) return -LIO_EINVAL;
    g.lent[id] = 0;
    g.free.push_back(id);  // reserved for count entries in add: never allocates
    return 0;
  }

  // 0, -LIO_ENOENT, or -LIO_EBUSY while ops on the group are in flight.
  int remove(uint32_t group) noexcept {
    auto it = groups_.find(group);
    if (it == groups_.end()) return -LIO_ENOENT;
    if (it->second.ops_in_flight > 0) return -LIO_EBUSY;
    groups_.erase(it);
    return 0;
  }

  bool exists(uint32_t group) const noexcept { return groups_.contains(group); }

  // A buffer of `group`, now lent out; id kNoBuffer when the group is empty
  // or does not exist.
  Lent take(uint32_t group) noexcept {
    auto it = groups_.find(group);
    if (it == groups_.end() || it->second.free.empty()) return {};
    Group& g = it->second;
    const uint32_t id = g.free.back();
    g.free.pop_back();
    g.lent[id] = 1;
    return {id, g.base + static_cast<size_t>(id) * g.size, g.size};
  }

  // A buffer take() lent that received nothing goes back unseen.
  void untake(uint32_t group, uint32_t id) noexcept { give_back(group, id); }

  // Ops reading into `group` (remove answers -EBUSY while any is in flight).
  bool count_op(uint32_t group) noexcept {
    auto it = groups_.find(group);
    if (it == groups_.end()) return false;
    ++it->second.ops_in_flight;
    return true;
  }
  void count_done(uint32_t group) noexcept {
    auto it = groups_.find(group);
    if (it != groups_.end() && it->second.ops_in_flight > 0) --it->second.ops_in_flight;
  }

 private:
  struct Group {
    char* base = nullptr;
    uint32_t size = 0;
    uint32_t count = 0;
    uint32_t ops_in_flight = 0;
    std::vector<uint32_t> free;  // ids available, the next to lend at the back
    std::vector<uint8_t> lent;   // per id: 1 while the caller owns it
  };

  std::unordered_map<uint32_t, Group> groups_;
};

}  // namespace lio::poller

#endif  // LIO_PLUGINS_POLLER_BUFFER_GROUPS_H_
