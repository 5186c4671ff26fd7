// The `poller` backend: lio's completion contract on readiness (epoll on
// Linux, kqueue on macOS/BSD), for where io_uring is missing or disabled.
//
// (Over 500 lines: the op state machine below — queued, readiness, timer,
// worker, completed — and the handle records it moves ops between are read
// as one piece; what each op's system calls are lives in op_calls.cc, the
// readiness mechanism in reactor_*.cc, the threads in the kit's
// worker_pool.cc.)
//
// Every op is in one stage at a time (Stage below):
//   kQueued     pushed, waiting for flush (the submission list);
//   kReadiness  socket and other pollable ops that would block: on its
//               handle's wait queue — one FIFO of readers, one of writers —
//               until the reactor says the handle is ready;
//   kTimer      TIMEOUT, in the timer heap;
//   kWorker     regular-file ops, fsync, the 1.1 file-system ops, and the
//               openat and close that could block, on the worker pool;
//   kCompleted  result known, on the completed list until wait returns it.
//
// push: copies the op into its pre-allocated slot and links it on the
// submission list. No system call, no allocation.
//
// flush: starts each queued op. There is no single system call that hands a
// batch to epoll, so the honest count per op is:
//   nop, timeout        0
//   socket, shutdown    1 (the call itself)
//   send/recv/sendmsg/
//   recvmsg/poll        1 (the MSG_DONTWAIT / zero-timeout call); if it would
//                       block, + 1 epoll_ctl the first time the handle waits
//                       (or waits for a new direction): registrations stay
//                       (edge-triggered), so a connection's later waits cost
//                       none — unless one lasts 10 ms, see "Handle records".
//                       0 for a plain recv on a stream socket whose last
//                       recv came back short with no report since: it
//                       would only hear EAGAIN, so it waits at once
//   read/write/readv/
//   writev at the file
//   position            + 1 fstat, to tell sockets, pipes and files apart
//   accept, connect,
//   read/write on pipes 3 more (F_GETFL, F_SETFL, F_SETFL) when the handle is
//                       in blocking mode: see op_calls.h
//   read/readv at an
//   offset              1: unless O_DIRECT, preadv2(RWF_NOWAIT): served
//                       from the page cache on this thread when all of it is
//                       cached; else a worker. + 1 fcntl(F_GETFL) for the
//                       O_DIRECT check at most once per ms per handle
//                       (status_flags_cache.h)
//   openat              3 (Linux 5.12+): openat2(RESOLVE_CACHED|O_NONBLOCK),
//                       fstat, fcntl(F_SETFL) — when the path is in the dentry
//                       cache, names a regular file or directory, and neither
//                       O_CREAT nor O_TRUNC is asked; else a worker. 1 with
//                       O_DIRECTORY: openat2(RESOLVE_CACHED) alone
//   close               2: fstat and the close (a socket: + getsockopt
//                       SO_LINGER) for pipes, non-lingering sockets, files on
//                       local filesystems; else a worker (op_calls.h)
//   file ops, fsync,    0 on this thread: a mutex and, if a worker sleeps, a
//   1.1 file-system     futex wake (positional writes go here directly)
//   ops (fs_calls.h)
//   bind, listen, pipe  1 (the call itself)
//   tee, splice         2 fstat (a file end goes to a worker), the splice
//                       (+ 3 fcntl per socket end in blocking mode), and on
//                       EAGAIN a poll(2) to tell which end to wait on
//   waitid              1 waitid(WNOHANG); if it must wait, + pidfd_open
//                       for P_PID and the registration; P_ALL, P_PGID and
//                       stop/continue events go to a worker
// An op behind others on the same handle and direction is not tried: it
// waits its turn, so ops on one handle are served in push order.
//
// wait: flushes, then loops — reap the worker pool's done list, expire due
// timers, stop when there is a completion or a wake — blocking in the reactor
// until the nearest of: the caller's timeout, the nearest timer, a ready
// handle, the eventfd (workers and wake write it). A ready handle has its
// queues served front to back until an op would block again (so the next
// change of the handle is reported again). A wait that has completions at
// once still looks at ready handles without blocking, unless the wait before
// it ran the reactor: at least every other wait looks, so immediate
// completions cannot starve readiness ops. Completions are copied to a
// pre-allocated array of `capacity` entries.
//
// Handle records: a handle ops waited on keeps its record, and its epoll
// registration, when the ops are gone (up to `capacity` records, the least
// recently idle one dropped first), so a connection is registered once. While
// a handle is idle the caller may close it and get its number again for
// another file, which epoll does not follow (the old registration went with
// the old file, or lives on with it in a dup). So a record that was idle is
// *unconfirmed*: ops may wait on it without a system call, and if they are
// still waiting 10 ms later (kConfirmAfterNs) the handle is watched again,
// which confirms it or registers the new file and reports it if it is ready.
// A number closed and reused behind the backend's back thus costs its first
// wait up to 10 ms, never a lost op; one closed by a CLOSE op, or made anew by
// an ACCEPT, SOCKET or OPENAT op, has its record dropped and costs nothing.
//
// cancel: a queued, waiting or timer op completes at once with -ECANCELED (a
// write or MSG_WAITALL read that already moved bytes reports the bytes, as an
// interrupted blocking call does); a worker op not yet started is dropped and
// completes at once with -ECANCELED; one already running completes with its
// real result. Exactly once either way.
//
// destroy: stops the pool (each worker finishes its current op; nothing
// queued is started), closes handles created by ops whose completions will
// never be delivered (nobody could learn their numbers), and closes the
// reactor. Nothing touches a caller's buffer after it returns.
//
// Rules particular to this backend:
//  - Handle modes: a handle in blocking mode is never left non-blocking, but
//    accept, connect and reads/writes on pipes and ttys set O_NONBLOCK for
//    the length of one call (op_calls.h). Make a handle shared with other
//    threads or processes non-blocking yourself; the poller then never
//    touches its flags.
//  - Readiness is keyed by descriptor number. A CLOSE pushed here ends the
//    ops waiting on that handle (-ECANCELED) before the descriptor goes; a
//    handle closed behind the backend's back with ops still waiting on it
//    must have them cancelled first, as its number may be reused at once.
//  - A worker op that is already running cannot be interrupted: an openat
//    of a FIFO with no peer holds its worker (and destroy) until one comes,
//    as the blocking call would hold its thread.
//
// 1.1 links and registered resources, emulated (the "Links" section below):
//  - A chain's ops are handed over at flush, but only its first starts; the
//    next waits (Stage::kHeld) until the one before completes, then starts
//    from wait (kReleased), or completes with -ECANCELED when that one failed
//    ([link.fail_forward], the rule in plugins/common/emulated_links.h). A
//    LINK_TIMEOUT is a timer started with the op it guards; when it fires,
//    that op is cancelled as cancel() would. A held op cancelled completes at
//    once, and the rest of its chain fails forward.
//  - LIO_OPF_FIXED_FILE: the index is turned into the registered handle at
//    push; READ_FIXED / WRITE_FIXED are READ / WRITE once the range is checked.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <new>
#include <string_view>
#include <utility>
#include <vector>

#include <unistd.h>

#include "lio/core/plugin_abi.h"
#include "lio/plugins/common/backend_kit.h"
#include "lio/plugins/common/clock.h"
#include "lio/plugins/common/fs_calls.h"
#include "lio/plugins/common/emulated_links.h"
#include "lio/plugins/common/op_table.h"
#include "lio/plugins/common/options.h"
#include "lio/plugins/common/timer_heap.h"
#include "lio/plugins/common/worker_pool.h"
#include "lio/plugins/poller/buffer_groups.h"
#include "lio/plugins/poller/op_calls.h"
#include "lio/plugins/poller/reactor.h"
#include "lio/plugins/poller/status_flags_cache.h"

