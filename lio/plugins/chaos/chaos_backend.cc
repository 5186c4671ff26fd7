// liblio_chaos.so — the fault-injection backend. It wraps another backend and,
// driven by a seed and rates (knobs.h, README.md), does everything the
// contract allows and a lazy test never sees: short reads and writes on
// stream sockets, -EINTR on blocking calls that a signal could interrupt,
// -EAGAIN on non-blocking handles, completions delayed and reordered, cancels
// that arrive too late to win. It never breaks the contract itself: each op
// completes exactly once under its own id, results are ones the system call
// could have returned, capacity, wake, wait and cancel keep their meaning.
//
// (Over 500 lines: every liberty chaos takes is decided in push and undone
// or delivered in wait; split apart, the reader could no longer check that
// each stays within the contract. Its settings live in knobs.cc.)
//
// Backends: "chaos:io_uring" and "chaos:poller" wrap those; "chaos" wraps
// $LIO_CHAOS_INNER, or else io_uring if its probe passes here, or else
// poller; and with LIO_CHAOS_INNER=NAME set at load, "chaos:NAME" too. Each
// declares exactly the capabilities of what it wraps. The inner backend is
// found through the host, so its plugin must be on LIO_PLUGIN_PATH.
//
// Shape. Every op gets a slot in an OpTable keyed by the caller's id, and is
// in one state:
//   kSynthetic  chaos decided its result (-EINTR / -EAGAIN) at push and never
//               handed it to the inner backend (so nothing was transferred);
//               it becomes due at the next flush or wait;
//   kInner      pushed to the inner backend, which will complete it;
//   kHeld       completed (by the inner backend, or synthetic and flushed),
//               held in chaos until its release time;
// and is delivered by the first wait after its release time, then forgotten.
// Held ops still count against capacity: in flight means "pushed and not yet
// returned by wait". Timeouts are released in the order they completed, so
// "in deadline order" survives delays and shuffles.
//
// What it changes where (a roll of the seeded generator decides each time):
//   short  READ/READV/WRITE/WRITEV/SEND/RECV of more than one byte on a
//          SOCK_STREAM socket is pushed asking for 1..n-1 bytes (RECV with
//          MSG_WAITALL is left alone); the kernel then really transfers only
//          that many, so no byte is lost or invented. Never on files (a
//          blocking read of a regular file is never short but at its end),
//          pipes, datagram sockets (that would cut datagrams), or *msg ops.
//   eintr  READ/READV/WRITE/WRITEV/SEND/RECV/SENDMSG/RECVMSG/ACCEPT on a
//          socket or FIFO that is not ready (the call would block: nothing
//          to read or accept, no room to write, no error pending) completes
//          with -EINTR without being performed, as a blocking call that a
//          signal interrupted before it moved anything. A call that would not
//          block is never interrupted (the kernel only checks for signals
//          when it sleeps).
//          Never on regular files (disk I/O is not interruptible), never on
//          CONNECT (an interrupted connect goes on in the background, which
//          chaos cannot imitate), POLL, TIMEOUT or the rest.
//   eagain the same ops, when not ready, complete with -EAGAIN without being
//          performed, but only when the call could not block: the handle is
//          O_NONBLOCK, or a send/recv/sendmsg/recvmsg carries MSG_DONTWAIT.
//   A cancelled op that chaos never performed completes with -ECANCELED.
//   delay, reorder, cancel_race: see knobs.h.
// Ops with flags set (none of the above defines any) are never changed, so
// a malformed op is still refused by the inner backend's push.
// Chains (1.1): an op after one carrying LIO_OPF_LINK is never changed either
// (a synthetic result would never reach the inner chain; a short count the
// inner backend did not see would not fail it forward), and chain members
// keep their completion order, as timeouts do: never shuffled, never released
// before an earlier one. Registered files and buffers are forwarded.
//
// Beyond plugin_abi.h: to tell stream sockets, FIFOs, non-blocking and ready
// handles apart, push makes system calls — only for an op whose roll fired:
// fstat and poll (zero timeout) for eintr/eagain, plus fcntl(F_GETFL) for
// eagain; getsockopt(SO_TYPE) for short. That is the one place chaos spends
// system calls outside flush and wait. Allocations happen in create only.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "lio/core/plugin_abi.h"
#include "lio/plugins/common/backend_kit.h"
#include "lio/plugins/common/clock.h"
#include "lio/plugins/chaos/knobs.h"
#include "lio/plugins/common/op_table.h"
#include "lio/plugins/common/wrapped_backend.h"

