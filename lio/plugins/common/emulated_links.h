// What a backend that emulates ABI 1.1's links and registered resources
// (poller, iocp) needs besides its own op machinery, written once:
//
//   chain_fails()     [link.fail_forward]: does this result end the chain?
//   chain_member_done()  [link.timeout], [link.fail_forward]: what a chain
//                     member's completion does to the ops around it.
//   RegisteredTables  [fixed.register], [fixed.file], [fixed.buffer]: the
//                     tables register_files / register_buffers gave, an
//                     op's index turned back into a plain handle, a fixed
//                     buffer range checked, and the count of ops in flight
//                     that use each table (-EBUSY while any).
//
// How a backend runs the chain itself (holding the next op until the one
// before completes) stays in the backend: it is part of its op stages.
//
// Plugin-side helper (header-only, C++20 standard library); nothing here
// crosses the ABI. register_* allocate: they are not on the hot path.
#ifndef LIO_PLUGINS_COMMON_EMULATED_LINKS_H_
#define LIO_PLUGINS_COMMON_EMULATED_LINKS_H_

#ifndef _WIN32
#include <sys/socket.h>
#endif

#include <cstdint>
#include <new>
#include <utility>
#include <vector>

#include "lio/core/plugin_abi.h"

namespace lio::plugin {

// The native MSG_WAITALL (send/recv flags are native, plugin_abi.h).
#ifdef _WIN32
inline constexpr uint32_t kMsgWaitAll = 0x8;
#else
inline constexpr uint32_t kMsgWaitAll = MSG_WAITALL;
#endif

// The bytes an op of these codes asks to move, when a short count fails a
// chain; -1 when moving fewer does not fail it.
inline int64_t bytes_asked(const lio_op& op) noexcept {
  switch (op.code) {
    case LIO_OP_READ:
    case LIO_OP_WRITE:
    case LIO_OP_READ_FIXED:
    case LIO_OP_WRITE_FIXED:
      return static_cast<int64_t>(op.u.rw.len);
    case LIO_OP_READV:
    case LIO_OP_WRITEV: {
      if (op.u.rwv.iov == nullptr) return -1;
      uint64_t total = 0;
      for (uint32_t i = 0; i < op.u.rwv.iovcnt; ++i) total += op.u.rwv.iov[i].len;
      return static_cast<int64_t>(total);
    }
    case LIO_OP_SEND:
    case LIO_OP_RECV:
      // io_uring fails a chain on a short send/recv only under MSG_WAITALL.
      return (op.u.sr.flags & kMsgWaitAll) ? static_cast<int64_t>(op.u.sr.len) : -1;
    default:
      return -1;
  }
}

// [link.fail_forward]: true when `result` of `op` makes the rest of its chain
// complete with -LIO_ECANCELED. The clamp of huge lengths to what one call
// moves (0x7ffff000 on Linux) still reads as short, as io_uring sees it.
inline bool chain_fails(const lio_op& op, int64_t result) noexcept {
  if (result < 0) return true;
  const int64_t asked = bytes_asked(op);
  return asked >= 0 && result < asked;
}

// "No slot" in a chain link (the backends' own no-slot value).
inline constexpr uint32_t kNoChainSlot = UINT32_MAX;

// One slot's chain fields, as the backend keeps them (kNoChainSlot: none).
struct ChainLinkRefs {
  uint32_t& link_timeout;  // the LINK_TIMEOUT guarding this op
  uint32_t& guarded;       // on a LINK_TIMEOUT: the op it is the deadline of
  uint32_t& prev;
  uint32_t& next;
};

// [link.timeout], [link.fail_forward]: chain member `s` (the op `op`) has
// completed with `result`. Its link timeout, if it won the race, ends
// -ECANCELED; a link timeout that fired (-ETIME) cancels the op it guards;
// `s` leaves the chain, and the op after it either starts or, when `result`
// fails the chain, completes -ECANCELED with the rest. `host` is the
// backend's: links(i) -> ChainLinkRefs, end_early(i, result) (an op not
// started, or a timer), cancel(i) (a running op), fail_forward(i), release(i)
// (a held op may start).
template <class Host>
void chain_member_done(Host& host, uint32_t s, const lio_op& op, int64_t result) {
  ChainLinkRefs me = host.links(s);
  if (me.link_timeout != kNoChainSlot) {  // the op won: its deadline ends
    const uint32_t timeout = std::exchange(me.link_timeout, kNoChainSlot);
    host.links(timeout).guarded = kNoChainSlot;
    host.end_early(timeout, -LIO_ECANCELED);
  }
  if (me.guarded != kNoChainSlot) {  // a link timeout: when it fired, the op it guards is cancelled
    const uint32_t guarded = std::exchange(me.guarded, kNoChainSlot);
    host.links(guarded).link_timeout = kNoChainSlot;
    if (result == -LIO_ETIME) host.cancel(guarded);
  }
  if (me.prev != kNoChainSlot) host.links(std::exchange(me.prev, kNoChainSlot)).next = kNoChainSlot;
  const uint32_t next = std::exchange(me.next, kNoChainSlot);
  if (next == kNoChainSlot) return;
  host.links(next).prev = kNoChainSlot;
  if (chain_fails(op, result)) return host.fail_forward(next);
  host.release(next);
}

// The tables of register_files / register_buffers.
class RegisteredTables {
 public:
  int register_files(const lio_handle* handles, uint32_t count) noexcept {
    if (file_users_ > 0) return -LIO_EBUSY;
    try {
      files_.assign(handles, handles + count);
    } catch (const std::bad_alloc&) {
      return -LIO_ENOMEM;
    }
    return 0;
  }

  int register_buffers(const lio_iovec* buffers, uint32_t count) noexcept {
    if (buffer_users_ > 0) return -LIO_EBUSY;
    try {
      buffers_.assign(buffers, buffers + count);
    } catch (const std::bad_alloc&) {
      return -LIO_ENOMEM;
    }
    return 0;
  }

  // [fixed.file]: the handle entry `index` names, or LIO_INVALID_HANDLE
  // (outside the table, or an empty entry: the op completes with -EBADF).
  lio_handle file(lio_handle index) const noexcept {
    if (index < 0 || static_cast<uint64_t>(index) >= files_.size()) return LIO_INVALID_HANDLE;
    return files_[static_cast<size_t>(index)];
  }

  // [fixed.buffer]: [buf, buf + len) lies in registered buffer `index`.
  bool buffer_holds(uint32_t index, const void* buf, uint64_t len) const noexcept {
    if (index >= buffers_.size()) return false;
    const lio_iovec& registered = buffers_[index];
    if (registered.base == nullptr) return false;
    const uintptr_t start = reinterpret_cast<uintptr_t>(registered.base);
    const uintptr_t at = reinterpret_cast<uintptr_t>(buf);
    if (at < start || at - start > registered.len) return false;
    return len <= registered.len - (at - start);
  }

  // Ops in flight that use each table, so it is not replaced under them.
  void hold_files() noexcept { ++file_users_; }
  void release_files() noexcept { --file_users_; }
  void hold_buffers() noexcept { ++buffer_users_; }
  void release_buffers() noexcept { --buffer_users_; }

 private:
  std::vector<lio_handle> files_;
  std::vector<lio_iovec> buffers_;
  uint32_t file_users_ = 0;
  uint32_t buffer_users_ = 0;
};

}  // namespace lio::plugin

#endif  // LIO_PLUGINS_COMMON_EMULATED_LINKS_H_