namespace lio::poller {
namespace {

constexpr uint32_t kNone = UINT32_MAX;
constexpr uint32_t kDefaultWorkers = 4;
constexpr uint32_t kMaxWorkers = 256;
constexpr uint32_t kMaxCapacity = 1u << 24;
// The 1.1 file-system ops (fs_calls.h) on the worker pool: they may block on
// the disk, and no readiness tells when they would not.
#if defined(__linux__)
constexpr uint64_t kNetOps = LIO_CAP(LIO_OP_BIND) | LIO_CAP(LIO_OP_LISTEN) | LIO_CAP(LIO_OP_TEE) |
                             LIO_CAP(LIO_OP_SPLICE) | LIO_CAP(LIO_OP_PIPE) | LIO_CAP(LIO_OP_WAITID);
#else  // tee, splice, pipe2 and pidfds are Linux's
constexpr uint64_t kNetOps = LIO_CAP(LIO_OP_BIND) | LIO_CAP(LIO_OP_LISTEN);
#endif
// 1.1 multishot and zero-copy send, emulated: rounds of non-blocking calls
// on a standing readiness registration; SEND_ZC is a copying send.
constexpr uint64_t kMultishotOps = LIO_CAP(LIO_OP_ACCEPT_MULTI) | LIO_CAP(LIO_OP_RECV_MULTI) | LIO_CAP(LIO_OP_SEND_ZC);
// 1.1 links and registered resources, emulated: the backend runs a chain in
// order and maps an index to a plain handle or a range check.
constexpr uint64_t kLinkAndFixedOps =
    LIO_CAP(LIO_OP_LINK_TIMEOUT) | LIO_CAP(LIO_OP_READ_FIXED) | LIO_CAP(LIO_OP_WRITE_FIXED);
constexpr uint64_t kCapabilities = LIO_CAP_OPS_1_0 | plugin::kFsCallCodes | kNetOps | kMultishotOps | kLinkAndFixedOps;
constexpr uint64_t kFeatures =
    LIO_FEATURE_BUFFER_GROUPS | LIO_FEATURE_LINK | LIO_FEATURE_FIXED_FILES | LIO_FEATURE_FIXED_BUFFERS |
    LIO_FEATURE_STABLE_COMPLETIONS;
// "Native" here: the OS's readiness mechanism does the waiting and the call
// itself never blocks a thread of the backend. Everything else — inline calls
// (socket, bind, listen, pipe), timers, and what runs on the worker pool
// (files, and waitid for P_ALL/P_PGID or stop/continue events) — is emulated.
constexpr uint64_t kNativeOps = (LIO_CAP(LIO_OP_ACCEPT) | LIO_CAP(LIO_OP_CONNECT) | LIO_CAP(LIO_OP_SEND) |
                                 LIO_CAP(LIO_OP_RECV) | LIO_CAP(LIO_OP_SENDMSG) | LIO_CAP(LIO_OP_RECVMSG) |
                                 LIO_CAP(LIO_OP_POLL) | LIO_CAP(LIO_OP_TEE) | LIO_CAP(LIO_OP_SPLICE) |
                                 LIO_CAP(LIO_OP_WAITID)) &
                                kCapabilities;
constexpr uint32_t kMaxReadyPerWait = 1024;
// How long ops may wait on an unconfirmed registration (see HandleWaiters)
// before it is checked with a system call. Waits shorter than this — a
// connection's next message — cost none; a number reused behind the
// backend's back is found out by then at the latest. Not shorter: every
// wait of a connection on an unconfirmed handle is bounded by it, and with
// 1 ms a ping-pong server on a busy machine paid checks (a wake-up and an
// epoll_ctl) on the round trips that took longer, and a deadline sooner
// than the scheduler tick on every block — tcp_echo poller 1 conn: 1.39x
// raw epoll's server CPU per round trip and 0.54x its rate (load 3.8),
// against 0.93x and 1.06x with 10 ms.
constexpr int64_t kConfirmAfterNs = 10'000'000;

using plugin::saturating_add;
constexpr auto now_ns = plugin::monotonic_ns;

// kHeld: handed over but waiting in a chain for the op before it; kReleased:
// that op succeeded, it starts at the next wait (on released_).
enum class Stage : uint8_t { kQueued, kReadiness, kTimer, kWorker, kCompleted, kHeld, kReleased };

// Slot::extras bits: what a 1.1 op needs beyond its stage (0 for a plain op).
constexpr uint8_t kInChain = 0x1;      // has a chain or link-timeout neighbour
constexpr uint8_t kUsesFiles = 0x2;    // holds the registered files busy
constexpr uint8_t kUsesBuffers = 0x4;  // holds the registered buffers busy
constexpr uint8_t kFailAtStart = 0x8;  // completes with `result` when started (a bad fixed index)

// 1.1 ops served in rounds that may post several completions (multishot.cc's
// part of the state machine: see "Multi-completion ops" below).
enum class Stream : uint8_t { kNone, kAcceptMulti, kRecvMulti, kRecvSelect };

struct Links {
  uint32_t prev = kNone;
  uint32_t next = kNone;
};

// A FIFO of slots linked through one of their Links (also used for handle
// records, linked through their prev/next).
struct SlotList {
  uint32_t head = kNone;
  uint32_t tail = kNone;
  bool empty() const { return head == kNone; }
};

struct Slot {
  lio_op op{};
  Stage stage = Stage::kQueued;
  bool in_reads = false;   // on its handle's reader queue
  bool in_writes = false;  // on its handle's writer queue (a poll for IN|OUT is on both)
  int queued_fd = -1;          // kReadiness: the handle it waits on
  uint32_t queued_events = 0;  // kReadiness: the events it was queued for
  int64_t result = 0;
  Stream stream = Stream::kNone;
  bool group_counted = false;  // counted in its buffer group's ops in flight
  uint32_t flags = 0;          // the final completion's LIO_COMPLETION_* flags
  Progress progress;
  Links list;    // the submission list, the completed list or released_
  Links reads;   // its handle's readers
  Links writes;  // its handle's writers
  // 1.1 (the Links section): chain neighbours and link timeout, by slot.
  uint8_t extras = 0;
  bool held = false;  // waits in a chain for chain_prev
  uint32_t chain_prev = kNone;
  uint32_t chain_next = kNone;
  uint32_t link_timeout = kNone;  // its LINK_TIMEOUT
  uint32_t guarded = kNone;       // a LINK_TIMEOUT: the op it is the deadline of
};

// One handle the reactor watches: the ops waiting on it, and what is known
// of its registration. Kept while the handle is idle (no op waits), so a
// connection that waits again and again is registered once.
struct HandleWaiters {
  SlotList reads;
  SlotList writes;
  uint32_t wanting_in = 0;   // ops in `reads` that wait for LIO_POLL_IN
  uint32_t wanting_out = 0;  // ops in `writes` that wait for LIO_POLL_OUT
  // Ops other than polls in `reads` / `writes`: a new op of that direction
  // queues behind them untried. Polls consume nothing and hold no one up (a
  // poll for no events waits with the readers but says nothing of data).
  uint32_t consuming_reads = 0;
  uint32_t consuming_writes = 0;
  // The last plain recv on this stream socket came back short — the kernel
  // had no more — and no readiness was reported since: a new recv would only
  // hear EAGAIN, so it waits at once (the registration, edge-triggered,
  // reports the next data). Saves a ping-pong connection one call per message.
  bool drained = false;
  int8_t stream = -1;  // SO_TYPE is SOCK_STREAM: 1, or 0; -1 not asked yet
  uint32_t watched = 0;      // events the registration reports, while `registered`
  bool registered = false;   // believed registered with the reactor
  // The registration is this file's: watched (or checked) since ops last
  // started waiting. While idle the caller may close the fd and reuse the
  // number, so an idle handle becomes unconfirmed.
  bool confirmed = false;
  enum class On : uint8_t { kNoList, kIdle, kChecks } on = On::kNoList;
  int64_t since = 0;  // kIdle: idle since; kChecks: waiting unconfirmed since
  uint32_t prev = kNone, next = kNone;  // links in idle_ or checks_
  bool idle() const { return reads.empty() && writes.empty(); }
};

struct Config {
  uint32_t capacity = 0;
  uint32_t workers = kDefaultWorkers;
};

// The options of a config the kit has read (boundary.h); -LIO_EINVAL for a
// capacity past kMaxCapacity or an unknown key.
int parse_config(const lio_backend_config& config, Config* out) {
  if (config.capacity > kMaxCapacity) return -LIO_EINVAL;
  out->capacity = config.capacity;
  bool ok = plugin::for_each_option(config.options, [&](std::string_view key, std::string_view value) {
    uint64_t workers;
    if (key != "workers" || !plugin::parse_uint(value, 1, kMaxWorkers, &workers)) return false;
    out->workers = static_cast<uint32_t>(workers);
    return true;
  });
  return ok ? 0 : -LIO_EINVAL;
}

class Poller {
 public:
  Poller() = default;
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  ~Poller() {
    pool_.stop();
    reap_workers();
    close_undelivered_handles();
    close_owned_pidfds();
    reactor_.reset();
  }

