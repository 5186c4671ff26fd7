// lio::Loop — the runtime an application writes against: one backend, an
// operation store, timers, callbacks and coroutines, on one thread.
// (Over 500 lines: this header is the Loop's documentation — LOOP.md points
// here for every call's contract.)
//
//   auto loop = lio::Loop::Open({.backend = "auto"});  // or "io_uring", "poller"
//   if (!loop) { std::cerr << loop.error().message << "\n"; return 1; }
//   (*loop)->after(std::chrono::milliseconds(10), [] { std::puts("tick"); });
//   (*loop)->run();
//
// See LOOP.md for a guide from "hello loop" to coroutines.
//
// The operation store. The loop allocates `capacity` slots when it is
// created (LoopOptions::capacity); every operation in flight takes one. loop.after timers have a store of their own
// (LoopOptions::timers, allocated at creation too): a timer lives only in the
// loop's deadline heap and never reaches the backend, so it does not count
// against the backend's capacity. Starting, completing and cancelling
// operations and timers allocates nothing after that:
//   - ids carry the slot's generation, so a stale id never reaches the
//     operation now using a reused slot (Loop::cancel answers ENOENT);
//   - callbacks are stored inside the slot when their captures fit in 64
//     bytes (InlineFunction); a bigger callback costs one heap allocation;
//   - owned buffers, addresses and paths live in the slot until the backend
//     returned the completion, also when the caller cancelled or went away.
// What may allocate: coroutine frames (the compiler allocates each Task),
// post() (a std::function per call), the first time more resources are open
// or more timers armed at once than ever before (pools grow), owned
// vectored I/O the first time a slot sees that many buffers, and growing the
// store (below).
//
// At capacity (LOOP.md, "At capacity"): the last `reserve` free slots are
// kept for the operations that let a server go on — accept (a new client)
// and close (which frees a descriptor and the slots its operations held).
// An operation that finds no slot for it does what LoopOptions::at_capacity
// says: kGrow (the default) adds a chunk of slots, up to max_capacity, then
// queues; kQueue waits in a FIFO queue (no allocation: the awaiter is the
// queue node; accept and close have a queue of their own, served first)
// until a slot frees; kFail completes at once with
// resource_unavailable_try_again (EAGAIN). A callback-style call that finds
// no slot answers an empty OpId and does not start (its callback is
// destroyed uncalled), whatever the policy. stats() counts all of it.
// loop.after with all `timers` armed answers an empty OpId the same way.
//
// A turn (run_once): run posted functions, fire due timers, deliver
// completions already known, flush; then wait in the backend — up to the
// nearest timer, forever if only operations are pending — deliver what it
// returned, fire timers, and flush again. So operations started by callbacks
// reach the kernel at the end of the turn at the latest, in one system call.
//
// Threads: a Loop belongs to the thread that created it (io_uring rings are
// single-issuer). Only post() and stop() may be called from other threads.
// Resources, Tasks and operations must not outlive their loop.
#ifndef LIO_RUNTIME_LOOP_H_
#define LIO_RUNTIME_LOOP_H_

#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "lio/core/backend.h"
#include "lio/runtime/buffer.h"
#include "lio/runtime/buffer_group.h"
#include "lio/runtime/deadline_heap.h"
#include "lio/core/error.h"
#include "lio/core/expected.h"
#include "lio/runtime/handle.h"
#include "lio/core/op.h"
#include "lio/runtime/ops.h"
#include "lio/runtime/resources.h"
#include "lio/runtime/slot.h"
#include "lio/runtime/slot_store.h"
#include "lio/runtime/socket_address.h"
#include "lio/runtime/task.h"

namespace lio {

class Registry;
class Chain;

// What an operation does when the loop has no slot for it (LOOP.md, "At
// capacity").
enum class AtCapacity : uint8_t {
  kGrow,   // add a chunk of slots (up to max_capacity), then queue as kQueue
  kQueue,  // wait for a slot in FIFO order
  kFail,   // complete at once with resource_unavailable_try_again (EAGAIN)
};

struct LoopOptions {
  // "io_uring", "poller", "iocp", "auto" (the best whose probe passes), or ""
  // for $LIO_BACKEND, else "auto".
  std::string backend;
  // Operations in flight at once; slots (about 512 bytes each) are allocated
  // for this many up front.
  uint32_t capacity = 1024;
  // When every slot is taken. The default lets idle connections never lock
  // new ones out: the loop grows.
  AtCapacity at_capacity = AtCapacity::kGrow;
  // kGrow: the most operations in flight, slots added in chunks of
  // bit_ceil(capacity) on the slow path; 0: 16 x capacity. The backend is
  // opened for this many (its per-operation records are small; the slots,
  // which hold buffers and callbacks, are what grows). Other policies:
  // ignored, the backend's capacity is `capacity`.
  uint32_t max_capacity = 0;
  // Free slots that only accept and close may take (kAutoReserve:
  // capacity / 16). At most capacity / 2.
  static constexpr uint32_t kAutoReserve = UINT32_MAX;
  uint32_t reserve = kAutoReserve;
  // loop.after timers armed at once; their slots (about 144 bytes each) are
  // allocated up front too. They never reach the backend, so they do not
  // count against `capacity` (a million timers on a loop of 1024 operations
  // is fine). Coroutine sleeps and with_timeout take none. capacity + timers
  // must stay below 2^32 - 1.
  static constexpr uint32_t kDefaultTimers = 1024;
  uint32_t timers = kDefaultTimers;
  // Backend-specific "key=value,..." (see the backend's documentation).
  std::string backend_options;
  // Where to find backends; nullptr = Registry::Default() (LIO_PLUGIN_PATH,
  // then the install directory).
  Registry* registry = nullptr;
};

namespace detail {
class LoopAccess;
// Prints "lio: <message>" and aborts: for misuse that has no error to return.
[[noreturn]] void Fatal(const char* message) noexcept;
// Makes `loop` the thread's current loop for a scope.
class CurrentLoopScope {
 public:
  explicit CurrentLoopScope(Loop* loop) noexcept;
  ~CurrentLoopScope();
  CurrentLoopScope(const CurrentLoopScope&) = delete;
  CurrentLoopScope& operator=(const CurrentLoopScope&) = delete;

