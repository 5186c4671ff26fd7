// The coroutine face of the loop: `co_await lio::read(...)` and friends, one
// awaitable per operation, inside a lio::Task.
//
//   lio::Task<void> echo(lio::TcpStream conn) {
//     lio::Buffer buf(16 * 1024);
//     for (;;) {
//       auto [n, data] = co_await lio::recv(conn, std::move(buf));
//       if (!n || *n == 0) co_return;
//       auto [sent, back] = co_await lio::send_all(conn, std::move(data));
//       if (!sent) co_return;
//       buf = std::move(back);
//     }
//   }
//
// Every function returns an awaitable that starts its operation when
// awaited (not before), on the loop of the Target's resource, else of the
// awaiting task, else Loop::current(). Results are those of ops.h: errors are
// values, never exceptions.
//
// Cancellation: destroying the awaiting coroutine (destroying its Task, or
// with_timeout firing, see timeout.h) cancels the operation in the backend.
// An owned buffer stays in the loop's slot until the kernel's completion
// arrives and is released (wiped if asked) then; a borrowed buffer
// (MutableBytes/ConstBytes) must be kept alive by you until that moment —
// prefer the owned forms.
//
// Blocking: every awaitable also has `.wait()` (std::move(op).wait()), which
// runs the loop until it completed — for scripts, tests and main().
//
// No allocation: the awaitable lives in the coroutine frame, and the
// operation in a pre-allocated slot. When no slot is free the loop's
// AtCapacity policy says what happens (loop.h): grow, queue (FIFO) until one
// frees, or fail at once with resource_unavailable_try_again.
#ifndef LIO_RUNTIME_IO_H_
#define LIO_RUNTIME_IO_H_

#include <coroutine>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "lio/runtime/loop.h"
#include "lio/runtime/ops.h"
#include "lio/runtime/task.h"

namespace lio {

// Awaits one operation described by `Spec` (ops.h).
template <class Spec>
class [[nodiscard]] OpAwaitable : private detail::OpWaiter {
 public:
  using Result = typename Spec::Result;

  explicit OpAwaitable(Spec spec, Loop* loop = nullptr) : spec_(std::move(spec)), loop_(loop) {
    if (loop_ == nullptr) loop_ = spec_.loop();
  }
  // Only before it was awaited.
  OpAwaitable(OpAwaitable&& other) noexcept(std::is_nothrow_move_constructible_v<Spec>)
      : spec_(std::move(other.spec_)), loop_(other.loop_) {}
  OpAwaitable& operator=(OpAwaitable&&) = delete;
  ~OpAwaitable() { abandon(); }

  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    if (loop_ == nullptr) loop_ = detail::LoopOf(h);
    continuation = h;
    if (loop_ == nullptr) {  // not on a loop: nothing can run it
      result_.emplace(Spec::fail(std::move(spec_), make_error(-LIO_EINVAL)));
      phase_ = Phase::kDone;
      return false;
    }
    constexpr bool kReserved = detail::UsesReserve<Spec>();
    if (detail::Slot* s = detail::LoopAccess::TryAcquire(*loop_, kReserved)) {
      submit(*s);
    } else if (!detail::LoopAccess::OnNoSlot(*loop_)) {  // AtCapacity::kFail
      result_.emplace(Spec::fail(std::move(spec_), make_error(-LIO_EAGAIN)));
      phase_ = Phase::kDone;
      return false;
    } else {
      node_.context = this;
      node_.on_slot = &OnSlot;
      node_.reserved = kReserved;
      phase_ = Phase::kQueued;
      detail::LoopAccess::Enqueue(*loop_, &node_);
    }
    return true;
  }
  Result await_resume() { return std::move(*result_); }

  // Runs the loop until the operation completed (not from inside the loop).
  Result wait() && {
    Loop* loop = loop_ != nullptr ? loop_ : detail::CurrentLoop();
    if (loop == nullptr) return Spec::fail(std::move(spec_), make_error(-LIO_EINVAL));
    return loop->block_on(std::move(*this));
  }

  // For with_timeout: ask the operation to stop. It still completes once
  // (and resumes the awaiting coroutine): operation_canceled, or its real
  // result if it won the race.
  void request_cancel() {
    if (phase_ == Phase::kQueued) {
      detail::LoopAccess::Dequeue(*loop_, &node_);
      result_.emplace(Spec::fail(std::move(spec_), make_error(-LIO_ECANCELED)));
      phase_ = Phase::kDone;
      continuation.resume();
    } else if (phase_ == Phase::kInFlight) {
      detail::LoopAccess::Cancel(*loop_, id_);
    }
  }