  int init(const Config& config) {
    try {
      slots_.init(config.capacity);
      handles_.init(config.capacity);
      timers_.init(config.capacity);
      // Each final completion (two for SEND_ZC: result and notice), and up
      // to `capacity` MORE completions of multishot ops posted before it.
      completions_.resize(static_cast<size_t>(config.capacity) * 3);
      more_.resize(config.capacity);
      relook_.reserve(config.capacity);
      ready_.resize(std::min(config.capacity, kMaxReadyPerWait));
    } catch (const std::bad_alloc&) {
      return -LIO_ENOMEM;
    }
    if (int error = Reactor::Create(static_cast<uint32_t>(ready_.size()), &reactor_); error != 0) return error;
    return pool_.start(config.capacity, config.workers, &run_job, &notify_reactor, this);
  }

  static int probe(char* why, size_t why_size) noexcept { return Reactor::Probe(why, why_size); }

  static int create(const lio_backend_config& config, std::unique_ptr<Poller>* out) {
    Config parsed;
    if (int error = parse_config(config, &parsed); error != 0) return error;
    auto poller = std::make_unique<Poller>();
    if (int error = poller->init(parsed); error != 0) return error;
    *out = std::move(poller);
    return 0;
  }

  uint64_t capabilities() const noexcept { return kCapabilities; }
  static uint64_t native_ops() noexcept { return kNativeOps; }
  // [wait.array_survives_push]: completions_ is written only by deliver(),
  // which only wait calls; push, flush and cancel complete into completed_.
  uint64_t features() const noexcept { return kFeatures; }
  int add_buffer_group(uint32_t group, void* base, uint32_t count, uint32_t size) noexcept {
    return groups_.add(group, base, count, size);
  }
  int return_buffer(uint32_t group, uint32_t buffer_id) noexcept { return groups_.give_back(group, buffer_id); }
  int remove_buffer_group(uint32_t group) noexcept { return groups_.remove(group); }
  int register_files(const lio_handle* handles, uint32_t count) noexcept {
    return tables_.register_files(handles, count);
  }
  int register_buffers(const lio_iovec* buffers, uint32_t count) noexcept {
    return tables_.register_buffers(buffers, count);
  }

  int push(uint64_t id, const lio_op& op) noexcept {
    uint32_t s = slots_.insert(id);
    if (s == slots_.kNone) return slots_.full() ? -LIO_EAGAIN : -LIO_EEXIST;
    Slot& slot = slots_[s];
    slot.op = op;
    slot.stage = Stage::kQueued;
    if (op.code >= LIO_OP_COUNT_1_0 || op.flags != 0) [[unlikely]] note_stream(slot);
    if ((op.flags & LIO_OPF_GENERIC) != 0 || open_tail_ != kNone || is_link_or_fixed_code(op.code)) [[unlikely]] {
      prepare_extras(s);
    }
    push_back<&Slot::list>(queued_, s);
    return 0;
  }

  int flush() noexcept {
    int started = 0;
    handed_early_ = 0;
    open_tail_ = kNone;  // [link.flush_ends]
    while (!queued_.empty()) {
      uint32_t s = queued_.head;
      unlink<&Slot::list>(queued_, s);
      begin(s);
      ++started;
    }
    // Chain members ended while their chain was being handed over were handed over too.
    return started + handed_early_;
  }

  int wait(int64_t timeout_ns, const lio_completion** out) noexcept {
    const bool looked_last_wait = std::exchange(looked_this_wait_, false);
    flush();
    if (!relook_.empty()) [[unlikely]] look_again_at_throttled();
    const int64_t give_up_at = timeout_ns > 0 ? saturating_add(now_ns(), timeout_ns) : 0;
    for (;;) {
      reap_workers();
      expire_timers();
      check_unconfirmed();
      if (!released_.empty()) [[unlikely]] start_released();
      if (wake_requested_.exchange(false, std::memory_order_acq_rel)) break;
      if (!completed_.empty() || more_count_ > 0 || timeout_ns == 0) {
        // Look at ready handles even so, unless the wait before this one
        // did: a steady flow of immediate completions must not starve ops
        // waiting for readiness, and every other wait looking is enough for
        // that. (A server's wait that only collects the sends it just
        // flushed thus leaves the look to the next wait, which blocks in the
        // reactor anyway: one epoll_wait per turn, not two.)
        if (timeout_ns == 0 || !looked_last_wait) {
          if (int error = poll_handles(0); error != 0) return error;
        }
        break;
      }
      const int64_t now = now_ns();
      if (timeout_ns > 0 && now >= give_up_at) break;
      if (int error = block_in_reactor(timeout_ns < 0 ? -1 : give_up_at - now, now); error != 0) return error;
    }
    return deliver(out);
  }

  int cancel(uint64_t id) noexcept {
    uint32_t s = slots_.find(id);
    if (s == slots_.kNone) return -LIO_ENOENT;
    cancel_slot(s);
    return 0;
  }

  int wake() noexcept {
    wake_requested_.store(true, std::memory_order_release);
    return reactor_->notify();
  }

 private:
  void cancel_slot(uint32_t s) {
    Slot& slot = slots_[s];
    switch (slot.stage) {
      case Stage::kQueued:
        unlink<&Slot::list>(queued_, s);
        complete(s, -LIO_ECANCELED);
        break;
      case Stage::kReadiness:
        cancel_waiting(s);
        break;
      case Stage::kTimer:
        timers_.erase(s);
        complete(s, -LIO_ECANCELED);
        break;
      case Stage::kWorker:
        if (pool_.cancel(s) == plugin::WorkerPool::CancelOutcome::kRemoved) {
          --worker_jobs_;
          complete(s, -LIO_ECANCELED);
        }
        break;
      case Stage::kCompleted:  // its result won the race; it is delivered as is
        break;
      case Stage::kHeld:  // never started: ends now, and the rest of its chain with it
        complete(s, -LIO_ECANCELED);
        break;
      case Stage::kReleased:
        unlink<&Slot::list>(released_, s);
        complete(s, -LIO_ECANCELED);
        break;
    }
  }

  // --- intrusive lists over slots -------------------------------------------