 private:
  Loop* previous_;
};
template <class A>
struct AwaitResultOf;
}  // namespace detail

class Loop {
 public:
  // Opens the backend and creates the loop, on the calling thread.
  static Expected<std::unique_ptr<Loop>, Error> Open(const LoopOptions& options = {});
  // The capacity to open a backend with for a loop of these options (room
  // to grow under kGrow), for those who open it themselves (LoopGroup).
  static uint32_t BackendCapacityFor(const LoopOptions& options) noexcept;
  // The promises a loop makes the backends it opens (Open, LoopGroup): its
  // ids are slot index + generation, never two alike in flight, so io_uring
  // may skip its id index ([config.unique_ids]).
  static constexpr uint32_t kBackendFlags = LIO_CONFIG_UNIQUE_IDS;
  // A loop over a backend you opened (on this thread); capacity is the
  // backend's, `timers` as LoopOptions::timers, at capacity kQueue with no
  // reserve (every slot of the backend you sized is yours).
  explicit Loop(Backend backend, uint32_t timers = LoopOptions::kDefaultTimers);
  // The same with options.capacity slots (at most the backend's capacity),
  // options.timers, the at-capacity policy and reserve of `options`; kGrow
  // grows up to the backend's capacity. options.backend and friends are
  // not used.
  Loop(Backend backend, const LoopOptions& options);
  // Destroys spawned tasks that have not finished, cancels what is in flight
  // (callbacks are dropped uncalled), waits for the backend to return every
  // completion (so no buffer is freed under the kernel), closes resources.
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  // The loop created on (or running on) this thread, if any. Awaitables that
  // are not given a loop use their task's loop, else this one.
  static Loop* current() noexcept;

  Backend& backend() noexcept { return backend_; }
  const std::string& backend_name() const noexcept { return backend_.name(); }
  // Slots now (grows under AtCapacity::kGrow), and the most there may be.
  uint32_t capacity() const noexcept { return slots_.allocated(); }
  uint32_t max_capacity() const noexcept { return slots_.max(); }
  // How many loop.after timers may be armed at once (LoopOptions::timers).
  uint32_t timer_capacity() const noexcept { return timer_capacity_; }

  // ---- running ------------------------------------------------------------

  // Runs turns until stop() is called or nothing is left to wait for (no
  // operation in flight, no timer armed, no KeepAlive, nothing posted).
  // Returns the backend's error if its flush or wait failed (the loop cannot
  // go on), else {}. A stop() consumed by run is forgotten: run again later.
  std::error_code run();
  // One turn, blocking for at least one event when nothing was ready. Returns
  // whether work is left. Rethrows the first exception a callback, posted
  // function or spawned task threw during the turn.
  bool run_once();
  // One turn that never blocks.
  bool poll();
  // Thread-safe: makes run() return after the current turn.
  void stop() noexcept;
  // Whether anything is left to wait for.
  bool alive() const;
  // The backend error that stopped the loop, if any.
  std::error_code error() const noexcept { return error_; }

  // Thread-safe: runs `fn` on the loop's thread during its next turn (in
  // posting order), waking the backend if it is blocked. One std::function
  // (and possibly a vector growth) per call.
  void post(std::function<void()> fn);

  // Keeps run() running while held, with nothing else to wait for (a server
  // waiting for post()s from other threads). Loop thread only.
  class KeepAlive {
   public:
    KeepAlive() noexcept = default;
    KeepAlive(KeepAlive&& other) noexcept : loop_(std::exchange(other.loop_, nullptr)) {}
    KeepAlive& operator=(KeepAlive&& other) noexcept {
      std::swap(loop_, other.loop_);
      return *this;
    }
    ~KeepAlive() {
      if (loop_ != nullptr) --loop_->keep_alive_;
    }

   private:
    friend class Loop;
    explicit KeepAlive(Loop* loop) noexcept : loop_(loop) { ++loop_->keep_alive_; }
    Loop* loop_ = nullptr;
  };
  KeepAlive keep_alive() noexcept { return KeepAlive(this); }