namespace lio::chaos {
namespace {

// A shortened READV/WRITEV copies its iovecs up to the cut; cuts past this
// many iovecs are not made.
constexpr uint32_t kMaxShortIov = 8;

using plugin::monotonic_ns;

// splitmix64: small, fast, and good enough to decide mischief.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // True with probability p (0 never, 1 always).
  bool chance(double p) { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }
  // Uniform in [0, n] (n inclusive).
  uint64_t upto(uint64_t n) { return n == UINT64_MAX ? next() : next() % (n + 1); }

 private:
  uint64_t state_;
};

// ---- what kind of handle an op works on (system calls: see the top) ----

enum class HandleKind { kUnknown, kRegular, kSocket, kFifo, kOther };

HandleKind kind_of(lio_handle h) {
  struct stat st{};
  if (h < 0 || h > INT32_MAX || fstat(static_cast<int>(h), &st) != 0) return HandleKind::kUnknown;
  if (S_ISREG(st.st_mode)) return HandleKind::kRegular;
  if (S_ISSOCK(st.st_mode)) return HandleKind::kSocket;
  if (S_ISFIFO(st.st_mode)) return HandleKind::kFifo;
  return HandleKind::kOther;
}

bool is_stream_socket(lio_handle h) {
  int type = 0;
  socklen_t len = sizeof type;
  return getsockopt(static_cast<int>(h), SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM;
}

bool is_nonblocking(lio_handle h) {
  int flags = fcntl(static_cast<int>(h), F_GETFL);
  return flags >= 0 && (flags & O_NONBLOCK) != 0;
}

// Whether the op's call would block right now: its handle is not ready for
// its direction and has no error pending. Only a call that blocks can be
// interrupted by a signal, or refused with EAGAIN by a non-blocking handle.
bool would_block(const lio_op& op) {
  pollfd p{};
  p.fd = static_cast<int>(op.handle);
  switch (op.code) {
    case LIO_OP_READ:
    case LIO_OP_READV:
    case LIO_OP_RECV:
    case LIO_OP_RECVMSG:
    case LIO_OP_ACCEPT:
      p.events = POLLIN;
      break;
    default:
      p.events = POLLOUT;
      break;
  }
  return poll(&p, 1, 0) == 0;
}

// Ops a signal can interrupt before they move anything (on a socket/FIFO).
bool interruptible(uint32_t code) {
  switch (code) {
    case LIO_OP_READ:
    case LIO_OP_READV:
    case LIO_OP_WRITE:
    case LIO_OP_WRITEV:
    case LIO_OP_SEND:
    case LIO_OP_RECV:
    case LIO_OP_SENDMSG:
    case LIO_OP_RECVMSG:
    case LIO_OP_ACCEPT:
      return true;
    default:
      return false;
  }
}

int32_t msg_flags(const lio_op& op) {
  switch (op.code) {
    case LIO_OP_SEND:
    case LIO_OP_RECV:
      return op.u.sr.flags;
    case LIO_OP_SENDMSG:
    case LIO_OP_RECVMSG:
      return op.u.msg.flags;
    default:
      return 0;
  }
}

// ---- the backends this plugin registers ----

struct Registered {
  std::string name;         // "chaos:io_uring"
  std::string inner_name;   // "io_uring"
  std::string description;
  const lio_backend_vtable* inner = nullptr;
  lio_backend_vtable vtable{};
};

constexpr size_t kMaxRegistered = 4;  // chaos, chaos:io_uring, chaos:poller, chaos:$LIO_CHAOS_INNER

struct PluginState {
  Registered backends[kMaxRegistered];
  size_t count = 0;
  std::atomic<uint64_t> instances{0};  // created so far: each gets its own stream
};

PluginState& plugin_state() {
  static PluginState* state = new PluginState;  // lives as long as the plugin
  return *state;
}

// ---- one instance ----

enum class State : uint8_t { kFree, kSynthetic, kInner, kHeld };

struct Slot {
  State state = State::kFree;
  bool is_timeout = false;  // or a chain member: its completion order is kept
  bool streams = false;  // ACCEPT_MULTI, RECV_MULTI, SEND_ZC: MORE completions before the final one
  bool synthetic = false;  // chaos chose the result; the op never ran
  bool cancel_pending = false;  // a cancel chaos holds back (cancel_race)
  int64_t cancel_due_ns = 0;
  int64_t result = 0;  // kSynthetic: the result chaos chose
  lio_iovec iov[kMaxShortIov] = {};  // a shortened READV/WRITEV's iovecs
};

struct Held {
  uint64_t id;
  int64_t result;
  int64_t release_ns;
  uint64_t sequence;  // order of arrival: ties and timeouts keep it
  bool is_timeout;
  uint32_t flags = 0;     // the inner completion's LIO_COMPLETION_* flags, passed on
  bool in_place = false;  // never shuffled: a timeout, or a completion of a stream
};

bool streams(uint32_t code) {
  return code == LIO_OP_ACCEPT_MULTI || code == LIO_OP_RECV_MULTI || code == LIO_OP_SEND_ZC;
}

class ChaosBackend {
 public:
  // The n-th instance a process creates draws from stream n of the seed, so
  // a program that creates its backends in the same order makes the same
  // decisions run after run, and no two instances repeat each other.
  ChaosBackend(const Registered& registered, const Knobs& knobs, uint64_t instance)
      : registered_(registered), knobs_(knobs), rng_(Rng(knobs.seed).next() ^ Rng(~instance).next()) {}

  // The inner backend goes first: until it is destroyed, the kernel may read
  // the iovecs of a shortened readv/writev, which live in ops_.
  ~ChaosBackend() { inner_.reset(); }
  ChaosBackend(const ChaosBackend&) = delete;
  ChaosBackend& operator=(const ChaosBackend&) = delete;

  int init(uint32_t capacity, const std::string& inner_options) {
    capacity_ = capacity;
    ops_.init(capacity);
    // Held: up to `capacity` final completions, plus one inner batch, which
    // with multi-completion ops may hold more than one completion per op
    // (the poller's holds up to 3 * capacity).
    const size_t held_room = static_cast<size_t>(capacity) * 4;
    held_.assign(held_room, Held{});
    due_.assign(held_room, 0);
    unflushed_.assign(capacity, 0);
    out_.assign(held_room, lio_completion{});
    out_is_timeout_.assign(held_room, 0);
    shuffle_at_.assign(held_room, 0);
    return inner_.create(registered_.inner, capacity, inner_options);
  }

  // What the inner backend declares (the kit refuses other codes in push).
  uint64_t capabilities() const noexcept { return registered_.vtable.capabilities; }
  uint64_t features() const noexcept { return registered_.vtable.features; }
  // Buffer groups: the inner backend's, untouched ([bufgroup.*]).
  int add_buffer_group(uint32_t group, void* base, uint32_t count, uint32_t size) noexcept {
    return inner_.add_buffer_group(group, base, count, size);
  }
  int return_buffer(uint32_t group, uint32_t buffer_id) noexcept { return inner_.return_buffer(group, buffer_id); }
  int remove_buffer_group(uint32_t group) noexcept { return inner_.remove_buffer_group(group); }
  int register_files(const lio_handle* handles, uint32_t count) noexcept {
    return inner_.register_files(handles, count);
  }
  int register_buffers(const lio_iovec* buffers, uint32_t count) noexcept {
    return inner_.register_buffers(buffers, count);
  }

  int push(uint64_t id, const lio_op& checked) noexcept {
    lio_op op = checked;  // chaos may shorten it
    // Roll every die on every push, so one decision never shifts the others.
    const bool roll_eagain = rng_.chance(knobs_.eagain);
    const bool roll_eintr = rng_.chance(knobs_.eintr);
    const bool roll_short = rng_.chance(knobs_.short_io);
    const uint64_t cut = rng_.next();

    if (ops_.full()) return -LIO_EAGAIN;
    const uint32_t slot = ops_.insert(id);
    if (slot == ops_.kNone) return -LIO_EEXIST;
    Slot& s = ops_[slot];
    s = Slot{};
    const bool in_chain = after_link_ || (op.flags & LIO_OPF_LINK) != 0;
    after_link_ = (op.flags & LIO_OPF_LINK) != 0;
    s.is_timeout = op.code == LIO_OP_TIMEOUT || in_chain;
    s.streams = streams(op.code);

    if (op.flags == 0 && !in_chain && interruptible(op.code) && (roll_eagain || roll_eintr)) {
      HandleKind kind = kind_of(op.handle);
      bool slow = (kind == HandleKind::kSocket || kind == HandleKind::kFifo) && would_block(op);
      if (slow && roll_eagain && ((msg_flags(op) & MSG_DONTWAIT) != 0 || is_nonblocking(op.handle))) {
        return queue_synthetic(slot, -LIO_EAGAIN);
      }
      if (slow && roll_eintr) return queue_synthetic(slot, -LIO_EINTR);
    }
    if (op.flags == 0 && !in_chain && roll_short) shorten(op, s, cut);

    if (int error = inner_.push(id, &op); error < 0) {
      ops_.erase(slot);
      return error;
    }
    s.state = State::kInner;
    return 0;
  }

  int flush() noexcept {
    after_link_ = false;  // [link.flush_ends]
    int handed = inner_.flush();
    if (handed < 0) return handed;
    return handed + static_cast<int>(release_synthetic(monotonic_ns()));
  }

  int wait(int64_t timeout_ns, const lio_completion** out) noexcept {
    *out = out_.data();
    // wait flushes what was pushed, also when it returns before reaching
    // the inner wait (a wake, or held-back completions now due).
    after_link_ = false;
    if (int handed = inner_.flush(); handed < 0) return handed;
    const int64_t start = monotonic_ns();
    const int64_t deadline = timeout_ns > 0 ? plugin::saturating_add(start, timeout_ns) : start;
    release_synthetic(start);
    uint32_t count = 0;
    bool woken = false;
    for (bool first = true;; first = false) {
      const int64_t now = monotonic_ns();
      if (woken_.exchange(false, std::memory_order_acq_rel)) woken = true;
      forward_due_cancels(now);
      count = release_due(now);
      if (count > 0 || woken) break;
      // How long the inner backend may block: the caller's time left,
      // bounded by the next thing chaos itself must do.
      int64_t inner_timeout;
      if (timeout_ns == 0) {
        if (!first) break;
        inner_timeout = 0;
      } else if (timeout_ns > 0) {
        if (now >= deadline) break;
        inner_timeout = deadline - now;
      } else {
        inner_timeout = -1;
      }
      if (int64_t next = next_event_ns(); next != INT64_MAX) {
        int64_t until = std::max<int64_t>(next - now, 0);
        inner_timeout = inner_timeout < 0 ? until : std::min(inner_timeout, until);
      }
      const lio_completion* batch = nullptr;
      int n = inner_.wait(inner_timeout, &batch);
      if (n < 0) return n;
      intake(batch, static_cast<uint32_t>(n), monotonic_ns());
    }
    shuffle(count);
    return static_cast<int>(count);
  }

  int cancel(uint64_t id) noexcept {
    const uint32_t slot = ops_.find(id);
    if (slot == ops_.kNone) return -LIO_ENOENT;
    Slot& s = ops_[slot];
    // Never performed: cancelled, truthfully.
    if (s.synthetic) {
      s.result = -LIO_ECANCELED;
      return 0;
    }
    // Already complete in chaos: the op won the race.
    if (s.state != State::kInner || s.cancel_pending) return 0;
    if (rng_.chance(knobs_.cancel_race)) {
      s.cancel_pending = true;
      s.cancel_due_ns = monotonic_ns() + static_cast<int64_t>(rng_.upto(knobs_.cancel_delay_max_us) * 1000);
      ++pending_cancels_;
      return 0;
    }
    int rc = inner_.cancel(id);
    return rc == -LIO_ENOENT ? 0 : rc;  // in flight for the caller until wait returns it
  }

  int wake() noexcept {
    woken_.store(true, std::memory_order_release);
    return inner_.wake();
  }

 private:
  int queue_synthetic(uint32_t slot, int64_t result) {
    Slot& s = ops_[slot];
    s.state = State::kSynthetic;
    s.synthetic = true;
    s.result = result;
    unflushed_[unflushed_count_++] = slot;
    return 0;
  }

  // Asks for fewer bytes where a blocking call could have moved fewer.
  void shorten(lio_op& op, Slot& s, uint64_t cut) {
    switch (op.code) {
      case LIO_OP_RECV:
        if (op.u.sr.flags & MSG_WAITALL) return;
        [[fallthrough]];
      case LIO_OP_SEND:
        if (op.u.sr.len > 1 && is_stream_socket(op.handle)) op.u.sr.len = 1 + cut % (op.u.sr.len - 1);
        return;
      case LIO_OP_READ:
      case LIO_OP_WRITE:
        if (op.u.rw.len > 1 && is_stream_socket(op.handle)) op.u.rw.len = 1 + cut % (op.u.rw.len - 1);
        return;
      case LIO_OP_READV:
      case LIO_OP_WRITEV: {
        const lio_iovec* iov = op.u.rwv.iov;
        if (iov == nullptr || !is_stream_socket(op.handle)) return;
        uint64_t total = 0;
        for (uint32_t i = 0; i < op.u.rwv.iovcnt; ++i) {
          if (iov[i].len > UINT64_MAX - total) return;
          total += iov[i].len;
        }
        if (total <= 1) return;
        uint64_t want = 1 + cut % (total - 1);
        uint64_t before = 0;
        for (uint32_t i = 0; i < op.u.rwv.iovcnt && i < kMaxShortIov; ++i) {
          s.iov[i] = iov[i];
          if (before + iov[i].len >= want) {
            s.iov[i].len = want - before;
            op.u.rwv.iov = s.iov;
            op.u.rwv.iovcnt = i + 1;
            return;
          }
          before += iov[i].len;
        }
        return;  // the cut lies past kMaxShortIov iovecs: leave it whole
      }
      default:
        return;
    }
  }

  // Synthetic ops pushed since the last flush become due; how many.
  uint32_t release_synthetic(int64_t now) {
    uint32_t n = unflushed_count_;
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t slot = unflushed_[i];
      hold(ops_.id(slot), ops_[slot].result, ops_[slot], now);
    }
    unflushed_count_ = 0;
    return n;
  }

  // A completed op enters the held list, due now or after a delay. A MORE
  // completion of a stream ([multishot.more]) is due now and leaves the op
  // in the inner backend; the stream's final one may be delayed, and comes
  // after it: release order is (time, arrival), and the MOREs are never
  // delayed, so a delay never puts a final completion before a MORE one.
  void hold(uint64_t id, int64_t result, Slot& s, int64_t now, uint32_t flags = 0) {
    if (flags & LIO_COMPLETION_MORE) {
      held_[held_count_++] = Held{id, result, now, sequence_++, false, flags, true};
      return;
    }
    s.state = State::kHeld;
    if (s.cancel_pending) {
      s.cancel_pending = false;  // done: its late cancel must never reach a reused id
      --pending_cancels_;
    }
    int64_t release = now;
    if (rng_.chance(knobs_.delay)) release += static_cast<int64_t>(rng_.upto(knobs_.delay_max_us) * 1000);
    if (s.is_timeout) {
      release = std::max(release, last_timeout_release_);
      last_timeout_release_ = release;
    }
    held_[held_count_++] = Held{id, result, release, sequence_++, s.is_timeout, flags, s.is_timeout || s.streams};
  }

  void intake(const lio_completion* batch, uint32_t n, int64_t now) {
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t slot = ops_.find(batch[i].id);
      if (slot == ops_.kNone || ops_[slot].state != State::kInner) continue;  // not ours to deliver
      hold(batch[i].id, batch[i].result, ops_[slot], now, batch[i].flags);
    }
  }