 private:
  enum class Phase : uint8_t { kIdle, kQueued, kInFlight, kDone };

  void submit(detail::Slot& s) {
    s.waiter = this;
    s.abandon = Spec::kAbandon;
    complete = &Complete;
    Op op = spec_.prepare(s.data);
    phase_ = Phase::kInFlight;
    id_ = detail::LoopAccess::Start(*loop_, s, op);
  }
  static void OnSlot(detail::SlotWaiter* w, Loop& loop) {
    static_cast<OpAwaitable*>(w->context)->submit(*detail::LoopAccess::TakeFree(loop, detail::UsesReserve<Spec>()));
  }
  static void Complete(detail::OpWaiter* w, Loop& loop, detail::SlotData& data, int64_t result) {
    auto* self = static_cast<OpAwaitable*>(w);
    self->result_.emplace(Spec::finish(loop, data, result));
    self->phase_ = Phase::kDone;
  }
  // The coroutine went away first.
  void abandon() noexcept {
    if (phase_ == Phase::kQueued) {
      detail::LoopAccess::Dequeue(*loop_, &node_);
    } else if (phase_ == Phase::kInFlight) {
      detail::LoopAccess::Abandon(*loop_, id_);  // the slot keeps the buffer until completion
    }
    phase_ = Phase::kDone;
  }

  Spec spec_;
  Loop* loop_ = nullptr;
  OpId id_;
  detail::SlotWaiter node_;
  std::optional<Result> result_;
  Phase phase_ = Phase::kIdle;
};

// ---- one awaitable per operation --------------------------------------------------

inline OpAwaitable<detail::NopSpec> nop() { return OpAwaitable(detail::NopSpec{}); }