  // ---- callbacks ----------------------------------------------------------
  //
  // Each call starts one operation and calls `callback` exactly once, on the
  // loop thread during a later turn (never from inside the call), with the
  // same result co_await would give (ops.h): std::error_code, Expected<T> or
  // BufResult — the owned buffer comes back in every case. Returns the id for
  // cancel(), or an empty OpId when all slots are taken (then nothing started
  // and the callback is destroyed uncalled).
  //
  // A Target is a raw lio_handle (you keep it open) or a resource/Handle (kept
  // open until the operation completed). Offsets: bytes, or
  // LIO_OFFSET_CURRENT for the file position.

  template <class F>
  OpId nop(F&& callback) {
    return start(detail::NopSpec{}, std::forward<F>(callback));
  }
  template <class F>
  OpId read(Target t, Buffer buffer, int64_t offset, F&& callback) {
    return start(detail::ReadOwnedSpec{{std::move(t)}, std::move(buffer), offset}, std::forward<F>(callback));
  }
  template <class F>
  OpId read(Target t, MutableBytes bytes, int64_t offset, F&& callback) {
    return start(detail::ReadSpec{{std::move(t)}, bytes, offset}, std::forward<F>(callback));
  }
  template <class F>
  OpId write(Target t, Buffer buffer, int64_t offset, F&& callback) {
    return start(detail::WriteOwnedSpec{{std::move(t)}, std::move(buffer), offset}, std::forward<F>(callback));
  }
  template <class F>
  OpId write(Target t, ConstBytes bytes, int64_t offset, F&& callback) {
    return start(detail::WriteSpec{{std::move(t)}, bytes, offset}, std::forward<F>(callback));
  }
  template <class F>
  OpId readv(Target t, std::vector<Buffer> buffers, int64_t offset, F&& callback) {
    return start(detail::ReadvOwnedSpec{{std::move(t)}, std::move(buffers), offset}, std::forward<F>(callback));
  }
  template <class F>
  OpId readv(Target t, std::span<const lio_iovec> iov, int64_t offset, F&& callback) {
    return start(detail::ReadvSpec{{std::move(t)}, iov, offset}, std::forward<F>(callback));
  }
  template <class F>
  OpId writev(Target t, std::vector<Buffer> buffers, int64_t offset, F&& callback) {
    return start(detail::WritevOwnedSpec{{std::move(t)}, std::move(buffers), offset}, std::forward<F>(callback));
  }
  template <class F>
  OpId writev(Target t, std::span<const lio_iovec> iov, int64_t offset, F&& callback) {
    return start(detail::WritevSpec{{std::move(t)}, iov, offset}, std::forward<F>(callback));
  }
  template <class F>
  OpId fsync(Target t, bool data_only, F&& callback) {
    return start(detail::FsyncSpec{{std::move(t)}, data_only}, std::forward<F>(callback));
  }
  // Callback gets Expected<File>.
  template <class F>
  OpId openat(Target dir, std::string path, uint32_t flags, uint32_t mode, F&& callback) {
    return start(detail::OpenatSpec{{std::move(dir)}, std::move(path), flags, mode}, std::forward<F>(callback));
  }
  template <class F>
  OpId open(std::string path, uint32_t flags, uint32_t mode, F&& callback) {
    return openat(LIO_AT_FDCWD, std::move(path), flags, mode, std::forward<F>(callback));
  }
  // ---- file system (ABI 1.1): each as its blocking call; callbacks get
  // std::error_code. Directories may be LIO_AT_FDCWD; paths are copied.
  template <class F>
  OpId ftruncate(Target t, int64_t length, F&& callback) {
    return start(detail::FtruncateSpec{{std::move(t)}, length}, std::forward<F>(callback));
  }
  // flags: LIO_LINKAT_FOLLOW.
  template <class F>
  OpId linkat(Target old_dir, std::string old_path, Target new_dir, std::string new_path, uint32_t flags,
              F&& callback) {
    return start(detail::TwoPathSpec{{std::move(old_dir)}, LIO_OP_LINKAT, std::move(old_path), std::move(new_dir),
                                     std::move(new_path), flags},
                 std::forward<F>(callback));
  }
  // A symbolic link at (new_dir, link_path) whose text is `target`.
  template <class F>
  OpId symlinkat(std::string target, Target new_dir, std::string link_path, F&& callback) {
    return start(detail::TwoPathSpec{{LIO_INVALID_HANDLE}, LIO_OP_SYMLINKAT, std::move(target), std::move(new_dir),
                                     std::move(link_path), 0},
                 std::forward<F>(callback));
  }
  // flags: LIO_RENAME_NOREPLACE or LIO_RENAME_EXCHANGE.
  template <class F>
  OpId renameat(Target old_dir, std::string old_path, Target new_dir, std::string new_path, uint32_t flags,
                F&& callback) {
    return start(detail::TwoPathSpec{{std::move(old_dir)}, LIO_OP_RENAMEAT, std::move(old_path), std::move(new_dir),
                                     std::move(new_path), flags},
                 std::forward<F>(callback));
  }
  // flags: LIO_UNLINK_REMOVEDIR (rmdir).
  template <class F>
  OpId unlinkat(Target dir, std::string path, uint32_t flags, F&& callback) {
    return start(detail::PathSpec{{std::move(dir)}, LIO_OP_UNLINKAT, std::move(path), flags},
                 std::forward<F>(callback));
  }
  template <class F>
  OpId mkdirat(Target dir, std::string path, uint32_t mode, F&& callback) {
    return start(detail::PathSpec{{std::move(dir)}, LIO_OP_MKDIRAT, std::move(path), mode}, std::forward<F>(callback));
  }
  // `out` is written before the callback runs; keep it alive until then.
  // flags: LIO_STATX_NOFOLLOW, LIO_STATX_EMPTY_PATH.
  template <class F>
  OpId statx(Target dir, std::string path, lio_statx& out, uint32_t mask, uint32_t flags, F&& callback) {
    return start(detail::StatxSpec{{std::move(dir)}, std::move(path), &out, mask, flags}, std::forward<F>(callback));
  }
  // flags: LIO_FALLOCATE_KEEP_SIZE, LIO_FALLOCATE_PUNCH_HOLE.
  template <class F>
  OpId fallocate(Target t, int64_t offset, int64_t len, uint32_t flags, F&& callback) {
    return start(detail::RangeSpec{{std::move(t)}, LIO_OP_FALLOCATE, offset, len, flags}, std::forward<F>(callback));
  }
  // advice: LIO_FADV_*.
  template <class F>
  OpId fadvise(Target t, int64_t offset, int64_t len, int32_t advice, F&& callback) {
    return start(detail::RangeSpec{{std::move(t)}, LIO_OP_FADVISE, offset, len, static_cast<uint32_t>(advice)},
                 std::forward<F>(callback));
  }
  // Closes a raw handle (resources close themselves).
  template <class F>
  OpId close(lio_handle h, F&& callback) {
    return start(detail::CloseSpec{{}, h}, std::forward<F>(callback));
  }
  // Callback gets Expected<Handle>.
  template <class F>
  OpId socket(int domain, int type, int protocol, F&& callback) {
    return start(detail::SocketSpec{{}, domain, type, protocol}, std::forward<F>(callback));
  }
  // Callback gets Expected<TcpStream>.
  template <class F>
  OpId accept(Target listener, F&& callback) {
    return start(detail::AcceptSpec{{std::move(listener)}}, std::forward<F>(callback));
  }
  template <class F>
  OpId connect(Target t, const SocketAddress& address, F&& callback) {
    return start(detail::ConnectSpec{{std::move(t)}, address}, std::forward<F>(callback));
  }
  // Sends buffer's [0, size()) with DefaultSendFlags(); may send less.
  template <class F>
  OpId send(Target t, Buffer buffer, F&& callback) {
    return start(detail::SendOwnedSpec{{std::move(t)}, std::move(buffer), DefaultSendFlags()},
                 std::forward<F>(callback));
  }
  template <class F>
  OpId send(Target t, ConstBytes bytes, F&& callback) {
    return start(detail::SendSpec{{std::move(t)}, bytes, DefaultSendFlags()}, std::forward<F>(callback));
  }
  template <class F>
  OpId recv(Target t, Buffer buffer, F&& callback) {
    return start(detail::RecvOwnedSpec{{std::move(t)}, std::move(buffer), 0}, std::forward<F>(callback));
  }
  template <class F>
  OpId recv(Target t, MutableBytes bytes, F&& callback) {
    return start(detail::RecvSpec{{std::move(t)}, bytes, 0}, std::forward<F>(callback));
  }
  // Borrowed message: msg, its iovecs, name and control stay alive until the
  // callback.
  template <class F>
  OpId sendmsg(Target t, lio_msghdr* msg, int flags, F&& callback) {
    return start(detail::SendmsgSpec{{std::move(t)}, msg, flags}, std::forward<F>(callback));
  }
  template <class F>
  OpId recvmsg(Target t, lio_msghdr* msg, int flags, F&& callback) {
    return start(detail::RecvmsgSpec{{std::move(t)}, msg, flags}, std::forward<F>(callback));
  }
  // Datagrams with an owned buffer; recv_from's callback gets RecvFromResult.
  template <class F>
  OpId send_to(Target t, Buffer buffer, const SocketAddress& to, F&& callback) {
    return start(detail::SendToSpec{{std::move(t)}, std::move(buffer), to, DefaultSendFlags()},
                 std::forward<F>(callback));
  }
  template <class F>
  OpId recv_from(Target t, Buffer buffer, F&& callback) {
    return start(detail::RecvFromSpec{{std::move(t)}, std::move(buffer), 0}, std::forward<F>(callback));
  }
  // how: 0 read side, 1 write side, 2 both.
  template <class F>
  OpId shutdown(Target t, int how, F&& callback) {
    return start(detail::ShutdownSpec{{std::move(t)}, how}, std::forward<F>(callback));
  }
  // ---- 1.1: sockets, pipes, processes (callbacks get std::error_code,
  // Expected<size_t> for tee/splice, Expected<Pipe>, Expected<ChildStatus>) ----
  template <class F>
  OpId bind(Target t, const SocketAddress& address, F&& callback) {
    return start(detail::BindSpec{{std::move(t)}, address}, std::forward<F>(callback));
  }
  template <class F>
  OpId listen(Target t, int backlog, F&& callback) {
    return start(detail::ListenSpec{{std::move(t)}, backlog}, std::forward<F>(callback));
  }
  // Up to `len` bytes of pipe `in` duplicated into pipe `out` (LIO_SPLICE_* flags).
  template <class F>
  OpId tee(Target in, Target out, uint32_t len, uint32_t flags, F&& callback) {
    return start(detail::SpliceSpec{{std::move(in)}, std::move(out), LIO_OFFSET_CURRENT, LIO_OFFSET_CURRENT, len,
                                    flags, true},
                 std::forward<F>(callback));
  }
  // Up to `len` bytes moved from `in` to `out`, one of them a pipe; offsets
  // LIO_OFFSET_CURRENT for none.
  template <class F>
  OpId splice(Target in, int64_t off_in, Target out, int64_t off_out, uint32_t len, uint32_t flags, F&& callback) {
    return start(detail::SpliceSpec{{std::move(in)}, std::move(out), off_in, off_out, len, flags, false},
                 std::forward<F>(callback));
  }
  template <class F>
  OpId pipe(F&& callback) {
    return start(detail::PipeSpec{}, std::forward<F>(callback));
  }
  // Native P_* idtype, id and W* options (POSIX waitid).
  template <class F>
  OpId waitid(int idtype, int id, int options, F&& callback) {
    return start(detail::WaitidSpec{{}, idtype, id, options}, std::forward<F>(callback));
  }