  // Moves every held op whose release time has come into out_, in release
  // order; returns how many.
  uint32_t release_due(int64_t now) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < held_count_; ++i) {
      if (held_[i].release_ns <= now) due_[n++] = i;
    }
    if (n == 0) return 0;
    std::sort(due_.begin(), due_.begin() + n, [this](uint32_t a, uint32_t b) {
      const Held& x = held_[a];
      const Held& y = held_[b];
      return x.release_ns != y.release_ns ? x.release_ns < y.release_ns : x.sequence < y.sequence;
    });
    for (uint32_t k = 0; k < n; ++k) {
      const Held& h = held_[due_[k]];
      out_[k] = lio_completion{h.id, h.result, h.flags, 0};
      out_is_timeout_[k] = h.in_place;
      if (h.flags & LIO_COMPLETION_MORE) continue;  // the stream goes on
      const uint32_t slot = ops_.find(h.id);
      if (slot != ops_.kNone) {
        if (ops_[slot].synthetic) out_[k].result = ops_[slot].result;  // a cancel may have changed it
        ops_[slot].state = State::kFree;
        ops_.erase(slot);
      }
    }
    uint32_t kept = 0;
    for (uint32_t i = 0; i < held_count_; ++i) {
      if (held_[i].release_ns > now) held_[kept++] = held_[i];
    }
    held_count_ = kept;
    return n;
  }

  // The nearest time chaos must act: a held op's release or a late cancel.
  int64_t next_event_ns() const {
    int64_t next = INT64_MAX;
    for (uint32_t i = 0; i < held_count_; ++i) next = std::min(next, held_[i].release_ns);
    if (pending_cancels_ > 0) {
      for (uint32_t s = 0; s < capacity_; ++s) {
        const Slot& slot = ops_[s];
        if (slot.state == State::kInner && slot.cancel_pending) next = std::min(next, slot.cancel_due_ns);
      }
    }
    return next;
  }

  void forward_due_cancels(int64_t now) {
    if (pending_cancels_ == 0) return;
    for (uint32_t s = 0; s < capacity_; ++s) {
      Slot& slot = ops_[s];
      if (slot.state != State::kInner || !slot.cancel_pending || slot.cancel_due_ns > now) continue;
      slot.cancel_pending = false;
      --pending_cancels_;
      inner_.cancel(ops_.id(s));  // -ENOENT: it finished meanwhile, and won
    }
  }

  // Shuffles the batch, leaving timeouts and the completions of streams
  // where they are (their order is part of the contract).
  void shuffle(uint32_t count) {
    if (count < 2 || !rng_.chance(knobs_.reorder)) return;
    uint32_t m = 0;
    for (uint32_t i = 0; i < count; ++i) {
      if (!out_is_timeout_[i]) shuffle_at_[m++] = i;
    }
    for (uint32_t i = m; i > 1; --i) {
      uint32_t j = static_cast<uint32_t>(rng_.upto(i - 1));
      std::swap(out_[shuffle_at_[i - 1]], out_[shuffle_at_[j]]);
    }
  }

  const Registered& registered_;
  const Knobs knobs_;
  Rng rng_;
  plugin::InnerBackend inner_;
  uint32_t capacity_ = 0;
  plugin::OpTable<Slot> ops_;
  std::vector<Held> held_;
  uint32_t held_count_ = 0;
  std::vector<uint32_t> due_;
  std::vector<uint32_t> unflushed_;  // slots of synthetic ops not yet flushed
  uint32_t unflushed_count_ = 0;
  std::vector<lio_completion> out_;
  std::vector<uint8_t> out_is_timeout_;
  std::vector<uint32_t> shuffle_at_;
  uint64_t sequence_ = 0;
  int64_t last_timeout_release_ = INT64_MIN;
  uint32_t pending_cancels_ = 0;
  bool after_link_ = false;  // the last op pushed carried LIO_OPF_LINK
  std::atomic<bool> woken_{false};
};


