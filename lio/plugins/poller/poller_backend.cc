// The `poller` backend: lio's completion contract on readiness (epoll on
// Linux, kqueue on macOS/BSD), for where io_uring is missing or disabled.
//
// (Over 500 lines: the op state machine below — queued, readiness, timer,
// worker, completed — and the handle records it moves ops between are read
// as one piece; what each op's system calls are lives in op_calls.cc, the
// readiness mechanism in reactor_*.cc, the threads in worker_pool.cc.)
//
// Every op is in one stage at a time (Stage below):
//   kQueued     pushed, waiting for flush (the submission list);
//   kReadiness  socket and other pollable ops that would block: on its
//               handle's wait queue — one FIFO of readers, one of writers —
//               until the reactor says the handle is ready;
//   kTimer      TIMEOUT, in the timer heap;
//   kWorker     regular-file ops, fsync, and the openat and close that
//               could block, on the worker pool;
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
//                       none — unless one lasts 1 ms, see "Handle records".
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
//   offset              2: fcntl(F_GETFL) and, unless O_DIRECT,
//                       preadv2(RWF_NOWAIT): served from the page cache on
//                       this thread when all of it is cached; else a worker
//   openat              3 (Linux 5.12+): openat2(RESOLVE_CACHED|O_NONBLOCK),
//                       fstat, fcntl(F_SETFL) — when the path is in the dentry
//                       cache, names a regular file or directory, and neither
//                       O_CREAT nor O_TRUNC is asked; else a worker
//   close               2: fstat and the close (a socket: + getsockopt
//                       SO_LINGER) for pipes, non-lingering sockets, files on
//                       local filesystems; else a worker (op_calls.h)
//   file ops, fsync     0 on this thread: a mutex and, if a worker sleeps, a
//                       futex wake (positional writes go here directly)
// An op behind others on the same handle and direction is not tried: it
// waits its turn, so ops on one handle are served in push order.
//
// wait: flushes, then loops — reap the worker pool's done list, expire due
// timers, stop when there is a completion or a wake — blocking in the reactor
// until the nearest of: the caller's timeout, the nearest timer, a ready
// handle, the eventfd (workers and wake write it). A ready handle has its
// queues served front to back until an op would block again (so the next
// change of the handle is reported again). Completions are copied to a
// pre-allocated array of `capacity` entries.
//
// Handle records: a handle ops waited on keeps its record, and its epoll
// registration, when the ops are gone (up to `capacity` records, the least
// recently idle one dropped first), so a connection is registered once. While
// a handle is idle the caller may close it and get its number again for
// another file, which epoll does not follow (the old registration went with
// the old file, or lives on with it in a dup). So a record that was idle is
// *unconfirmed*: ops may wait on it without a system call, and if they are
// still waiting 1 ms later (kConfirmAfterNs) the handle is watched again,
// which confirms it or registers the new file and reports it if it is ready.
// A number closed and reused behind the backend's back thus costs its first
// wait up to 1 ms, never a lost op; one closed by a CLOSE op, or made anew by
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
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <new>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "lio/core/plugin_abi.h"
#include "lio/plugins/common/backend_kit.h"
#include "lio/plugins/common/clock.h"
#include "lio/plugins/common/op_table.h"
#include "lio/plugins/common/options.h"
#include "lio/plugins/common/timer_heap.h"
#include "lio/plugins/poller/op_calls.h"
#include "lio/plugins/poller/reactor.h"
#include "lio/plugins/poller/worker_pool.h"

namespace lio::poller {
namespace {

constexpr uint32_t kNone = UINT32_MAX;
constexpr uint32_t kDefaultWorkers = 4;
constexpr uint32_t kMaxWorkers = 256;
constexpr uint32_t kMaxCapacity = 1u << 24;
constexpr uint64_t kCapabilities = LIO_CAP_OPS_1_0;
constexpr uint64_t kFeatures = LIO_FEATURE_STABLE_COMPLETIONS;
constexpr uint32_t kMaxReadyPerWait = 1024;
// How long ops may wait on an unconfirmed registration (see HandleWaiters)
// before it is checked with a system call. Waits shorter than this — a
// connection's next message — cost none; a number reused behind the
// backend's back is found out by then at the latest.
constexpr int64_t kConfirmAfterNs = 1'000'000;

using plugin::saturating_add;
constexpr auto now_ns = plugin::monotonic_ns;

enum class Stage : uint8_t { kQueued, kReadiness, kTimer, kWorker, kCompleted };

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
  int64_t result = 0;
  Progress progress;
  Links list;    // the submission list or the completed list
  Links reads;   // its handle's readers
  Links writes;  // its handle's writers
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
    reactor_.reset();
  }