  // Callback gets Expected<uint32_t>: the ready LIO_POLL_* events.
  template <class F>
  OpId poll(Target t, uint32_t events, F&& callback) {
    return start(detail::PollSpec{{std::move(t)}, events}, std::forward<F>(callback));
  }
  // Any lio_op (the caller keeps what it points to alive); callback gets
  // Expected<int64_t>.
  template <class F>
  OpId submit(const Op& op, F&& callback) {
    return start(detail::RawSpec{{}, op}, std::forward<F>(callback));
  }

  // ---- streams: one operation, several completions (ABI 1.1; streams.h) ----
  //
  // Each holds one slot for its whole life and calls its callback on the
  // loop thread per completion, `more` false on the last call (after which
  // the id is free). cancel(id) ends it: one last call follows (ECANCELED,
  // or a real result that won the race). A backend that does not declare the
  // code answers the one call with operation_not_supported.
  //
  // Multishot accept: on_client(Expected<TcpStream> client, bool more), per
  // client.
  template <class F>
  OpId accept_each(Target listener, F&& on_client);
  // Multishot recv into `group`: on_chunk(Expected<Buffer> chunk, bool
  // more). Each chunk is a leased buffer of the group holding the bytes
  // received (BufferGroup). Ends with an empty Buffer at the peer's orderly
  // shutdown, with no_buffer_space (ENOBUFS) when the group ran dry (the
  // data is still in the socket: release buffers and recv again), or an error.
  template <class F>
  OpId recv_each(Target t, BufferGroup& group, F&& on_chunk);
  // Zero-copy send of buffer's [0, size()): callback(BufResult) once, when
  // the backend no longer reads the buffer (after the notice, where there
  // is one), with the bytes sent and the buffer back.
  template <class F>
  OpId send_zc(Target t, Buffer buffer, F&& callback);