// ---- the C boundary: one set of functions per registered backend ----

template <size_t I>
int vt_probe(char* why, size_t why_size) noexcept {
  const Registered& r = plugin_state().backends[I];
  return plugin::probe_inner(r.name.c_str(), r.inner_name.c_str(), r.inner, why, why_size);
}

template <size_t I>
int vt_create(const lio_backend_config* config, lio_backend** out) noexcept {
  const Registered& r = plugin_state().backends[I];
  lio_backend_config settings;
  if (out == nullptr || plugin::read_config(config, &settings) != 0) return -LIO_EINVAL;
  if (r.inner == nullptr) return -LIO_ENOENT;
  try {
    Knobs knobs;
    std::string bad;
    if (!ApplyEnvironment(&knobs, &bad)) return -LIO_EINVAL;
    std::string inner_options;
    bool ok = plugin::split_options(settings.options, &inner_options,
                                    [&](std::string_view key, std::string_view value) {
                                      return SetKnob(&knobs, key, value);
                                    });
    if (!ok) return -LIO_EINVAL;
    uint64_t instance = plugin_state().instances.fetch_add(1, std::memory_order_relaxed);
    auto* backend = new ChaosBackend(r, knobs, instance);
    if (int error = backend->init(settings.capacity, inner_options); error < 0) {
      delete backend;
      return error;
    }
    *out = reinterpret_cast<lio_backend*>(backend);
    return 0;
  } catch (const std::bad_alloc&) {
    return -LIO_ENOMEM;
  }
}