  template <Links Slot::*kLinks>
  void push_back(SlotList& list, uint32_t s) {
    Links& links = slots_[s].*kLinks;
    links.prev = list.tail;
    links.next = kNone;
    if (list.tail != kNone) {
      (slots_[list.tail].*kLinks).next = s;
    } else {
      list.head = s;
    }
    list.tail = s;
  }

  template <Links Slot::*kLinks>
  void unlink(SlotList& list, uint32_t s) {
    Links& links = slots_[s].*kLinks;
    if (links.prev != kNone) {
      (slots_[links.prev].*kLinks).next = links.next;
    } else {
      list.head = links.next;
    }
    if (links.next != kNone) {
      (slots_[links.next].*kLinks).prev = links.prev;
    } else {
      list.tail = links.prev;
    }
    links = Links{};
  }

  // --- starting ops -----------------------------------------------------------

  void start(uint32_t s) {
    const lio_op& op = slots_[s].op;
    switch (op.code) {
      case LIO_OP_NOP:
      case LIO_OP_SOCKET:
      case LIO_OP_SHUTDOWN:
        complete(s, run_inline(op));
        return;
      case LIO_OP_TIMEOUT:
        start_timer(s);
        return;
      case LIO_OP_LINK_TIMEOUT:  // [link.timeout]: only right after a linked op
        if (slots_[s].guarded == kNone) return complete(s, -LIO_EINVAL);
        start_timer(s);
        return;
      case LIO_OP_FSYNC:
      case LIO_OP_FTRUNCATE:
      case LIO_OP_LINKAT:
      case LIO_OP_SYMLINKAT:
      case LIO_OP_RENAMEAT:
      case LIO_OP_UNLINKAT:
      case LIO_OP_MKDIRAT:
      case LIO_OP_STATX:
      case LIO_OP_FALLOCATE:
      case LIO_OP_FADVISE:
        to_worker(s);
        return;
      case LIO_OP_OPENAT:
        return inline_or_worker(s, open_if_cached(op));
      case LIO_OP_CLOSE:
        // Readiness is keyed by descriptor number; once closed, the number
        // may name another file, so the ops waiting on it end here.
        end_all_waiters(plugin::to_fd(op.handle), 0);
        status_flags_.forget(plugin::to_fd(op.handle));
        return inline_or_worker(s, close_if_quick(op));
      case LIO_OP_READ:
      case LIO_OP_WRITE:
      case LIO_OP_READV:
      case LIO_OP_WRITEV:
        start_transfer(s);
        return;
      case LIO_OP_BIND:
      case LIO_OP_LISTEN:
      case LIO_OP_PIPE:
        complete(s, run_inline(op));
        return;
      case LIO_OP_TEE:
      case LIO_OP_SPLICE:
        start_splice(s);
        return;
      case LIO_OP_WAITID:
        start_waitid_op(s);
        return;
      default:
        start_waiting(s);
        return;
    }
  }

  // tee/splice: tried at once; if it would block, it waits on the end that
  // held it up (op_calls.h). A regular-file end goes to a worker. (Not
  // ordered behind other ops waiting on the same pipe end.)
  void start_splice(uint32_t s) {
    Slot& slot = slots_[s];
    if (splice_ends(slot.op, &slot.progress.nonblock_ends) < 0) return to_worker(s);
    const int64_t result = attempt(slot.op, slot.progress);
    if (result != kWouldBlock) return complete(s, result);
    enqueue(s, slot.progress.wait_fd);
  }

  // waitid: inline (WNOHANG), by pidfd readiness, or on a worker.
  void start_waitid_op(uint32_t s) {
    Slot& slot = slots_[s];
    if (waitid_route(slot.op) == WaitidRoute::kWorker) return to_worker(s);
    const int64_t result = start_waitid(slot.op, slot.progress);
    if (result == kWorkerInstead) return to_worker(s);
    if (result != kWouldBlock) return complete(s, result);
    // A pidfd of ours is a new handle: a record idle under its number is stale.
    if (slot.progress.owned_fd >= 0) new_handle_made(slot.progress.owned_fd);
    enqueue(s, slot.progress.wait_fd);
  }

  // The events an op waits for: its own (tee/splice/waitid) or its code's.
  static uint32_t wants(const Slot& slot) {
    return slot.progress.wait_events != 0 ? slot.progress.wait_events : wanted_events(slot.op);
  }

  // read/write/readv/writev: at an offset or on a file, a worker does it;
  // on a socket or other pollable handle, readiness does.
  void start_transfer(uint32_t s) {
    Slot& slot = slots_[s];
    const lio_op& op = slot.op;
    bool vectored = op.code == LIO_OP_READV || op.code == LIO_OP_WRITEV;
    int64_t offset = vectored ? op.u.rwv.offset : op.u.rw.offset;
    if (offset != LIO_OFFSET_CURRENT) {
      // A read the page cache can answer needs no worker (no hand-off, no
      // context switch); a miss costs one failed preadv2 before it goes.
      const int64_t cached = read_if_cached(op, status_flags_);
      if (cached != kWouldBlock) return complete(s, cached);
      return to_worker(s);
    }
    int fd = plugin::to_fd(op.handle);
    if (fd < 0) return complete(s, -LIO_EBADF);
    if (int error = classify_handle(fd, &slot.progress.kind); error != 0) return complete(s, error);
    if (slot.progress.kind == HandleKind::kFile) return to_worker(s);
    start_waiting(s);
  }

  void start_timer(uint32_t s) {
    const lio_op& op = slots_[s].op;
    const int64_t now = now_ns();
    // A negative duration or a deadline in the past expires at once.
    int64_t deadline = (op.flags & LIO_TIMEOUT_ABSOLUTE) ? op.u.timeout.ns
                                                         : saturating_add(now, std::max<int64_t>(op.u.timeout.ns, 0));
    if (deadline <= now) return complete(s, -LIO_ETIME);
    slots_[s].stage = Stage::kTimer;
    timers_.push(s, deadline);
  }

  // The result of an inline try, or kWouldBlock: the op goes to a worker.
  void inline_or_worker(uint32_t s, int64_t result) {
    if (result != kWouldBlock) return complete(s, result);
    to_worker(s);
  }

  void to_worker(uint32_t s) {
    slots_[s].stage = Stage::kWorker;
    ++worker_jobs_;
    pool_.submit(s);
  }

  // Tries a readiness op at once unless ops before it on the same handle
  // and direction still wait (it must not overtake them); if it would
  // block, queues it on its handle.
  void start_waiting(uint32_t s) {
    const lio_op& op = slots_[s].op;
    int fd = plugin::to_fd(op.handle);
    if (fd < 0) return complete(s, -LIO_EBADF);
    const uint32_t h = handles_.find(key(fd));
    if (!behind_others(h, op) && !known_drained(h, op)) {
      int64_t result = attempt_slot(s);
      if (result != kWouldBlock) {
        note_recv(h, fd, op, result);
        return complete(s, result);
      }
    }
    enqueue(s, fd);
  }

  bool behind_others(uint32_t h, const lio_op& op) const {
    if (op.code == LIO_OP_POLL) return false;  // a poll consumes nothing: order is moot
    if (h == handles_.kNone) return false;
    const HandleWaiters& waiters = handles_[h];
    return (wanted_events(op) & LIO_POLL_IN) ? waiters.consuming_reads > 0 : waiters.consuming_writes > 0;
  }

  // A plain recv: no flags, so a short one means the receive queue is empty
  // (MSG_OOB, MSG_ERRQUEUE and the rest read other queues or wait longer).
  static bool plain_recv(const lio_op& op) { return op.code == LIO_OP_RECV && op.u.sr.flags == 0; }

  bool known_drained(uint32_t h, const lio_op& op) const {
    return h != handles_.kNone && handles_[h].drained && plain_recv(op);
  }