  // A timer in the loop's heap (no backend operation, no system call):
  // `callback` runs once `delay` has passed. Timers fire in deadline order,
  // and timers with the same deadline in the order they were set. A callback
  // taking std::error_code is also called on cancel (operation_canceled); a
  // callback taking nothing is called only when the timer fires. Takes one
  // of the loop's `timers` slots (LoopOptions::timers), not an operation
  // slot; when all are armed, answers an empty OpId and destroys the callback
  // uncalled (stats().timers_in_use == timer_capacity() tells why).
  template <class Rep, class Period, class F>
  OpId after(std::chrono::duration<Rep, Period> delay, F&& callback);

  // Cancels an operation or timer started with a callback: it still
  // completes exactly once (operation_canceled, or its real result if it won
  // the race). no_such_file_or_directory (ENOENT) when `id` is not in flight
  // — it finished, or the id is stale (its slot has been reused since).
  std::error_code cancel(OpId id) noexcept;

  // Starts any spec (ops.h) with a callback; the named calls above use it.
  template <class Spec, class F>
  OpId start(Spec spec, F&& callback);

  // ---- ABI 1.1: links and registered resources (LOOP.md, "Linked operations")

  // A chain of linked operations (chain.h): each starts after the one before
  // completed, a failure cancels the rest. Include lio/runtime/chain.h.
  Chain link() noexcept;
  // Whether the backend offers a LIO_FEATURE_* (links, registered files...).
  bool has_feature(uint64_t feature) const noexcept { return backend_.has_feature(feature); }
  // Replace the backend's registered files / buffers (count 0 drops them):
  // ops with LIO_OPF_FIXED_FILE then name a file by its index, READ_FIXED /
  // WRITE_FIXED a registered buffer. device_or_resource_busy (EBUSY) while
  // an op using the table is in flight; operation_not_supported without the
  // feature. The handles stay open and the memory valid while registered.
  std::error_code register_files(std::span<const lio_handle> handles) noexcept {
    return backend_.register_files(handles);
  }
  std::error_code register_buffers(std::span<const lio_iovec> buffers) noexcept {
    return backend_.register_buffers(buffers);
  }

  // ---- coroutines ---------------------------------------------------------

  // Runs `task` on this loop, detached: it starts now (runs until its first
  // suspension) and its frame is destroyed when it finishes, or when the
  // loop is destroyed. An exception escaping it is rethrown by run().
  template <class T>
  void spawn(Task<T> task);