using Thunks = plugin::InstanceThunks<ChaosBackend>;

// What the inner backend runs natively is what chaos runs natively: it
// changes results, never how an op is performed.
template <size_t I>
uint64_t vt_native_ops() noexcept {
  return plugin_state().backends[I].inner->native_ops();  // set only when it has one (fill_vtable)
}

template <size_t I>
void fill_vtable(Registered& r) {
  r.vtable = lio_backend_vtable{
      .struct_size = sizeof(lio_backend_vtable),
      .abi_version = LIO_ABI_VERSION,
      .name = r.name.c_str(),
      .description = r.description.c_str(),
      .capabilities = r.inner != nullptr ? r.inner->capabilities & LIO_CAP_ALL_OPS : 0,
      .priority = -100,  // a testing tool: never chosen by "auto"
      .reserved = 0,
      .probe = vt_probe<I>,
      .create = vt_create<I>,
      .destroy = Thunks::destroy,
      .push = Thunks::push,
      .flush = Thunks::flush,
      .wait = Thunks::wait,
      .cancel = Thunks::cancel,
      .wake = Thunks::wake,
      .features = plugin::inner_features(r.inner) &
                  (LIO_FEATURE_LINK | LIO_FEATURE_FIXED_FILES | LIO_FEATURE_FIXED_BUFFERS),
      .native_ops = nullptr,
      .register_files = Thunks::register_files,
      .register_buffers = Thunks::register_buffers,
  };
  const bool inner_says = r.inner != nullptr &&
                          r.inner->struct_size >= LIO_PLUGIN_SIZE_THROUGH(lio_backend_vtable, native_ops) &&
                          r.inner->native_ops != nullptr;
  r.vtable.native_ops = inner_says ? vt_native_ops<I> : nullptr;
  // 1.1: the features chaos passes through (buffer groups: the calls go to
  // the inner instance; completion flags are forwarded as they come).
  if (plugin::inner_features(r.inner) & LIO_FEATURE_BUFFER_GROUPS) {
    r.vtable.features |= LIO_FEATURE_BUFFER_GROUPS;
    r.vtable.add_buffer_group = Thunks::add_buffer_group;
    r.vtable.return_buffer = Thunks::return_buffer;
    r.vtable.remove_buffer_group = Thunks::remove_buffer_group;
  }
}

