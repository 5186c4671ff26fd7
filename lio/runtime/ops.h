// The operation descriptions ("specs") behind both faces of the loop: the
// callback calls (loop.read(..., cb)) and the coroutine awaitables
// (co_await lio::read(...)). One struct per operation and buffer ownership;
// each says what to keep in the slot, how to build the lio_op, and what the
// caller gets back.
//
// A spec has:
//   using Result = ...;                    what the callback / co_await gets
//   Loop* loop() const;                    the target's loop, or nullptr
//   Op prepare(SlotData& d);               moves what the kernel may touch
//                                          into the slot; the op points there
//   static Result finish(Loop&, SlotData&, int64_t result);
//                                          moves the result (and the buffer)
//                                          out of the slot
//   static Result fail(Spec&&, std::error_code);
//                                          never submitted: the error, and
//                                          the owned buffer back
//   static constexpr AbandonFn kAbandon;   a completion nobody waits for
//   static constexpr bool kUsesReserve;    optional, true: may take the
//                                          loop's reserved slots (LOOP.md,
//                                          "At capacity")
//   static constexpr bool kHoldsNothing;   optional, true: prepare puts
//                                          nothing in the SlotData, so its
//                                          release has nothing to clear
//
// Results: std::error_code for operations that return nothing; Expected<T>
// for those that return a count or a new handle; BufResult (bytes + the
// buffer) for owned-buffer operations. Errors are lio's error_codes (Linux
// errno numbering on every OS), compare with `ec == std::errc::...` on Linux
// or with lio::make_error(-LIO_E...) anywhere.
#ifndef LIO_RUNTIME_OPS_H_
#define LIO_RUNTIME_OPS_H_

#include <cstdint>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "lio/runtime/buffer.h"
#include "lio/core/error.h"
#include "lio/core/expected.h"
#include "lio/runtime/handle.h"
#include "lio/core/op.h"
#include "lio/runtime/resources.h"
#include "lio/runtime/slot.h"
#include "lio/runtime/socket_address.h"