// Owned: reads up to buffer.capacity() bytes; the buffer comes back with
// size() set. Borrowed: into `bytes`, which you keep alive.
inline OpAwaitable<detail::ReadOwnedSpec> read(Target t, Buffer buffer, int64_t offset = LIO_OFFSET_CURRENT) {
  return OpAwaitable(detail::ReadOwnedSpec{{std::move(t)}, std::move(buffer), offset});
}
inline OpAwaitable<detail::ReadSpec> read(Target t, MutableBytes bytes, int64_t offset = LIO_OFFSET_CURRENT) {
  return OpAwaitable(detail::ReadSpec{{std::move(t)}, bytes, offset});
}
// Writes buffer's [0, size()); may write less (see write_all).
inline OpAwaitable<detail::WriteOwnedSpec> write(Target t, Buffer buffer, int64_t offset = LIO_OFFSET_CURRENT) {
  return OpAwaitable(detail::WriteOwnedSpec{{std::move(t)}, std::move(buffer), offset});
}
inline OpAwaitable<detail::WriteSpec> write(Target t, ConstBytes bytes, int64_t offset = LIO_OFFSET_CURRENT) {
  return OpAwaitable(detail::WriteSpec{{std::move(t)}, bytes, offset});
}
inline OpAwaitable<detail::ReadvOwnedSpec> readv(Target t, std::vector<Buffer> buffers,
                                                 int64_t offset = LIO_OFFSET_CURRENT) {
  return OpAwaitable(detail::ReadvOwnedSpec{{std::move(t)}, std::move(buffers), offset});
}
inline OpAwaitable<detail::ReadvSpec> readv(Target t, std::span<const lio_iovec> iov,
                                            int64_t offset = LIO_OFFSET_CURRENT) {
  return OpAwaitable(detail::ReadvSpec{{std::move(t)}, iov, offset});
}
inline OpAwaitable<detail::WritevOwnedSpec> writev(Target t, std::vector<Buffer> buffers,
                                                   int64_t offset = LIO_OFFSET_CURRENT) {
  return OpAwaitable(detail::WritevOwnedSpec{{std::move(t)}, std::move(buffers), offset});
}
inline OpAwaitable<detail::WritevSpec> writev(Target t, std::span<const lio_iovec> iov,
                                              int64_t offset = LIO_OFFSET_CURRENT) {
  return OpAwaitable(detail::WritevSpec{{std::move(t)}, iov, offset});
}
inline OpAwaitable<detail::FsyncSpec> fsync(Target t, bool data_only = false) {
  return OpAwaitable(detail::FsyncSpec{{std::move(t)}, data_only});
}
// Gives Expected<File>.
inline OpAwaitable<detail::OpenatSpec> openat(Target dir, std::string path, uint32_t flags, uint32_t mode = 0644) {
  return OpAwaitable(detail::OpenatSpec{{std::move(dir)}, std::move(path), flags, mode});
}
inline OpAwaitable<detail::OpenatSpec> open(std::string path, uint32_t flags, uint32_t mode = 0644) {
  return openat(LIO_AT_FDCWD, std::move(path), flags, mode);
}
// ---- file system (ABI 1.1): each gives std::error_code (Loop's methods of
// the same names say more).
inline OpAwaitable<detail::FtruncateSpec> ftruncate(Target t, int64_t length) {
  return OpAwaitable(detail::FtruncateSpec{{std::move(t)}, length});
}
inline OpAwaitable<detail::TwoPathSpec> linkat(Target old_dir, std::string old_path, Target new_dir,
                                               std::string new_path, uint32_t flags = 0) {
  return OpAwaitable(detail::TwoPathSpec{{std::move(old_dir)}, LIO_OP_LINKAT, std::move(old_path), std::move(new_dir),
                                         std::move(new_path), flags});
}
inline OpAwaitable<detail::TwoPathSpec> symlinkat(std::string target, Target new_dir, std::string link_path) {
  return OpAwaitable(detail::TwoPathSpec{{LIO_INVALID_HANDLE}, LIO_OP_SYMLINKAT, std::move(target), std::move(new_dir),
                                         std::move(link_path), 0});
}
inline OpAwaitable<detail::TwoPathSpec> renameat(Target old_dir, std::string old_path, Target new_dir,
                                                 std::string new_path, uint32_t flags = 0) {
  return OpAwaitable(detail::TwoPathSpec{{std::move(old_dir)}, LIO_OP_RENAMEAT, std::move(old_path),
                                         std::move(new_dir), std::move(new_path), flags});
}
inline OpAwaitable<detail::TwoPathSpec> rename(std::string old_path, std::string new_path) {
  return renameat(LIO_AT_FDCWD, std::move(old_path), LIO_AT_FDCWD, std::move(new_path));
}
inline OpAwaitable<detail::PathSpec> unlinkat(Target dir, std::string path, uint32_t flags = 0) {
  return OpAwaitable(detail::PathSpec{{std::move(dir)}, LIO_OP_UNLINKAT, std::move(path), flags});
}
inline OpAwaitable<detail::PathSpec> unlink(std::string path) { return unlinkat(LIO_AT_FDCWD, std::move(path)); }
inline OpAwaitable<detail::PathSpec> rmdir(std::string path) {
  return unlinkat(LIO_AT_FDCWD, std::move(path), LIO_UNLINK_REMOVEDIR);
}
inline OpAwaitable<detail::PathSpec> mkdirat(Target dir, std::string path, uint32_t mode = 0755) {
  return OpAwaitable(detail::PathSpec{{std::move(dir)}, LIO_OP_MKDIRAT, std::move(path), mode});
}
inline OpAwaitable<detail::PathSpec> mkdir(std::string path, uint32_t mode = 0755) {
  return mkdirat(LIO_AT_FDCWD, std::move(path), mode);
}
// `out` (in the awaiting frame, say) is written before the co_await resumes.
inline OpAwaitable<detail::StatxSpec> statx(Target dir, std::string path, lio_statx& out,
                                            uint32_t mask = LIO_STATX_BASIC_STATS, uint32_t flags = 0) {
  return OpAwaitable(detail::StatxSpec{{std::move(dir)}, std::move(path), &out, mask, flags});
}
inline OpAwaitable<detail::StatxSpec> stat(std::string path, lio_statx& out) {
  return statx(LIO_AT_FDCWD, std::move(path), out);
}
inline OpAwaitable<detail::RangeSpec> fallocate(Target t, int64_t offset, int64_t len, uint32_t flags = 0) {
  return OpAwaitable(detail::RangeSpec{{std::move(t)}, LIO_OP_FALLOCATE, offset, len, flags});
}
inline OpAwaitable<detail::RangeSpec> fadvise(Target t, int64_t offset, int64_t len, int32_t advice) {
  return OpAwaitable(detail::RangeSpec{{std::move(t)}, LIO_OP_FADVISE, offset, len, static_cast<uint32_t>(advice)});
}
// A raw handle; resources close themselves when their last owner lets go.
inline OpAwaitable<detail::CloseSpec> close(lio_handle h) { return OpAwaitable(detail::CloseSpec{{}, h}); }
// Gives Expected<Handle>.
inline OpAwaitable<detail::SocketSpec> socket(int domain, int type, int protocol = 0) {
  return OpAwaitable(detail::SocketSpec{{}, domain, type, protocol});
}
// Gives Expected<TcpStream>.
inline OpAwaitable<detail::AcceptSpec> accept(Target listener) {
  return OpAwaitable(detail::AcceptSpec{{std::move(listener)}});
}
inline OpAwaitable<detail::ConnectSpec> connect(Target t, const SocketAddress& address) {
  return OpAwaitable(detail::ConnectSpec{{std::move(t)}, address});
}
// Sends buffer's [0, size()) (may send less: see send_all).
inline OpAwaitable<detail::SendOwnedSpec> send(Target t, Buffer buffer, int flags = DefaultSendFlags()) {
  return OpAwaitable(detail::SendOwnedSpec{{std::move(t)}, std::move(buffer), flags});
}
inline OpAwaitable<detail::SendSpec> send(Target t, ConstBytes bytes, int flags = DefaultSendFlags()) {
  return OpAwaitable(detail::SendSpec{{std::move(t)}, bytes, flags});
}
inline OpAwaitable<detail::RecvOwnedSpec> recv(Target t, Buffer buffer, int flags = 0) {
  return OpAwaitable(detail::RecvOwnedSpec{{std::move(t)}, std::move(buffer), flags});
}
inline OpAwaitable<detail::RecvSpec> recv(Target t, MutableBytes bytes, int flags = 0) {
  return OpAwaitable(detail::RecvSpec{{std::move(t)}, bytes, flags});
}
inline OpAwaitable<detail::SendmsgSpec> sendmsg(Target t, lio_msghdr* msg, int flags = DefaultSendFlags()) {
  return OpAwaitable(detail::SendmsgSpec{{std::move(t)}, msg, flags});
}
inline OpAwaitable<detail::RecvmsgSpec> recvmsg(Target t, lio_msghdr* msg, int flags = 0) {
  return OpAwaitable(detail::RecvmsgSpec{{std::move(t)}, msg, flags});
}
inline OpAwaitable<detail::SendToSpec> send_to(Target t, Buffer buffer, const SocketAddress& to,
                                               int flags = DefaultSendFlags()) {
  return OpAwaitable(detail::SendToSpec{{std::move(t)}, std::move(buffer), to, flags});
}
// Gives RecvFromResult (bytes, buffer, sender).
inline OpAwaitable<detail::RecvFromSpec> recv_from(Target t, Buffer buffer, int flags = 0) {
  return OpAwaitable(detail::RecvFromSpec{{std::move(t)}, std::move(buffer), flags});
}
// how: 0 read side, 1 write side, 2 both.
inline OpAwaitable<detail::ShutdownSpec> shutdown(Target t, int how) {
  return OpAwaitable(detail::ShutdownSpec{{std::move(t)}, how});
}
// ---- 1.1: sockets, pipes, processes ----
inline OpAwaitable<detail::BindSpec> bind(Target t, const SocketAddress& address) {
  return OpAwaitable(detail::BindSpec{{std::move(t)}, address});
}
inline OpAwaitable<detail::ListenSpec> listen(Target t, int backlog) {
  return OpAwaitable(detail::ListenSpec{{std::move(t)}, backlog});
}
// Gives Expected<size_t>: the bytes duplicated from pipe `in` into pipe `out`.
inline OpAwaitable<detail::SpliceSpec> tee(Target in, Target out, uint32_t len, uint32_t flags = 0) {
  return OpAwaitable(
      detail::SpliceSpec{{std::move(in)}, std::move(out), LIO_OFFSET_CURRENT, LIO_OFFSET_CURRENT, len, flags, true});
}
// Gives Expected<size_t>: the bytes moved (one end a pipe; offsets
// LIO_OFFSET_CURRENT for none).
inline OpAwaitable<detail::SpliceSpec> splice(Target in, int64_t off_in, Target out, int64_t off_out, uint32_t len,
                                              uint32_t flags = 0) {
  return OpAwaitable(detail::SpliceSpec{{std::move(in)}, std::move(out), off_in, off_out, len, flags, false});
}
// Gives Expected<Pipe>: the two ends, each closed when its Handle goes. On
// the loop of the awaiting task.
inline OpAwaitable<detail::PipeSpec> pipe() { return OpAwaitable(detail::PipeSpec{}); }
// Gives Expected<ChildStatus> (POSIX waitid: native P_*, W*).
inline OpAwaitable<detail::WaitidSpec> waitid(int idtype, int id, int options) {
  return OpAwaitable(detail::WaitidSpec{{}, idtype, id, options});
}