  // After a recv completed on `fd`: whether it left the stream drained. A
  // datagram or record socket's short recv is one message, not the last.
  void note_recv(uint32_t h, int fd, const lio_op& op, int64_t result) {
    if (h == handles_.kNone || !plain_recv(op)) return;
    HandleWaiters& waiters = handles_[h];
    const bool short_read = result > 0 && static_cast<uint64_t>(result) < op.u.sr.len;
    if (short_read && waiters.stream < 0) waiters.stream = is_stream_socket(fd) ? 1 : 0;
    waiters.drained = short_read && waiters.stream == 1;
  }

  // --- per-handle wait queues -------------------------------------------------

  static uint64_t key(int fd) { return static_cast<uint64_t>(fd); }
  static int fd_of(uint64_t key) { return static_cast<int>(key); }

  // The record of `fd`, made if there is none. When the table is full, the
  // least recently idle record goes: at most capacity - 1 others are busy
  // (each has a waiting op, and the op being queued is one of the capacity).
  uint32_t record_for(int fd) {
    uint32_t h = handles_.find(key(fd));
    if (h != handles_.kNone) return h;
    if (handles_.full()) drop_record(idle_.head, true);
    return handles_.insert(key(fd));
  }

  void enqueue(uint32_t s, int fd) {
    uint32_t h = record_for(fd);
    HandleWaiters& waiters = handles_[h];
    if (waiters.idle()) {  // busy from now on
      list_unlink(h);
      ++busy_handles_;
    }
    Slot& slot = slots_[s];
    uint32_t wants = this->wants(slot);
    slot.queued_fd = fd;
    slot.queued_events = wants;
    const uint32_t consuming = slot.op.code != LIO_OP_POLL ? 1 : 0;
    // A poll for no events (errors and hang-ups only) sits with the readers.
    if ((wants & LIO_POLL_IN) || wants == 0) {
      push_back<&Slot::reads>(waiters.reads, s);
      slot.in_reads = true;
      if (wants & LIO_POLL_IN) ++waiters.wanting_in;
      waiters.consuming_reads += consuming;
    }
    if (wants & LIO_POLL_OUT) {
      push_back<&Slot::writes>(waiters.writes, s);
      slot.in_writes = true;
      ++waiters.wanting_out;
      waiters.consuming_writes += consuming;
    }
    slot.stage = Stage::kReadiness;
    if (int error = settle(h, fd, false); error != 0) {
      // The reactor refused the handle: this op cannot wait on it.
      dequeue(s, h);
      settle(h, fd, false);
      complete(s, error);
    }
  }

  void dequeue(uint32_t s, uint32_t h) {
    HandleWaiters& waiters = handles_[h];
    Slot& slot = slots_[s];
    uint32_t wants = slot.queued_events;
    const uint32_t consuming = slot.op.code != LIO_OP_POLL ? 1 : 0;
    if (slot.in_reads) {
      unlink<&Slot::reads>(waiters.reads, s);
      if (wants & LIO_POLL_IN) --waiters.wanting_in;
      waiters.consuming_reads -= consuming;
      slot.in_reads = false;
    }
    if (slot.in_writes) {
      unlink<&Slot::writes>(waiters.writes, s);
      --waiters.wanting_out;
      waiters.consuming_writes -= consuming;
      slot.in_writes = false;
    }
  }

  // After the queues of `fd` changed: an idle handle keeps its record (and
  // registration) on the idle list; a busy one is watched for what its ops
  // need — one system call when it is not registered yet or not for that
  // direction, none otherwise. A registration not confirmed since the handle
  // was idle goes on the check list. `look_again`: watch even so, which also
  // reports the handle if it is ready now.
  int settle(uint32_t h, int fd, bool look_again) {
    HandleWaiters& waiters = handles_[h];
    if (waiters.idle()) {
      if (waiters.on != HandleWaiters::On::kIdle) {
        list_unlink(h);
        --busy_handles_;
        waiters.confirmed = false;  // the caller may close and reuse the number now
        list_append(idle_, HandleWaiters::On::kIdle, h, now_ns());
      }
      return 0;
    }
    uint32_t want = (waiters.wanting_in ? LIO_POLL_IN : 0) | (waiters.wanting_out ? LIO_POLL_OUT : 0);
    uint32_t watched = waiters.registered ? waiters.watched : 0;
    if (look_again || !waiters.registered || (want & ~watched) != 0) return watch(h, fd, watched | want);
    if (!waiters.confirmed && waiters.on != HandleWaiters::On::kChecks) {
      list_append(checks_, HandleWaiters::On::kChecks, h, now_ns());
    }
    return 0;
  }

  // One system call: registers `fd` for `events` (or changes it, or finds
  // it gone with a closed file and adds it again), which confirms it. A
  // registration made anew may be another file's than the one the handle's
  // socket type and drained mark were learnt from: they are asked again.
  int watch(uint32_t h, int fd, uint32_t events) {
    HandleWaiters& waiters = handles_[h];
    bool kept = false;
    if (int error = reactor_->watch(fd, events, waiters.registered, &kept); error != 0) {
      waiters.registered = false;
      return error;
    }
    if (!kept) {
      waiters.stream = -1;
      waiters.drained = false;
    }
    waiters.registered = true;
    waiters.watched = events;
    waiters.confirmed = true;
    if (waiters.on == HandleWaiters::On::kChecks) list_unlink(h);
    return 0;
  }

  // The reactor says `fd` became ready for `events`: serve its queues. Each
  // op that still waits had the OS say "not ready" after this report, so the
  // next change is reported again.
  void serve_handle(int fd, uint32_t events) {
    uint32_t h = handles_.find(key(fd));
    if (h == handles_.kNone) return;  // a registration forgotten (dropped record)
    if (events & (LIO_POLL_IN | LIO_POLL_ERR | LIO_POLL_HUP)) handles_[h].drained = false;
    if (handles_[h].idle()) {
      // Nothing waits; the next op tries its call first anyway. A handle
      // idle this long is likely one the caller is done with: stop its reports.
      if (now_ns() - handles_[h].since >= kConfirmAfterNs) drop_record(h, true);
      return;
    }
    if (events & (LIO_POLL_IN | LIO_POLL_ERR | LIO_POLL_HUP)) serve_queue<&Slot::reads>(handles_[h].reads, h);
    if (events & (LIO_POLL_OUT | LIO_POLL_ERR | LIO_POLL_HUP)) serve_queue<&Slot::writes>(handles_[h].writes, h);
    if (int error = settle(h, fd, false); error != 0) end_all_waiters(fd, error);
  }

  // Front to back until an op would block again. A poll that is not ready
  // is passed over (it consumes nothing, so it holds no one up).
  template <Links Slot::*kLinks>
  void serve_queue(SlotList& queue, uint32_t h) {
    for (uint32_t s = queue.head; s != kNone;) {
      uint32_t next = (slots_[s].*kLinks).next;
      int64_t result = attempt_slot(s);
      if (result != kWouldBlock) {
        note_recv(h, fd_of(handles_.id(h)), slots_[s].op, result);
        dequeue(s, h);
        complete(s, result);
      } else if (moved_elsewhere(s)) {
        // A splice now held up by its other end waits there instead.
        dequeue(s, h);
        enqueue(s, slots_[s].progress.wait_fd);
      } else if (slots_[s].op.code != LIO_OP_POLL) {
        return;
      }
      s = next;
    }
  }

  // A tee/splice that would block waits on another handle or for another
  // event than the one it was queued for.
  bool moved_elsewhere(uint32_t s) const {
    const Slot& slot = slots_[s];
    if (slot.progress.wait_events == 0) return false;
    return slot.progress.wait_fd != slot.queued_fd || slot.progress.wait_events != slot.queued_events;
  }