  // Blocking convenience (scripts, tests, main): runs the loop until
  // `awaitable` (a Task or any lio awaitable) completed and returns its
  // result. Not from inside the loop (a callback or coroutine): co_await
  // there; doing so aborts with a message.
  template <class A>
  typename detail::AwaitResultOf<std::remove_cvref_t<A>>::type block_on(A&& awaitable);

  // ---- introspection ------------------------------------------------------
  struct Stats {
    uint32_t capacity = 0;          // slots now
    uint32_t max_capacity = 0;      // the most slots there may be
    uint32_t reserve = 0;           // free slots only accept and close take
    uint32_t slots_in_use = 0;      // operations
    uint32_t timer_capacity = 0;    // LoopOptions::timers
    uint32_t timers_in_use = 0;     // loop.after timers (armed or cancelling)
    uint32_t in_backend = 0;        // pushed, completion not yet delivered
    uint32_t waiting_for_slot = 0;  // coroutines queued for a slot now
    uint64_t grown = 0;             // chunks of slots added (kGrow)
    uint64_t queued_for_slot = 0;   // operations that had to queue, in all
    uint64_t refused_for_slot = 0;  // failed fast (kFail) or empty OpId (callbacks), in all
    size_t timers = 0;              // armed (loop.after and sleeps)
    uint64_t turns = 0;
    uint64_t completions = 0;        // delivered from the backend
    uint64_t stale_completions = 0;  // ids the store did not know (must stay 0)
    uint32_t handles_open = 0;       // resources owned by this loop
  };
  Stats stats() const;

 private:
  friend class detail::LoopAccess;
  friend class Handle;
  friend class Chain;
  friend void detail::DetachedTaskDone(detail::TaskPromiseBase&, std::coroutine_handle<>) noexcept;

  using Slot = detail::Slot;

  using TimerSlot = detail::TimerSlot;

  // The store. nullptr when there is no slot for it now (the policy says
  // what then: on_no_slot). `reserved`: accept and close, which may take
  // the reserve.
  Slot* try_acquire_slot(bool reserved = false) noexcept {
    if (slots_.free_count() > reserve_ && waiting_ == 0) [[likely]] return take_free_slot(reserved);
    return acquire_slot_slow(reserved);
  }
  Slot* acquire_slot_slow(bool reserved) noexcept;
  Slot* take_free_slot(bool reserved = false) noexcept {  // also for a queued waiter being served
    Slot* s = slots_.pop_free();
    if (s == nullptr) return nullptr;
    s->kind = Slot::Kind::kOp;
    s->holds_data = true;
    s->reserved = reserved;
    reserved_in_use_ += reserved ? 1 : 0;
    ++in_use_;
    return s;
  }
  // Free slots an operation other than accept and close may take: the
  // reserve is kept free, less what accept and close hold of it already.
  uint32_t unreserved_free() const noexcept {
    const uint32_t kept = reserve_ > reserved_in_use_ ? reserve_ - reserved_in_use_ : 0;
    return slots_.free_count() > kept ? slots_.free_count() - kept : 0;
  }
  // An operation found no slot: true to queue it, false to fail it (kFail).
  bool on_no_slot() noexcept;
  // Pushes `op` for slot `s` (its completion comes back through the slot).
  // Inline: it is on every operation's path; the rare rest is out of line.
  OpId start_op(Slot& s, const Op& op) noexcept {
    s.kind = Slot::Kind::kOp;
    const uint64_t id = id_of(s);
    std::error_code ec = backend_.push(id, op);
    if (ec) [[unlikely]] return start_op_slow(s, op, id, ec);
    s.in_backend = true;
    ++backend_in_flight_;
    ++pushed_since_flush_;
    return OpId{id};
  }
  // The push failed: full (flush and retry once), or the op is refused
  // (it completes with the error in the next round).
  OpId start_op_slow(Slot& s, const Op& op, uint64_t id, std::error_code ec) noexcept;
  void complete(Slot& s, int64_t result);
  void complete_rest(Slot& s, int64_t result);  // no callback: a waiter, or abandoned
  void complete_more(Slot& s, int64_t result);  // a stream's completion with MORE: the slot stays
  void release_slot(Slot& s) noexcept {
    s.callback.reset();
    s.waiter = nullptr;
    s.abandon = nullptr;
    s.ready = false;
    s.in_backend = false;
    s.kind = Slot::Kind::kFree;
    if (s.holds_data) clear_data(s);  // may close a resource: that takes another slot or queues
    s.generation += 2;  // odd, so never 0 (an id is never 0), even when it wraps
    reserved_in_use_ -= s.reserved ? 1 : 0;
    s.reserved = false;
    slots_.push_free(s);
    --in_use_;
    if (waiting_ > 0) serve_waiters();
  }
  // Out of line: release_slot is inlined into every callback, and this
  // (which calls out to close handles and free buffers) would make each of
  // them save registers even for an operation that holds nothing.
  [[gnu::noinline]] static void clear_data(Slot& s) noexcept { s.data.clear(); }
  void make_ready(Slot& s, int64_t result) noexcept;
  // The slot an id names while its operation is live; inline: every
  // completion takes it.
  Slot* lookup(uint64_t id) noexcept {
    Slot* s = slots_.find(id & 0xffffffffu);
    const uint32_t generation = static_cast<uint32_t>(id >> 32);
    if (s == nullptr || s->generation != generation || s->kind == Slot::Kind::kFree) [[unlikely]] return nullptr;
    return s;
  }
  uint64_t id_of(const Slot& s) const noexcept { return (static_cast<uint64_t>(s.generation) << 32) | s.index; }
  void enqueue(detail::SlotWaiter* w) noexcept;
  void dequeue(detail::SlotWaiter* w) noexcept;
  void serve_waiters() noexcept;
  void abandon(OpId id) noexcept;  // a coroutine stopped waiting: detach and cancel