  int init(const Config& config) {
    try {
      slots_.init(config.capacity);
      handles_.init(config.capacity);
      timers_.init(config.capacity);
      completions_.resize(config.capacity);
      ready_.resize(std::min(config.capacity, kMaxReadyPerWait));
    } catch (const std::bad_alloc&) {
      return -LIO_ENOMEM;
    }
    if (int error = Reactor::Create(static_cast<uint32_t>(ready_.size()), &reactor_); error != 0) return error;
    return pool_.start(config.capacity, config.workers, &run_blocking, &notify_reactor, reactor_.get());
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
  // [wait.array_survives_push]: completions_ is written only by deliver(),
  // which only wait calls; push, flush and cancel complete into completed_.
  uint64_t features() const noexcept { return kFeatures; }

  int push(uint64_t id, const lio_op& op) noexcept {
    uint32_t s = slots_.insert(id);
    if (s == slots_.kNone) return slots_.full() ? -LIO_EAGAIN : -LIO_EEXIST;
    Slot& slot = slots_[s];
    slot.op = op;
    slot.stage = Stage::kQueued;
    push_back<&Slot::list>(queued_, s);
    return 0;
  }

  int flush() noexcept {
    int started = 0;
    while (!queued_.empty()) {
      uint32_t s = queued_.head;
      unlink<&Slot::list>(queued_, s);
      start(s);
      ++started;
    }
    return started;
  }

  int wait(int64_t timeout_ns, const lio_completion** out) noexcept {
    flush();
    const int64_t give_up_at = timeout_ns > 0 ? saturating_add(now_ns(), timeout_ns) : 0;
    for (;;) {
      reap_workers();
      expire_timers();
      check_unconfirmed();
      if (wake_requested_.exchange(false, std::memory_order_acq_rel)) break;
      if (!completed_.empty() || timeout_ns == 0) {
        // Look at ready handles once even so: a steady flow of immediate
        // completions must not starve ops waiting for readiness.
        if (int error = poll_handles(0); error != 0) return error;
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
        if (pool_.cancel(s) == WorkerPool::CancelOutcome::kRemoved) {
          --worker_jobs_;
          complete(s, -LIO_ECANCELED);
        }
        break;
      case Stage::kCompleted:  // its result won the race; it is delivered as is
        break;
    }
    return 0;
  }

  int wake() noexcept {
    wake_requested_.store(true, std::memory_order_release);
    return reactor_->notify();
  }

 private:
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
      case LIO_OP_FSYNC:
        to_worker(s);
        return;
      case LIO_OP_OPENAT:
        return inline_or_worker(s, open_if_cached(op));
      case LIO_OP_CLOSE:
        // Readiness is keyed by descriptor number; once closed, the number
        // may name another file, so the ops waiting on it end here.
        end_all_waiters(plugin::to_fd(op.handle), 0);
        return inline_or_worker(s, close_if_quick(op));
      case LIO_OP_READ:
      case LIO_OP_WRITE:
      case LIO_OP_READV:
      case LIO_OP_WRITEV:
        start_transfer(s);
        return;
      default:
        start_waiting(s);
        return;
    }
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
      const int64_t cached = read_if_cached(op);
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
    pool_.submit(s, slots_[s].op);
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
      int64_t result = attempt(op, slots_[s].progress);
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
    uint32_t wants = wanted_events(slot.op);
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
    uint32_t wants = wanted_events(slot.op);
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
  // it gone with a closed file and adds it again), which confirms it.
  int watch(uint32_t h, int fd, uint32_t events) {
    HandleWaiters& waiters = handles_[h];
    if (int error = reactor_->watch(fd, events, waiters.registered); error != 0) {
      waiters.registered = false;
      return error;
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
      int64_t result = attempt(slots_[s].op, slots_[s].progress);
      if (result != kWouldBlock) {
        note_recv(h, fd_of(handles_.id(h)), slots_[s].op, result);
        dequeue(s, h);
        complete(s, result);
      } else if (slots_[s].op.code != LIO_OP_POLL) {
        return;
      }
      s = next;
    }
  }

  // The ops behind a cancelled head were never tried: they waited on its
  // "not ready", which may have been about something else (urgent data, the
  // error queue), so the handle is looked at again for them.
  void cancel_waiting(uint32_t s) {
    int fd = plugin::to_fd(slots_[s].op.handle);
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
      // The number may name another file now: what was learnt of the old
      // one's socket type goes, so it is asked again.
      handles_[h].stream = -1;
      handles_[h].drained = false;
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
    slot.stage = Stage::kCompleted;
    slot.result = result;
    push_back<&Slot::list>(completed_, s);
  }

  int deliver(const lio_completion** out) {
    int n = 0;
    for (uint32_t s = completed_.head; s != kNone;) {
      uint32_t next = slots_[s].list.next;
      completions_[n++] = lio_completion{slots_.id(s), slots_[s].result, 0, 0};
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
  }

  static void notify_reactor(void* reactor) { static_cast<Reactor*>(reactor)->notify(); }

  plugin::OpTable<Slot> slots_;             // every op in flight, by id
  plugin::OpTable<HandleWaiters> handles_;  // watched handles, busy or idle, by fd
  SlotList idle_;                           // handles nothing waits on, longest idle first
  SlotList checks_;                         // busy, unconfirmed handles, longest waiting first
  uint32_t busy_handles_ = 0;               // handles some op waits on
  plugin::TimerHeap timers_;                // kTimer slots by deadline
  SlotList queued_;                         // kQueued, push order
  SlotList completed_;                      // kCompleted, completion order
  std::vector<lio_completion> completions_; // what wait returns
  std::vector<ReadyEvent> ready_;           // what the reactor reports
  uint32_t worker_jobs_ = 0;                // kWorker slots
  std::atomic<bool> wake_requested_{false};
  std::unique_ptr<Reactor> reactor_;
  WorkerPool pool_;  // stopped first thing in ~Poller, before the reactor it notifies goes
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

constexpr lio_backend_vtable kVtable = plugin::make_vtable<Poller>(kName, kDescription, kCapabilities, kPriority, kFeatures);

}  // namespace
}  // namespace lio::poller

extern "C" LIO_PLUGIN_EXPORT int lio_plugin_register(const lio_registrar* registrar) {
  return lio::plugin::register_backends(registrar, {&lio::poller::kVtable});
}