  // The ops behind a cancelled head were never tried: they waited on its
  // "not ready", which may have been about something else (urgent data, the
  // error queue), so the handle is looked at again for them.
  void cancel_waiting(uint32_t s) {
    int fd = slots_[s].queued_fd;
    uint32_t h = handles_.find(key(fd));
    const HandleWaiters& waiters = handles_[h];
    bool was_head = (slots_[s].in_reads && waiters.reads.head == s) || (slots_[s].in_writes && waiters.writes.head == s);
    dequeue(s, h);
    complete(s, cancelled_result(s));
    if (int error = settle(h, fd, was_head); error != 0) end_all_waiters(fd, error);
  }

  // Bytes already moved are the result of an interrupted transfer.
  int64_t cancelled_result(uint32_t s) const {
    uint64_t moved = slots_[s].progress.transferred;
    return moved > 0 ? static_cast<int64_t>(moved) : -LIO_ECANCELED;
  }

  // Completes every op waiting on `fd` — with `error`, or as cancelled when
  // `error` is 0 — and drops the handle and its registration.
  void end_all_waiters(int fd, int error) {
    uint32_t h = handles_.find(key(fd));
    if (h == handles_.kNone) return;
    for (SlotList* queue : {&handles_[h].reads, &handles_[h].writes}) {
      while (!queue->empty()) {
        uint32_t s = queue->head;
        dequeue(s, h);
        complete(s, error != 0 ? error : cancelled_result(s));
      }
    }
    drop_record(h, true);
  }

  // Forgets a handle record; `forget_registration`: and its registration
  // (one system call), when the fd may still name the file it was made for.
  void drop_record(uint32_t h, bool forget_registration) {
    HandleWaiters& waiters = handles_[h];
    if (waiters.on != HandleWaiters::On::kIdle) --busy_handles_;
    list_unlink(h);
    if (forget_registration && waiters.registered) reactor_->forget(fd_of(handles_.id(h)));
    handles_.erase(h);
  }

  // An op of ours made a new handle numbered `fd`: whatever file had that
  // number before was closed, and its registration went with it.
  void new_handle_made(int fd) {
    status_flags_.forget(fd);
    uint32_t h = handles_.find(key(fd));
    if (h != handles_.kNone && handles_[h].idle()) drop_record(h, false);
  }

  // Busy handles whose registration is not confirmed and that waited
  // kConfirmAfterNs: watched again (which confirms them, or adds the
  // registration a close took away, and reports them if ready).
  void check_unconfirmed() {
    if (checks_.empty()) return;
    const int64_t now = now_ns();
    while (!checks_.empty() && handles_[checks_.head].since + kConfirmAfterNs <= now) {
      uint32_t h = checks_.head;
      int fd = fd_of(handles_.id(h));
      // The number may name another file now: if so the registration is
      // made anew, and watch() forgets what was learnt of the old file.
      if (int error = watch(h, fd, handles_[h].watched); error != 0) end_all_waiters(fd, error);
    }
  }

  // --- handle lists (idle_, checks_) -------------------------------------------

  void list_append(SlotList& list, HandleWaiters::On which, uint32_t h, int64_t since) {
    HandleWaiters& r = handles_[h];
    r.on = which;
    r.since = since;
    r.prev = list.tail;
    r.next = kNone;
    if (list.tail != kNone) {
      handles_[list.tail].next = h;
    } else {
      list.head = h;
    }
    list.tail = h;
  }

  void list_unlink(uint32_t h) {
    HandleWaiters& r = handles_[h];
    if (r.on == HandleWaiters::On::kNoList) return;
    SlotList& list = r.on == HandleWaiters::On::kIdle ? idle_ : checks_;
    if (r.prev != kNone) {
      handles_[r.prev].next = r.next;
    } else {
      list.head = r.next;
    }
    if (r.next != kNone) {
      handles_[r.next].prev = r.prev;
    } else {
      list.tail = r.prev;
    }
    r.prev = r.next = kNone;
    r.on = HandleWaiters::On::kNoList;
  }

  // --- waiting ----------------------------------------------------------------

  // A zero-timeout look at ready handles, when any op waits on one.
  int poll_handles(int64_t timeout_ns) {
    if (busy_handles_ == 0) return 0;
    return run_reactor(timeout_ns);
  }

  // Blocks until the caller's limit (`limit_ns`, < 0 none), the nearest
  // timer or the first unconfirmed handle's check, whichever comes first, or
  // until a handle is ready or a notify.
  int block_in_reactor(int64_t limit_ns, int64_t now) {
    int64_t bound = limit_ns;
    auto bound_by = [&](int64_t deadline) {
      int64_t until = std::max<int64_t>(deadline - now, 0);
      bound = bound < 0 ? until : std::min(bound, until);
    };
    if (!timers_.empty()) bound_by(timers_.top_deadline());
    if (!checks_.empty()) bound_by(handles_[checks_.head].since + kConfirmAfterNs);
    return run_reactor(bound);
  }

  int run_reactor(int64_t timeout_ns) {
    looked_this_wait_ = true;
    bool notified;  // the loop looks at the pool and the wake flag anyway
    int n = reactor_->wait(timeout_ns, ready_, &notified);
    if (n < 0) return n;
    for (int i = 0; i < n; ++i) serve_handle(ready_[i].fd, ready_[i].events);
    return 0;
  }

  void reap_workers() {
    if (worker_jobs_ == 0) return;
    pool_.drain([this](uint32_t s, int64_t result) {
      --worker_jobs_;
      complete(s, result);
    });
  }

  void expire_timers() {
    if (timers_.empty()) return;
    const int64_t now = now_ns();
    while (!timers_.empty() && timers_.top_deadline() <= now) complete(timers_.pop(), -LIO_ETIME);
  }

  void complete(uint32_t s, int64_t result) {
    Slot& slot = slots_[s];
    if (result >= 0 && result <= INT32_MAX && creates_handle(slot.op.code)) new_handle_made(static_cast<int>(result));
    if (slot.progress.owned_fd >= 0) {  // a waitid's own pidfd (its record goes idle; see new_handle_made)
      close(slot.progress.owned_fd);
      slot.progress.owned_fd = -1;
    }
    slot.stage = Stage::kCompleted;
    slot.result = result;
    push_back<&Slot::list>(completed_, s);
    if (slot.extras != 0) [[unlikely]] on_extras_completed(s, result);
  }

  // --- Links (1.1): chains, link timeouts, registered resources ----------------

  static bool is_link_or_fixed_code(uint32_t code) {
    return code == LIO_OP_LINK_TIMEOUT || code == LIO_OP_READ_FIXED || code == LIO_OP_WRITE_FIXED;
  }

  // At push, for an op with generic flags, a 1.1 code, or after a linked op.
  void prepare_extras(uint32_t s) {
    Slot& slot = slots_[s];
    lio_op& op = slot.op;
    const bool link = (op.flags & LIO_OPF_LINK) != 0;
    if (op.flags & LIO_OPF_FIXED_FILE) resolve_fixed_file(slot);
    if (op.code == LIO_OP_READ_FIXED || op.code == LIO_OP_WRITE_FIXED) resolve_fixed_buffer(slot);
    op.flags &= ~LIO_OPF_GENERIC;
    link_into_chain(s, link);
  }