  // Handles.
  detail::HandleState* new_handle_state(lio_handle h);
  void handle_released(detail::HandleState* s) noexcept;
  void close_into(Slot& slot, detail::HandleState* s) noexcept;
  void free_handle_state(detail::HandleState* s) noexcept;

  // Timers.
  void arm_timer(detail::TimerNode* node, int64_t deadline_ns);
  void disarm_timer(detail::TimerNode* node) noexcept { timers_.remove(node); }
  // The loop.after store.
  TimerSlot* acquire_timer() noexcept;  // nullptr when all are armed
  void release_timer(TimerSlot& t) noexcept;
  void complete_timer(TimerSlot& t, int64_t result);
  uint64_t timer_id_of(const TimerSlot& t) const noexcept;
  TimerSlot* lookup_timer(uint64_t id) noexcept;
  void run_cancelled_timers();

  // Turns.
  bool turn(bool may_block);
  // Each step checks first whether it has anything to do, here, so an idle
  // step costs a load and a branch rather than a call (twice a turn).
  void run_ready_work() {
    if (post_pending_.load(std::memory_order_acquire)) [[unlikely]] run_posted();
    if (!timers_.empty()) fire_due_timers();
    if (ready_head_ != detail::kNoSlot || cancelled_timer_head_ != detail::kNoSlot) run_ready_slots();
  }
  void run_posted();
  void fire_due_timers();
  void run_ready_slots();
  void flush_backend() noexcept;
  void wait_and_dispatch(int64_t timeout_ns);
  template <class Fn>
  void guarded(Fn&& fn) noexcept;

  uint32_t capacity_;  // slots at creation
  uint32_t timer_capacity_;
  AtCapacity at_capacity_;
  uint32_t reserve_;
  detail::SlotStore slots_;
  uint64_t timer_base_ = 0;  // timer ids: index timer_base_ + i
  std::unique_ptr<TimerSlot[]> timer_slots_;
  uint32_t free_timer_head_ = detail::kNoSlot;
  uint32_t cancelled_timer_head_ = detail::kNoSlot;  // cancelled loop.after timers to call back
  uint32_t cancelled_timer_tail_ = detail::kNoSlot;
  uint32_t timers_in_use_ = 0;
  uint32_t ready_head_ = detail::kNoSlot;
  uint32_t ready_tail_ = detail::kNoSlot;
  uint32_t in_use_ = 0;
  uint32_t reserved_in_use_ = 0;  // slots accept and close hold
  uint32_t backend_in_flight_ = 0;
  uint32_t pushed_since_flush_ = 0;
  uint32_t waiting_ = 0;
  struct WaiterQueue {
    detail::SlotWaiter* head = nullptr;
    detail::SlotWaiter* tail = nullptr;
  };
  WaiterQueue waiters_;           // for any slot but the reserve, FIFO
  WaiterQueue reserved_waiters_;  // accept and close, FIFO, served first
  std::vector<lio_completion> batch_;
  // The backend keeps its wait array through push (LIO_FEATURE_STABLE_COMPLETIONS):
  // completions are dispatched from it, and batch_ stays empty.
  bool stable_completions_ = false;
  detail::DeadlineHeap timers_;

  std::vector<std::unique_ptr<detail::HandleState[]>> handle_chunks_;
  detail::HandleState* free_handles_ = nullptr;
  uint32_t handles_open_ = 0;

  detail::SpawnNode spawned_;  // sentinel of a circular list
  std::exception_ptr pending_exception_;
  std::error_code error_;
  uint32_t keep_alive_ = 0;
  bool in_turn_ = false;
  uint64_t progress_ = 0;
  Stats stats_;
  std::thread::id thread_;

  mutable std::mutex post_mutex_;
  std::vector<std::function<void()>> posted_;
  std::vector<std::function<void()>> running_posted_;
  // !posted_.empty(), changed only under post_mutex_ (so it can be read
  // without it: a turn with nothing posted takes no lock). The post() that
  // sets it wakes the backend, after setting it.
  std::atomic<bool> post_pending_{false};
  std::atomic<bool> stop_requested_{false};