namespace lio {

// The two ends of a pipe (lio::pipe): each closed when its Handle goes.
struct Pipe {
  Handle read;
  Handle write;
};

// How a child ended (lio::waitid): what waitid's siginfo says. `pid` 0 when
// WNOHANG found nothing to report.
struct ChildStatus {
  int pid = 0;
  int code = 0;    // CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_STOPPED, CLD_CONTINUED
  int status = 0;  // the exit status, or the signal
};

// The result of recv_from: bytes (or error), the buffer, the sender.
struct RecvFromResult {
  Expected<size_t> bytes;
  Buffer buffer;
  SocketAddress from;
};

namespace detail {

inline Expected<size_t> ToSize(int64_t r) {
  if (r < 0) return Unexpected{make_error(r)};
  return static_cast<size_t>(r);
}
inline Expected<size_t> SizeError(std::error_code ec) { return Unexpected{ec}; }

// Whether a spec may take the loop's reserved slots (kUsesReserve).
template <class Spec>
constexpr bool UsesReserve() {
  if constexpr (requires { Spec::kUsesReserve; }) {
    return Spec::kUsesReserve;
  } else {
    return false;
  }
}

// Whether a spec's operation leaves its SlotData empty (kHoldsNothing).
template <class Spec>
constexpr bool HoldsNothing() {
  if constexpr (requires { Spec::kHoldsNothing; }) {
    return Spec::kHoldsNothing;
  } else {
    return false;
  }
}

// Closes a handle an abandoned open/socket/accept produced.
inline void CloseAbandonedHandle(Loop& loop, SlotData&, int64_t result) {
  if (result >= 0) Handle::Adopt(loop, static_cast<lio_handle>(result));  // dropped at once: closed
}

// Specs that act on a handle.
struct OnTarget {
  Target target;
  Loop* loop() const noexcept { return target.loop(); }
  lio_handle keep(SlotData& d) {
    d.owner = target.take_owner();
    return target.get();
  }
};
struct NoTarget {
  Loop* loop() const noexcept { return nullptr; }
};

struct NopSpec : NoTarget {
  using Result = std::error_code;
  Op prepare(SlotData&) { return Op::Nop(); }
  static Result finish(Loop&, SlotData&, int64_t r) { return make_error(r); }
  static Result fail(NopSpec&&, std::error_code ec) { return ec; }
  static constexpr AbandonFn kAbandon = nullptr;
  static constexpr bool kHoldsNothing = true;
};

// Any lio_op; the caller keeps whatever it points to alive until completion.
struct RawSpec : NoTarget {
  using Result = Expected<int64_t>;
  Op op;
  Op prepare(SlotData&) { return op; }
  static Result finish(Loop&, SlotData&, int64_t r) {
    if (r < 0) return Unexpected{make_error(r)};
    return r;
  }
  static Result fail(RawSpec&&, std::error_code ec) { return Unexpected{ec}; }
  static constexpr AbandonFn kAbandon = nullptr;
  static constexpr bool kHoldsNothing = true;
};

// ---- read / write, borrowed ---------------------------------------------
struct ReadSpec : OnTarget {
  using Result = Expected<size_t>;
  MutableBytes bytes;
  int64_t offset;
  Op prepare(SlotData& d) { return Op::Read(keep(d), bytes.data, bytes.size, offset); }
  static Result finish(Loop&, SlotData&, int64_t r) { return ToSize(r); }
  static Result fail(ReadSpec&&, std::error_code ec) { return SizeError(ec); }
  static constexpr AbandonFn kAbandon = nullptr;
};

struct WriteSpec : OnTarget {
  using Result = Expected<size_t>;
  ConstBytes bytes;
  int64_t offset;
  Op prepare(SlotData& d) { return Op::Write(keep(d), bytes.data, bytes.size, offset); }
  static Result finish(Loop&, SlotData&, int64_t r) { return ToSize(r); }
  static Result fail(WriteSpec&&, std::error_code ec) { return SizeError(ec); }
  static constexpr AbandonFn kAbandon = nullptr;
};

// ---- read / write, owned --------------------------------------------------
// Reads fill [0, capacity) and set size(); writes write [pos, size()).
struct ReadOwnedSpec : OnTarget {
  using Result = BufResult;
  Buffer buffer;
  int64_t offset;
  Op prepare(SlotData& d) {
    lio_handle h = keep(d);
    d.buffer = std::move(buffer);
    return Op::Read(h, d.buffer.data(), d.buffer.capacity(), offset);
  }
  static Result finish(Loop&, SlotData& d, int64_t r) {
    d.buffer.resize(r > 0 ? static_cast<size_t>(r) : 0);
    return {ToSize(r), std::move(d.buffer)};
  }
  static Result fail(ReadOwnedSpec&& s, std::error_code ec) { return {SizeError(ec), std::move(s.buffer)}; }
  static constexpr AbandonFn kAbandon = nullptr;
};

struct WriteOwnedSpec : OnTarget {
  using Result = BufResult;
  Buffer buffer;
  int64_t offset;
  size_t pos = 0;  // write from here to size()
  Op prepare(SlotData& d) {
    lio_handle h = keep(d);
    d.buffer = std::move(buffer);
    size_t from = pos < d.buffer.size() ? pos : d.buffer.size();
    return Op::Write(h, d.buffer.data() + from, d.buffer.size() - from, offset);
  }
  static Result finish(Loop&, SlotData& d, int64_t r) { return {ToSize(r), std::move(d.buffer)}; }
  static Result fail(WriteOwnedSpec&& s, std::error_code ec) { return {SizeError(ec), std::move(s.buffer)}; }
  static constexpr AbandonFn kAbandon = nullptr;
};

// ---- vectored --------------------------------------------------------------
struct ReadvSpec : OnTarget {
  using Result = Expected<size_t>;
  std::span<const lio_iovec> iov;
  int64_t offset;
  Op prepare(SlotData& d) {
    return Op::Readv(keep(d), iov.data(), static_cast<uint32_t>(iov.size()), offset);
  }
  static Result finish(Loop&, SlotData&, int64_t r) { return ToSize(r); }
  static Result fail(ReadvSpec&&, std::error_code ec) { return SizeError(ec); }
  static constexpr AbandonFn kAbandon = nullptr;
};

struct WritevSpec : OnTarget {
  using Result = Expected<size_t>;
  std::span<const lio_iovec> iov;
  int64_t offset;
  Op prepare(SlotData& d) {
    return Op::Writev(keep(d), iov.data(), static_cast<uint32_t>(iov.size()), offset);
  }
  static Result finish(Loop&, SlotData&, int64_t r) { return ToSize(r); }
  static Result fail(WritevSpec&&, std::error_code ec) { return SizeError(ec); }
  static constexpr AbandonFn kAbandon = nullptr;
};

// Fills the buffers in order, each to its capacity; sizes are set to what
// each received.
struct ReadvOwnedSpec : OnTarget {
  using Result = BufsResult;
  std::vector<Buffer> buffers;
  int64_t offset;
  Op prepare(SlotData& d) {
    lio_handle h = keep(d);
    d.buffers = std::move(buffers);
    d.iov.clear();
    for (Buffer& b : d.buffers) d.iov.push_back({b.data(), b.capacity()});
    return Op::Readv(h, d.iov.data(), static_cast<uint32_t>(d.iov.size()), offset);
  }
  static Result finish(Loop&, SlotData& d, int64_t r) {
    size_t left = r > 0 ? static_cast<size_t>(r) : 0;
    for (Buffer& b : d.buffers) {
      size_t n = left < b.capacity() ? left : b.capacity();
      b.resize(n);
      left -= n;
    }
    return {ToSize(r), std::move(d.buffers)};
  }
  static Result fail(ReadvOwnedSpec&& s, std::error_code ec) { return {SizeError(ec), std::move(s.buffers)}; }
  static constexpr AbandonFn kAbandon = nullptr;
};

// Writes each buffer's size() bytes, in order.
struct WritevOwnedSpec : OnTarget {
  using Result = BufsResult;
  std::vector<Buffer> buffers;
  int64_t offset;
  Op prepare(SlotData& d) {
    lio_handle h = keep(d);
    d.buffers = std::move(buffers);
    d.iov.clear();
    for (Buffer& b : d.buffers) d.iov.push_back({b.data(), b.size()});
    return Op::Writev(h, d.iov.data(), static_cast<uint32_t>(d.iov.size()), offset);
  }
  static Result finish(Loop&, SlotData& d, int64_t r) { return {ToSize(r), std::move(d.buffers)}; }
  static Result fail(WritevOwnedSpec&& s, std::error_code ec) { return {SizeError(ec), std::move(s.buffers)}; }
  static constexpr AbandonFn kAbandon = nullptr;
};

// ---- files -----------------------------------------------------------------
struct FsyncSpec : OnTarget {
  using Result = std::error_code;
  bool data_only;
  Op prepare(SlotData& d) { return Op::Fsync(keep(d), data_only); }
  static Result finish(Loop&, SlotData&, int64_t r) { return make_error(r); }
  static Result fail(FsyncSpec&&, std::error_code ec) { return ec; }
  static constexpr AbandonFn kAbandon = nullptr;
};

// The path is moved into the slot (a short one stays in std::string's
// inline buffer: no allocation).
struct OpenatSpec : OnTarget {
  using Result = Expected<File>;
  std::string path;
  uint32_t flags;
  uint32_t mode;
  Op prepare(SlotData& d) {
    lio_handle dir = keep(d);
    d.path = std::move(path);
    return Op::Openat(dir, d.path.c_str(), flags, mode);
  }
  static Result finish(Loop& loop, SlotData&, int64_t r) {
    if (r < 0) return Unexpected{make_error(r)};
    return File(Handle::Adopt(loop, static_cast<lio_handle>(r)));
  }
  static Result fail(OpenatSpec&&, std::error_code ec) { return Unexpected{ec}; }
  static constexpr AbandonFn kAbandon = CloseAbandonedHandle;
};

// ---- file system (ABI 1.1): each acts as its blocking call; the result is
// that call's error (std::error_code{} on success). Paths move into the slot.
struct FtruncateSpec : OnTarget {
  using Result = std::error_code;
  int64_t length;
  Op prepare(SlotData& d) { return Op::Ftruncate(keep(d), length); }
  static Result finish(Loop&, SlotData&, int64_t r) { return make_error(r); }
  static Result fail(FtruncateSpec&&, std::error_code ec) { return ec; }
  static constexpr AbandonFn kAbandon = nullptr;
};

// LINKAT and RENAMEAT: (target, old_path) -> (new_dir, new_path).
// SYMLINKAT: a link at (new_dir, new_path) whose text is old_path.
struct TwoPathSpec : OnTarget {
  using Result = std::error_code;
  lio_op_code code;
  std::string old_path;
  Target new_dir;
  std::string new_path;
  uint32_t flags;
  Op prepare(SlotData& d) {
    lio_handle old_dir = keep(d);
    lio_handle to_dir = new_dir.get();
    d.other_owner = new_dir.take_owner();
    d.path = std::move(old_path);
    d.other_path = std::move(new_path);
    if (code == LIO_OP_SYMLINKAT) return Op::Symlinkat(d.path.c_str(), to_dir, d.other_path.c_str());
    if (code == LIO_OP_LINKAT) return Op::Linkat(old_dir, d.path.c_str(), to_dir, d.other_path.c_str(), flags);
    return Op::Renameat(old_dir, d.path.c_str(), to_dir, d.other_path.c_str(), flags);
  }
  static Result finish(Loop&, SlotData&, int64_t r) { return make_error(r); }
  static Result fail(TwoPathSpec&&, std::error_code ec) { return ec; }
  static constexpr AbandonFn kAbandon = nullptr;
};

// UNLINKAT (flags) and MKDIRAT (mode).
struct PathSpec : OnTarget {
  using Result = std::error_code;
  lio_op_code code;
  std::string path;
  uint32_t flags_or_mode;
  Op prepare(SlotData& d) {
    lio_handle dir = keep(d);
    d.path = std::move(path);
    if (code == LIO_OP_MKDIRAT) return Op::Mkdirat(dir, d.path.c_str(), flags_or_mode);
    return Op::Unlinkat(dir, d.path.c_str(), flags_or_mode);
  }
  static Result finish(Loop&, SlotData&, int64_t r) { return make_error(r); }
  static Result fail(PathSpec&&, std::error_code ec) { return ec; }
  static constexpr AbandonFn kAbandon = nullptr;
};

// Borrowed: the caller's lio_statx is written before the callback runs (or
// the co_await resumes) and stays the caller's to keep alive until then.
struct StatxSpec : OnTarget {
  using Result = std::error_code;
  std::string path;
  lio_statx* out;
  uint32_t mask;
  uint32_t flags;
  Op prepare(SlotData& d) {
    lio_handle dir = keep(d);
    d.path = std::move(path);
    return Op::Statx(dir, d.path.c_str(), out, mask, flags);
  }
  static Result finish(Loop&, SlotData&, int64_t r) { return make_error(r); }
  static Result fail(StatxSpec&&, std::error_code ec) { return ec; }
  static constexpr AbandonFn kAbandon = nullptr;
};

// FALLOCATE (flags) and FADVISE (advice) over [offset, offset + len).
struct RangeSpec : OnTarget {
  using Result = std::error_code;
  lio_op_code code;
  int64_t offset;
  int64_t len;
  uint32_t flags_or_advice;
  Op prepare(SlotData& d) {
    lio_handle h = keep(d);
    if (code == LIO_OP_FADVISE) return Op::Fadvise(h, offset, len, static_cast<int32_t>(flags_or_advice));
    return Op::Fallocate(h, offset, len, flags_or_advice);
  }
  static Result finish(Loop&, SlotData&, int64_t r) { return make_error(r); }
  static Result fail(RangeSpec&&, std::error_code ec) { return ec; }
  static constexpr AbandonFn kAbandon = nullptr;
};

// Closes a raw handle (resources close themselves).
struct CloseSpec : NoTarget {
  using Result = std::error_code;
  static constexpr bool kUsesReserve = true;  // frees a descriptor
  lio_handle handle;
  Op prepare(SlotData&) { return Op::Close(handle); }
  static Result finish(Loop&, SlotData&, int64_t r) { return make_error(r); }
  static Result fail(CloseSpec&&, std::error_code ec) { return ec; }
  static constexpr AbandonFn kAbandon = nullptr;
};

// ---- sockets ---------------------------------------------------------------
struct SocketSpec : NoTarget {
  using Result = Expected<Handle>;
  int domain;
  int type;
  int protocol;
  Op prepare(SlotData&) { return Op::Socket(domain, type, protocol); }
  static Result finish(Loop& loop, SlotData&, int64_t r) {
    if (r < 0) return Unexpected{make_error(r)};
    return Handle::Adopt(loop, static_cast<lio_handle>(r));
  }
  static Result fail(SocketSpec&&, std::error_code ec) { return Unexpected{ec}; }
  static constexpr AbandonFn kAbandon = CloseAbandonedHandle;
};

struct AcceptSpec : OnTarget {
  using Result = Expected<TcpStream>;
  static constexpr bool kUsesReserve = true;  // a new client is never locked out
  Op prepare(SlotData& d) { return Op::Accept(keep(d)); }
  static Result finish(Loop& loop, SlotData&, int64_t r) {
    if (r < 0) return Unexpected{make_error(r)};
    return TcpStream(Handle::Adopt(loop, static_cast<lio_handle>(r)));
  }
  static Result fail(AcceptSpec&&, std::error_code ec) { return Unexpected{ec}; }
  static constexpr AbandonFn kAbandon = CloseAbandonedHandle;
};

struct ConnectSpec : OnTarget {
  using Result = std::error_code;
  SocketAddress address;
  Op prepare(SlotData& d) {
    lio_handle h = keep(d);
    d.address = address;
    return Op::Connect(h, d.address.native(), d.address.size());
  }
  static Result finish(Loop&, SlotData&, int64_t r) { return make_error(r); }
  static Result fail(ConnectSpec&&, std::error_code ec) { return ec; }
  static constexpr AbandonFn kAbandon = nullptr;
};

struct SendSpec : OnTarget {
  using Result = Expected<size_t>;
  ConstBytes bytes;
  int flags;
  Op prepare(SlotData& d) { return Op::Send(keep(d), bytes.data, bytes.size, flags); }
  static Result finish(Loop&, SlotData&, int64_t r) { return ToSize(r); }
  static Result fail(SendSpec&&, std::error_code ec) { return SizeError(ec); }
  static constexpr AbandonFn kAbandon = nullptr;
};

struct RecvSpec : OnTarget {
  using Result = Expected<size_t>;
  MutableBytes bytes;
  int flags;
  Op prepare(SlotData& d) { return Op::Recv(keep(d), bytes.data, bytes.size, flags); }
  static Result finish(Loop&, SlotData&, int64_t r) { return ToSize(r); }
  static Result fail(RecvSpec&&, std::error_code ec) { return SizeError(ec); }
  static constexpr AbandonFn kAbandon = nullptr;
};

// Sends [pos, size()).
struct SendOwnedSpec : OnTarget {
  using Result = BufResult;
  Buffer buffer;
  int flags;
  size_t pos = 0;
  Op prepare(SlotData& d) {
    lio_handle h = keep(d);
    d.buffer = std::move(buffer);
    size_t from = pos < d.buffer.size() ? pos : d.buffer.size();
    return Op::Send(h, d.buffer.data() + from, d.buffer.size() - from, flags);
  }
  static Result finish(Loop&, SlotData& d, int64_t r) { return {ToSize(r), std::move(d.buffer)}; }
  static Result fail(SendOwnedSpec&& s, std::error_code ec) { return {SizeError(ec), std::move(s.buffer)}; }
  static constexpr AbandonFn kAbandon = nullptr;
};

struct RecvOwnedSpec : OnTarget {
  using Result = BufResult;
  Buffer buffer;
  int flags;
  Op prepare(SlotData& d) {
    lio_handle h = keep(d);
    d.buffer = std::move(buffer);
    return Op::Recv(h, d.buffer.data(), d.buffer.capacity(), flags);
  }
  static Result finish(Loop&, SlotData& d, int64_t r) {
    d.buffer.resize(r > 0 ? static_cast<size_t>(r) : 0);
    return {ToSize(r), std::move(d.buffer)};
  }
  static Result fail(RecvOwnedSpec&& s, std::error_code ec) { return {SizeError(ec), std::move(s.buffer)}; }
  static constexpr AbandonFn kAbandon = nullptr;
};

// Borrowed message: the caller keeps the msghdr, its iovecs and buffers.
struct SendmsgSpec : OnTarget {
  using Result = Expected<size_t>;
  lio_msghdr* msg;
  int flags;
  Op prepare(SlotData& d) { return Op::Sendmsg(keep(d), msg, flags); }
  static Result finish(Loop&, SlotData&, int64_t r) { return ToSize(r); }
  static Result fail(SendmsgSpec&&, std::error_code ec) { return SizeError(ec); }
  static constexpr AbandonFn kAbandon = nullptr;
};

struct RecvmsgSpec : OnTarget {
  using Result = Expected<size_t>;
  lio_msghdr* msg;
  int flags;
  Op prepare(SlotData& d) { return Op::Recvmsg(keep(d), msg, flags); }
  static Result finish(Loop&, SlotData&, int64_t r) { return ToSize(r); }
  static Result fail(RecvmsgSpec&&, std::error_code ec) { return SizeError(ec); }
  static constexpr AbandonFn kAbandon = nullptr;
};

// Datagrams with an owned buffer (sendmsg/recvmsg; the msghdr lives in the
// slot).
struct SendToSpec : OnTarget {
  using Result = BufResult;
  Buffer buffer;
  SocketAddress to;
  int flags;
  Op prepare(SlotData& d) {
    lio_handle h = keep(d);
    d.buffer = std::move(buffer);
    d.address = to;
    d.one_iov = {d.buffer.data(), d.buffer.size()};
    d.msg = lio_msghdr{};
    d.msg.name = d.address.native();
    d.msg.namelen = d.address.size();
    d.msg.iov = &d.one_iov;
    d.msg.iovcnt = 1;
    return Op::Sendmsg(h, &d.msg, flags);
  }
  static Result finish(Loop&, SlotData& d, int64_t r) { return {ToSize(r), std::move(d.buffer)}; }
  static Result fail(SendToSpec&& s, std::error_code ec) { return {SizeError(ec), std::move(s.buffer)}; }
  static constexpr AbandonFn kAbandon = nullptr;
};

struct RecvFromSpec : OnTarget {
  using Result = RecvFromResult;
  Buffer buffer;
  int flags;
  Op prepare(SlotData& d) {
    lio_handle h = keep(d);
    d.buffer = std::move(buffer);
    d.address = SocketAddress();
    d.one_iov = {d.buffer.data(), d.buffer.capacity()};
    d.msg = lio_msghdr{};
    d.msg.name = d.address.native();
    d.msg.namelen = SocketAddress::kCapacity;
    d.msg.iov = &d.one_iov;
    d.msg.iovcnt = 1;
    return Op::Recvmsg(h, &d.msg, flags);
  }
  static Result finish(Loop&, SlotData& d, int64_t r) {
    d.buffer.resize(r > 0 ? static_cast<size_t>(r) : 0);
    if (r >= 0) d.address.set_size(d.msg.namelen);
    return {ToSize(r), std::move(d.buffer), r >= 0 ? d.address : SocketAddress()};
  }
  static Result fail(RecvFromSpec&& s, std::error_code ec) { return {SizeError(ec), std::move(s.buffer), {}}; }
  static constexpr AbandonFn kAbandon = nullptr;
};

struct ShutdownSpec : OnTarget {
  using Result = std::error_code;
  int how;
  Op prepare(SlotData& d) { return Op::Shutdown(keep(d), how); }
  static Result finish(Loop&, SlotData&, int64_t r) { return make_error(r); }
  static Result fail(ShutdownSpec&&, std::error_code ec) { return ec; }
  static constexpr AbandonFn kAbandon = nullptr;
};

// ---- 1.1: bind, listen, tee, splice, pipe, waitid ------------------------------

struct BindSpec : OnTarget {
  using Result = std::error_code;
  SocketAddress address;
  Op prepare(SlotData& d) {
    lio_handle h = keep(d);
    d.address = address;  // the backend reads it until completion
    return Op::Bind(h, d.address.native(), d.address.size());
  }
  static Result finish(Loop&, SlotData&, int64_t r) { return make_error(r); }
  static Result fail(BindSpec&&, std::error_code ec) { return ec; }
  static constexpr AbandonFn kAbandon = nullptr;
};

struct ListenSpec : OnTarget {
  using Result = std::error_code;
  int backlog;
  Op prepare(SlotData& d) { return Op::Listen(keep(d), backlog); }
  static Result finish(Loop&, SlotData&, int64_t r) { return make_error(r); }
  static Result fail(ListenSpec&&, std::error_code ec) { return ec; }
  static constexpr AbandonFn kAbandon = nullptr;
};

// TEE (`is_tee`) or SPLICE from `target` to `out`; both kept open until it completed.
struct SpliceSpec : OnTarget {
  using Result = Expected<size_t>;
  Target out;
  int64_t off_in;
  int64_t off_out;
  uint32_t len;
  uint32_t flags;
  bool is_tee;
  Op prepare(SlotData& d) {
    lio_handle in = keep(d);
    d.second_owner = out.take_owner();
    if (is_tee) return Op::Tee(in, out.get(), len, flags);
    return Op::Splice(in, off_in, out.get(), off_out, len, flags);
  }
  static Result finish(Loop&, SlotData&, int64_t r) { return ToSize(r); }
  static Result fail(SpliceSpec&&, std::error_code ec) { return SizeError(ec); }
  static constexpr AbandonFn kAbandon = nullptr;
};

// Both ends of a pipe nobody waits for any more are closed.
inline void CloseAbandonedPipe(Loop& loop, SlotData& d, int64_t result) {
  if (result < 0) return;
  Handle::Adopt(loop, d.pair[0]);
  Handle::Adopt(loop, d.pair[1]);
}

struct PipeSpec : NoTarget {
  using Result = Expected<Pipe>;
  Op prepare(SlotData& d) {
    d.pair[0] = d.pair[1] = LIO_INVALID_HANDLE;
    return Op::Pipe(d.pair);
  }
  static Result finish(Loop& loop, SlotData& d, int64_t r) {
    if (r < 0) return Unexpected{make_error(r)};
    return Pipe{Handle::Adopt(loop, d.pair[0]), Handle::Adopt(loop, d.pair[1])};
  }
  static Result fail(PipeSpec&&, std::error_code ec) { return Unexpected{ec}; }
  static constexpr AbandonFn kAbandon = CloseAbandonedPipe;
};

// The siginfo waitid writes lives in the slot's address storage (128 bytes,
// 8-aligned: a siginfo_t's size), which no other part of this op uses.
ChildStatus ChildStatusFromSiginfo(const void* siginfo) noexcept;

struct WaitidSpec : NoTarget {
  using Result = Expected<ChildStatus>;
  int idtype;
  int id;
  int options;
  Op prepare(SlotData& d) {
    d.address = SocketAddress();
    return Op::Waitid(idtype, id, options, d.address.native());
  }
  static Result finish(Loop&, SlotData& d, int64_t r) {
    if (r < 0) return Unexpected{make_error(r)};
    return ChildStatusFromSiginfo(d.address.native());
  }
  static Result fail(WaitidSpec&&, std::error_code ec) { return Unexpected{ec}; }
  static constexpr AbandonFn kAbandon = nullptr;
};

// Readiness; the result is the ready LIO_POLL_* events.
struct PollSpec : OnTarget {
  using Result = Expected<uint32_t>;
  uint32_t events;
  Op prepare(SlotData& d) { return Op::Poll(keep(d), events); }
  static Result finish(Loop&, SlotData&, int64_t r) {
    if (r < 0) return Unexpected{make_error(r)};
    return static_cast<uint32_t>(r);
  }
  static Result fail(PollSpec&&, std::error_code ec) { return Unexpected{ec}; }
  static constexpr AbandonFn kAbandon = nullptr;
};

// The backend's own timer (LIO_OP_TIMEOUT); success ({}) when it expired.
// The loop's timers (loop.after, lio::sleep) do not use it: they live in the
// loop's heap and bound the backend's wait.
struct KernelTimeoutSpec : NoTarget {
  using Result = std::error_code;
  int64_t ns;
  Op prepare(SlotData&) { return Op::Timeout(ns); }
  static Result finish(Loop&, SlotData&, int64_t r) { return r == -LIO_ETIME ? std::error_code{} : make_error(r); }
  static Result fail(KernelTimeoutSpec&&, std::error_code ec) { return ec; }
  static constexpr AbandonFn kAbandon = nullptr;
};

}  // namespace detail
}  // namespace lio

#endif  // LIO_RUNTIME_OPS_H_