  // [fixed.file]: the index becomes the registered handle.
  void resolve_fixed_file(Slot& slot) {
    lio_op& op = slot.op;
    switch (op.code) {
      case LIO_OP_NOP:
      case LIO_OP_TIMEOUT:
      case LIO_OP_LINK_TIMEOUT:
      case LIO_OP_SOCKET:
        return;  // no handle to act on
      case LIO_OP_OPENAT:
      case LIO_OP_CLOSE:
        return fail_at_start(slot, -LIO_EBADF);  // as io_uring answers
      default:
        break;
    }
    const lio_handle handle = tables_.file(op.handle);
    if (handle == LIO_INVALID_HANDLE) return fail_at_start(slot, -LIO_EBADF);
    op.handle = handle;
    slot.extras |= kUsesFiles;
    tables_.hold_files();
  }

  // [fixed.buffer]: a plain READ / WRITE once the range is in the buffer.
  void resolve_fixed_buffer(Slot& slot) {
    lio_op& op = slot.op;
    op.code = op.code == LIO_OP_READ_FIXED ? LIO_OP_READ : LIO_OP_WRITE;
    if (!tables_.buffer_holds(op.u.rw.buf_index, op.u.rw.buf, op.u.rw.len)) return fail_at_start(slot, -LIO_EFAULT);
    slot.extras |= kUsesBuffers;
    tables_.hold_buffers();
  }

  void fail_at_start(Slot& slot, int64_t error) {
    slot.extras |= kFailAtStart;
    slot.result = error;
  }

  // [link.order]: `s` follows the open chain's tail, if any; a LINK_TIMEOUT
  // attaches to the tail instead (a second one for the same op, or one with
  // no tail, is -EINVAL when started).
  void link_into_chain(uint32_t s, bool link) {
    Slot& slot = slots_[s];
    const uint32_t tail = std::exchange(open_tail_, kNone);
    const bool tail_running = tail != kNone && slots_[tail].stage != Stage::kCompleted;
    if (tail_running && slot.op.code == LIO_OP_LINK_TIMEOUT && slots_[tail].link_timeout == kNone) {
      slots_[tail].link_timeout = s;
      slot.guarded = tail;
      slot.held = slots_[tail].held;  // starts with the op it guards
      slot.extras |= kInChain;
      slots_[tail].extras |= kInChain;
      if (link) open_tail_ = tail;  // the chain goes on after the guarded op
      return;
    }
    if (tail != kNone && slots_[tail].stage == Stage::kCompleted) {
      // The op before was cancelled before its chain was handed over: the
      // chain has failed already.
      fail_at_start(slot, -LIO_ECANCELED);
    } else if (tail != kNone) {
      slots_[tail].chain_next = s;
      slot.chain_prev = tail;
      slot.held = true;
      slot.extras |= kInChain;
      slots_[tail].extras |= kInChain;
    }
    if (link) open_tail_ = s;
  }

  // Starts an op being handed over (flush) or released.
  void begin(uint32_t s) {
    if (slots_[s].extras != 0) [[unlikely]] return begin_extra(s);
    start(s);
  }

  void begin_extra(uint32_t s) {
    Slot& slot = slots_[s];
    if (slot.held) {
      slot.stage = Stage::kHeld;
      return;
    }
    if (slot.extras & kFailAtStart) return complete(s, slot.result);
    start(s);
    const uint32_t timeout = slots_[s].link_timeout;
    if (timeout != kNone && slots_[timeout].stage == Stage::kHeld) {
      slots_[timeout].held = false;
      start(timeout);
    }
  }

  void start_released() {
    while (!released_.empty()) {
      uint32_t s = released_.head;
      unlink<&Slot::list>(released_, s);
      slots_[s].held = false;
      begin_extra(s);
    }
  }

  void on_extras_completed(uint32_t s, int64_t result) {
    Slot& slot = slots_[s];
    const uint8_t extras = std::exchange(slot.extras, 0);
    if (extras & kUsesFiles) tables_.release_files();
    if (extras & kUsesBuffers) tables_.release_buffers();
    if (extras & kInChain) on_chain_member_done(s, result);
  }

  void on_chain_member_done(uint32_t s, int64_t result) {
    static_assert(kNone == plugin::kNoChainSlot);
    struct Host {
      Poller& b;
      plugin::ChainLinkRefs links(uint32_t i) {
        Slot& x = b.slots_[i];
        return {x.link_timeout, x.guarded, x.chain_prev, x.chain_next};
      }
      void end_early(uint32_t i, int64_t r) { b.end_early(i, r); }
      void cancel(uint32_t i) { b.cancel_slot(i); }
      void fail_forward(uint32_t i) { b.fail_forward(i); }
      void release(uint32_t i) { b.release(i); }
    } host{*this};
    plugin::chain_member_done(host, s, slots_[s].op, result);
  }

  void release(uint32_t s) {
    Slot& slot = slots_[s];
    slot.held = false;  // still queued (its chain is being handed over): flush starts it
    if (slot.stage != Stage::kHeld) return;
    slot.stage = Stage::kReleased;
    push_back<&Slot::list>(released_, s);
  }

  // [link.fail_forward]: `s` and every op after it in its chain, unstarted,
  // complete with -ECANCELED.
  void fail_forward(uint32_t s) {
    while (s != kNone) {
      const uint32_t after = std::exchange(slots_[s].chain_next, kNone);
      if (after != kNone) slots_[after].chain_prev = kNone;
      end_early(s, -LIO_ECANCELED);
      s = after;
    }
  }

  // Completes an op that has not started (or a link timeout's timer).
  void end_early(uint32_t s, int64_t result) {
    switch (slots_[s].stage) {
      case Stage::kQueued:
        unlink<&Slot::list>(queued_, s);
        ++handed_early_;
        break;
      case Stage::kReleased:
        unlink<&Slot::list>(released_, s);
        break;
      case Stage::kTimer:
        timers_.erase(s);
        break;
      case Stage::kCompleted:
        return;
      default:
        break;
    }
    complete(s, result);
  }

  // MORE completions first: each precedes its op's final one.
  int deliver(const lio_completion** out) {
    int n = 0;
    for (uint32_t i = 0; i < more_count_; ++i) completions_[n++] = more_[i].completion;
    more_count_ = 0;
    for (uint32_t s = completed_.head; s != kNone;) {
      const Slot& slot = slots_[s];
      uint32_t next = slot.list.next;
      if (slot.op.code == LIO_OP_SEND_ZC && slot.result >= 0) [[unlikely]] {
        // [send_zc.notice]: the send copied the bytes, so the buffer is
        // free as soon as the result is known.
        completions_[n++] = lio_completion{slots_.id(s), slot.result, LIO_COMPLETION_MORE, 0};
        completions_[n++] = lio_completion{slots_.id(s), 0, LIO_COMPLETION_NOTIF, 0};
      } else {
        completions_[n++] = lio_completion{slots_.id(s), slot.result, slot.flags, 0};
      }
      if (slot.group_counted) groups_.count_done(slot.op.u.sr.buf_group);
      slots_.erase(s);
      s = next;
    }
    completed_ = SlotList{};
    *out = completions_.data();
    return n;
  }

  void close_undelivered_handles() {
    for (uint32_t s = completed_.head; s != kNone; s = slots_[s].list.next) {
      if (creates_handle(slots_[s].op.code) && slots_[s].result >= 0) close(static_cast<int>(slots_[s].result));
    }
    for (uint32_t i = 0; i < more_count_; ++i) {
      if (more_[i].is_handle) close(static_cast<int>(more_[i].completion.result));
    }
  }

  // --- multi-completion ops (1.1) ------------------------------------------------
  //
  // ACCEPT_MULTI, RECV_MULTI and RECV with LIO_RECV_BUFFER_SELECT wait on
  // their handle like any readiness op — a standing registration — and are
  // served in rounds: each ready report runs rounds until one would block.
  // A multishot round that accepted a client or received bytes posts a MORE
  // completion (more_) and the op stays where it is; anything else ends it
  // (its final completion). A buffer is taken from the group just before
  // the non-blocking recv and given back if it received nothing, so none is
  // lost or lent empty; with none left the op ends with -ENOBUFS and the
  // data stays in the socket. When more_ is full the op stops for this wait
  // (the handle is watched again at the next, which reports it if still
  // ready: the registration is edge-triggered).