using FillFn = void (*)(Registered&);
constexpr FillFn kFill[kMaxRegistered] = {fill_vtable<0>, fill_vtable<1>, fill_vtable<2>, fill_vtable<3>};

// A backend name (plugin_abi.h's rule) that is not a chaos backend itself.
bool valid_inner_name(const std::string& name) {
  return lio_backend_name_valid(name.c_str()) && name.rfind("chaos", 0) != 0;
}

bool probe_passes(const lio_backend_vtable* vt) {
  char why[256];
  return vt != nullptr && vt->probe(why, sizeof why) >= 0;
}

}  // namespace
}  // namespace lio::chaos

extern "C" LIO_PLUGIN_EXPORT int lio_plugin_register(const lio_registrar* registrar) {
  using namespace lio::chaos;
  // Finding an inner backend may make the host load every plugin on the
  // search path — this one included, which would call us again.
  static bool registering = false;
  if (registering) return -LIO_EBUSY;
  if (lio::plugin::read_registrar(registrar) != 0 || !lio::plugin::keep_host(registrar)) return -LIO_EINVAL;
  registering = true;
  PluginState& state = plugin_state();
  state.count = 0;
  auto add = [&](std::string name, std::string inner_name, std::string how) {
    Registered& r = state.backends[state.count];
    r.name = std::move(name);
    r.inner_name = std::move(inner_name);
    // A chaos backend cannot wrap another one; probe then says it is missing.
    r.inner = valid_inner_name(r.inner_name) ? lio::plugin::find_backend(r.inner_name.c_str()) : nullptr;
    r.description = "fault injection over " + r.inner_name + how +
                    ": short I/O, EINTR/EAGAIN, delayed and reordered completions, late cancels";
    kFill[state.count](r);
    ++state.count;
  };
  add("chaos:io_uring", "io_uring", "");
  add("chaos:poller", "poller", "");
  const char* env = std::getenv("LIO_CHAOS_INNER");
  std::string chosen = env != nullptr ? env : "";
  if (!chosen.empty()) {
    if (valid_inner_name(chosen) && chosen != "io_uring" && chosen != "poller") add("chaos:" + chosen, chosen, "");
    add("chaos", chosen, " ($LIO_CHAOS_INNER)");
  } else {
    bool uring = probe_passes(state.backends[0].inner);
    add("chaos", uring ? "io_uring" : "poller", uring ? " (io_uring runs here)" : " (io_uring cannot run here)");
  }
  int rc = 0;
  for (size_t i = 0; i < state.count && rc == 0; ++i) {
    rc = registrar->register_backend(registrar->context, &state.backends[i].vtable);
  }
  registering = false;
  return rc;
}