// Gives Expected<uint32_t>: the ready LIO_POLL_* events.
inline OpAwaitable<detail::PollSpec> poll(Target t, uint32_t events) {
  return OpAwaitable(detail::PollSpec{{std::move(t)}, events});
}
// The backend's own timer operation (LIO_OP_TIMEOUT): {} when it expired.
// lio::sleep uses the loop's timers instead and costs no system call.
template <class Rep, class Period>
OpAwaitable<detail::KernelTimeoutSpec> kernel_timeout(std::chrono::duration<Rep, Period> d) {
  return OpAwaitable(
      detail::KernelTimeoutSpec{{}, std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()});
}
// Any lio_op; you keep what it points to alive. Gives Expected<int64_t>.
inline OpAwaitable<detail::RawSpec> submit(const Op& op) { return OpAwaitable(detail::RawSpec{{}, op}); }

// ---- compositions (each a Task: one coroutine frame per call) ---------------------

namespace detail {
// Awaitables are built in ordinary functions, never as `co_await X{...}`:
// GCC 12 destroys a brace-initialised aggregate temporary inside a co_await
// operand twice (a double free); see LOOP.md, "Compilers".
inline OpAwaitable<SendOwnedSpec> SendFrom(Target t, Buffer buffer, int flags, size_t pos) {
  return OpAwaitable(SendOwnedSpec{{std::move(t)}, std::move(buffer), flags, pos});
}
inline OpAwaitable<WriteOwnedSpec> WriteFrom(Target t, Buffer buffer, int64_t offset, size_t pos) {
  return OpAwaitable(WriteOwnedSpec{{std::move(t)}, std::move(buffer), offset, pos});
}
}  // namespace detail