  void note_stream(Slot& slot) {
    const lio_op& op = slot.op;
    if (op.code == LIO_OP_ACCEPT_MULTI) slot.stream = Stream::kAcceptMulti;
    if (op.code == LIO_OP_RECV_MULTI) slot.stream = Stream::kRecvMulti;
    if (op.code == LIO_OP_RECV && (op.flags & LIO_RECV_BUFFER_SELECT)) slot.stream = Stream::kRecvSelect;
    if (slot.stream == Stream::kRecvMulti || slot.stream == Stream::kRecvSelect) {
      slot.group_counted = groups_.count_op(op.u.sr.buf_group);
    }
  }

  int64_t attempt_slot(uint32_t s) {
    Slot& slot = slots_[s];
    if (slot.stream == Stream::kNone) [[likely]] return attempt(slot.op, slot.progress);
    return attempt_stream(s);
  }

  // Rounds until one would block or ends the op: kWouldBlock, or the final result.
  int64_t attempt_stream(uint32_t s) {
    Slot& slot = slots_[s];
    const bool multishot = slot.stream != Stream::kRecvSelect;
    for (;;) {
      if (multishot && more_count_ == more_.size()) {
        note_throttled(plugin::to_fd(slot.op.handle));
        return kWouldBlock;
      }
      uint32_t flags = 0;
      const int64_t result = stream_round(slot, &flags);
      if (result == kWouldBlock) return kWouldBlock;
      const bool goes_on = slot.stream == Stream::kAcceptMulti ? result >= 0 : result > 0;
      if (!multishot || !goes_on) {
        slot.flags = flags;
        return result;
      }
      const bool is_handle = slot.stream == Stream::kAcceptMulti;
      more_[more_count_++] = More{lio_completion{slots_.id(s), result, flags | LIO_COMPLETION_MORE, 0}, is_handle};
    }
  }

  // One accept, or one recv into a buffer of the group.
  int64_t stream_round(Slot& slot, uint32_t* flags) {
    const lio_op& op = slot.op;
    if (slot.stream == Stream::kAcceptMulti) {
      const int64_t client = attempt(op, slot.progress);
      if (client >= 0 && client <= INT32_MAX) new_handle_made(static_cast<int>(client));
      return client;
    }
    const uint32_t group = op.u.sr.buf_group;
    const BufferGroups::Lent buffer = groups_.take(group);
    if (buffer.id == BufferGroups::kNoBuffer) return -LIO_ENOBUFS;  // [bufgroup.enobufs]
    const uint64_t room = op.u.sr.len == 0 ? buffer.size : std::min<uint64_t>(op.u.sr.len, buffer.size);
    const int64_t received = recv_into(op, buffer.data, room);
    if (received <= 0) {  // kWouldBlock too: nothing landed in it
      groups_.untake(group, buffer.id);
      return received;
    }
    *flags = LIO_COMPLETION_BUFFER | (buffer.id << 16);
    return received;
  }

  void note_throttled(int fd) {
    if (std::find(relook_.begin(), relook_.end(), fd) != relook_.end()) return;
    if (relook_.size() < relook_.capacity()) relook_.push_back(fd);
  }

  // The handles whose multishot ops stopped for want of room: watched again,
  // which reports them if they are still ready.
  void look_again_at_throttled() {
    for (int fd : relook_) {
      const uint32_t h = handles_.find(key(fd));
      if (h == handles_.kNone || handles_[h].idle()) continue;
      if (int error = watch(h, fd, handles_[h].watched); error != 0) end_all_waiters(fd, error);
    }
    relook_.clear();
  }

  // Pidfds of waitids that never completed.
  void close_owned_pidfds() {
    for (uint32_t s = 0; s < slots_.capacity(); ++s) {
      if (slots_[s].progress.owned_fd >= 0) close(slots_[s].progress.owned_fd);
    }
  }


  // The pool's job: the op's blocking call (op_calls.cc), on a worker
  // thread. The slot's op was written by push before submit and is not
  // touched again until the pool hands the result back.
  static int64_t run_job(void* self, uint32_t s, uint32_t /*worker*/) {
    return run_blocking(static_cast<Poller*>(self)->slots_[s].op);
  }
  static void notify_reactor(void* self) { static_cast<Poller*>(self)->reactor_->notify(); }

  plugin::OpTable<Slot> slots_;             // every op in flight, by id
  plugin::OpTable<HandleWaiters> handles_;  // watched handles, busy or idle, by fd
  SlotList idle_;                           // handles nothing waits on, longest idle first
  SlotList checks_;                         // busy, unconfirmed handles, longest waiting first
  uint32_t busy_handles_ = 0;               // handles some op waits on
  plugin::TimerHeap timers_;                // kTimer slots by deadline
  SlotList queued_;                         // kQueued, push order
  SlotList completed_;                      // kCompleted, completion order
  SlotList released_;                       // kReleased, in release order
  uint32_t open_tail_ = kNone;              // the last op pushed, while it carries LIO_OPF_LINK
  int handed_early_ = 0;                    // flush: chain members it ended before reaching them
  plugin::RegisteredTables tables_;         // register_files / register_buffers
  std::vector<lio_completion> completions_; // what wait returns
  struct More {
    lio_completion completion;
    bool is_handle;  // an accepted client: closed if never delivered
  };
  std::vector<More> more_;                  // MORE completions not yet returned (capacity entries)
  uint32_t more_count_ = 0;
  std::vector<int> relook_;                 // handles of throttled multishot ops
  BufferGroups groups_;
  StatusFlagsCache status_flags_;           // read_if_cached's O_DIRECT check, per handle
  std::vector<ReadyEvent> ready_;           // what the reactor reports
  uint32_t worker_jobs_ = 0;                // kWorker slots
  bool looked_this_wait_ = false;           // the current (or last) wait ran the reactor
  std::atomic<bool> wake_requested_{false};
  std::unique_ptr<Reactor> reactor_;
  plugin::WorkerPool pool_;  // stopped first thing in ~Poller, before the reactor it notifies goes
};

// --- the C boundary (the plugin kit: lio/plugins/common/backend_kit.h) ---------

// LIO_POLLER_LIBKQUEUE: the kqueue reactor over libkqueue's emulation on
// Linux, a backend of its own that tests the reactor here; ranked below
// `poller` so `auto` picks the epoll one.
#if defined(LIO_POLLER_LIBKQUEUE)
constexpr const char* kName = "poller_kqueue";
constexpr const char* kDescription =
    "kqueue readiness over libkqueue (epoll emulation: tests the kqueue reactor), regular files on a worker pool "
    "(options: workers=N, default 4)";
constexpr int32_t kPriority = 10;
#elif defined(__linux__)
constexpr const char* kName = "poller";
constexpr const char* kDescription = "epoll readiness, regular files on a worker pool (options: workers=N, default 4)";
constexpr int32_t kPriority = 50;
#else
constexpr const char* kName = "poller";
constexpr const char* kDescription = "kqueue readiness, regular files on a worker pool (options: workers=N, default 4)";
constexpr int32_t kPriority = 50;
#endif

constexpr lio_backend_vtable kVtable =
    plugin::make_vtable<Poller>(kName, kDescription, kCapabilities, kPriority, kFeatures);

}  // namespace
}  // namespace lio::poller

extern "C" LIO_PLUGIN_EXPORT int lio_plugin_register(const lio_registrar* registrar) {
  return lio::plugin::register_backends(registrar, {&lio::poller::kVtable});
}