  Backend backend_;  // last: destroyed first, before the slots it may write
};

// ---- implementation of the templates ----------------------------------------

namespace detail {

// What awaiting an A gives.
template <class A>
struct AwaitResultOf {
  using type = decltype(std::declval<A&>().await_resume());
};
template <class T>
struct AwaitResultOf<Task<T>> {
  using type = T;
};

// The internals awaitables (io.h, timeout.h) use.
class LoopAccess {
 public:
  static Slot* TryAcquire(Loop& loop, bool reserved) noexcept { return loop.try_acquire_slot(reserved); }
  static bool OnNoSlot(Loop& loop) noexcept { return loop.on_no_slot(); }
  static Slot* TakeFree(Loop& loop, bool reserved) noexcept { return loop.take_free_slot(reserved); }
  static OpId Start(Loop& loop, Slot& s, const Op& op) noexcept { return loop.start_op(s, op); }
  static void Enqueue(Loop& loop, SlotWaiter* w) noexcept { loop.enqueue(w); }
  static void Dequeue(Loop& loop, SlotWaiter* w) noexcept { loop.dequeue(w); }
  static void Cancel(Loop& loop, OpId id) noexcept { (void)loop.cancel(id); }
  static void Abandon(Loop& loop, OpId id) noexcept { loop.abandon(id); }
  static void ArmTimer(Loop& loop, TimerNode* node, int64_t deadline_ns) { loop.arm_timer(node, deadline_ns); }
  static void DisarmTimer(Loop& loop, TimerNode* node) noexcept { loop.disarm_timer(node); }
  static int64_t Now() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

template <class R, class A>
Task<R> DriveAwaitable(A awaitable) {
  if constexpr (std::is_void_v<R>) {
    co_await std::move(awaitable);
  } else {
    co_return co_await std::move(awaitable);
  }
}

}  // namespace detail

template <class Spec, class F>
OpId Loop::start(Spec spec, F&& callback) {
  using Result = typename Spec::Result;
  using D = std::decay_t<F>;
  static_assert(std::is_invocable_v<D&, Result>,
                "the callback must be callable with this operation's result type (see ops.h)");
  Slot* s = try_acquire_slot(detail::UsesReserve<Spec>());
  if (s == nullptr) {
    ++stats_.refused_for_slot;
    return {};
  }
  // Called through InlineFunction::consume: the closure has left the slot by
  // then, so the slot can be released (and reused by `cb`) before `cb` runs.
  s->callback.emplace([cb = D(std::forward<F>(callback))](Loop& loop, Slot& slot, int64_t r) mutable {
    Result result = Spec::finish(loop, slot.data, r);
    loop.release_slot(slot);
    cb(std::move(result));
  });
  s->abandon = Spec::kAbandon;
  if constexpr (detail::HoldsNothing<Spec>()) s->holds_data = false;
  Op op = spec.prepare(s->data);
  return start_op(*s, op);
}

template <class Rep, class Period, class F>
OpId Loop::after(std::chrono::duration<Rep, Period> delay, F&& callback) {
  using D = std::decay_t<F>;
  static_assert(std::is_invocable_v<D&, std::error_code> || std::is_invocable_v<D&>,
                "a timer callback takes std::error_code or nothing");
  TimerSlot* t = acquire_timer();
  if (t == nullptr) return {};
  t->callback.emplace([cb = D(std::forward<F>(callback))](Loop& loop, TimerSlot& slot, int64_t r) mutable {
    loop.release_timer(slot);
    std::error_code ec = r == -LIO_ETIME ? std::error_code{} : make_error(r);
    if constexpr (std::is_invocable_v<D&, std::error_code>) {
      cb(ec);
    } else {
      if (!ec) cb();
    }
  });
  int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(delay).count();
  arm_timer(&t->node, detail::LoopAccess::Now() + (ns > 0 ? ns : 0));
  return OpId{timer_id_of(*t)};
}

template <class T>
void Loop::spawn(Task<T> task) {
  auto h = task.release();
  if (!h) return;
  auto& p = h.promise();
  p.loop = this;
  p.detached = true;
  p.spawn_node.handle = h;
  p.spawn_node.prev = spawned_.prev;
  p.spawn_node.next = &spawned_;
  spawned_.prev->next = &p.spawn_node;
  spawned_.prev = &p.spawn_node;
  h.resume();
}

template <class A>
typename detail::AwaitResultOf<std::remove_cvref_t<A>>::type Loop::block_on(A&& awaitable) {
  using D = std::remove_cvref_t<A>;
  using R = typename detail::AwaitResultOf<D>::type;
  if (in_turn_) detail::Fatal("Loop::block_on (or .wait()) called from inside the loop; co_await instead");
  Task<R> task;
  if constexpr (std::is_same_v<D, Task<R>>) {
    task = std::move(awaitable);
  } else {
    task = detail::DriveAwaitable<R, D>(std::forward<A>(awaitable));
  }
  auto h = task.handle();
  if (h.promise().loop == nullptr) h.promise().loop = this;
  KeepAlive hold = keep_alive();  // wait for posts/wakes even with nothing in flight
  {
    detail::CurrentLoopScope scope(this);
    if (!h.done()) h.resume();
  }
  while (!h.done() && !error_) turn(true);
  if (!h.done()) detail::Fatal("Loop::block_on: the backend failed; the awaited operation cannot finish");
  return h.promise().take();
}

template <class T>
T Task<T>::wait() && {
  Loop* loop = h_ && h_.promise().loop != nullptr ? h_.promise().loop : detail::CurrentLoop();
  if (loop == nullptr) detail::Fatal("Task::wait: no loop on this thread (create a lio::Loop first)");
  return loop->block_on(std::move(*this));
}

}  // namespace lio

#include "lio/runtime/streams.h"  // the stream templates (accept_each, recv_each, send_zc)

#endif  // LIO_RUNTIME_LOOP_H_