// Sends all of buffer's [0, size()); bytes = what was sent before an error.
inline Task<BufResult> send_all(Target t, Buffer buffer, int flags = DefaultSendFlags()) {
  size_t pos = 0;
  while (pos < buffer.size()) {
    auto [n, back] = co_await detail::SendFrom(t, std::move(buffer), flags, pos);
    buffer = std::move(back);
    if (!n) co_return BufResult{Unexpected{n.error()}, std::move(buffer)};
    if (*n == 0) co_return BufResult{Unexpected{make_error(-LIO_EIO)}, std::move(buffer)};
    pos += *n;
  }
  co_return BufResult{pos, std::move(buffer)};
}

// Writes all of buffer's [0, size()) at `offset` (advancing), or at the file
// position with LIO_OFFSET_CURRENT.
inline Task<BufResult> write_all(Target t, Buffer buffer, int64_t offset = LIO_OFFSET_CURRENT) {
  size_t pos = 0;
  while (pos < buffer.size()) {
    int64_t at = offset == LIO_OFFSET_CURRENT ? offset : offset + static_cast<int64_t>(pos);
    auto [n, back] = co_await detail::WriteFrom(t, std::move(buffer), at, pos);
    buffer = std::move(back);
    if (!n) co_return BufResult{Unexpected{n.error()}, std::move(buffer)};
    if (*n == 0) co_return BufResult{Unexpected{make_error(-LIO_EIO)}, std::move(buffer)};
    pos += *n;
  }
  co_return BufResult{pos, std::move(buffer)};
}

// A TCP connection to `address` (socket + connect).
inline Task<Expected<TcpStream>> connect(SocketAddress address) {
  auto handle = co_await socket(address.family(), net::StreamType(), 0);
  if (!handle) co_return Unexpected{handle.error()};
  TcpStream stream(std::move(*handle));
  if (std::error_code ec = co_await connect(stream, address)) co_return Unexpected{ec};
  co_return stream;
}

}  // namespace lio

#endif  // LIO_RUNTIME_IO_H_
