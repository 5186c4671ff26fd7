// liblio_io_uring.so — lio's Linux io_uring backend ("io_uring", priority 100,
// every op), built on liburing 2.3. Needs Linux 5.19 or newer (probe says which
// opcode is missing on an older kernel).
//
// Shape. One ring per instance. push fills an SQE (no system call), flush is
// one io_uring_submit, wait is one io_uring_enter per round (submit + wait for
// completions). An op's user_data is its slot in the OpTable plus a sequence
// number (user_data.h); what the kernel reads after push (msghdr, timespec)
// lives in that slot. The ring is set up with SINGLE_ISSUER | DEFER_TASKRUN |
// SUBMIT_ALL where the kernel has them (6.1+), else without.
//
// Sizes. capacity is 1..2^24. The SQ holds min(2 * capacity + 1, 32768)
// entries (rounded up to a power of two): up to capacity 16383 every user op,
// a cancel for each, and the eventfd read behind wake fit; the CQ is twice
// the SQ (at most 65536, the kernel's limit), so up to capacity 32767 it
// cannot overflow. Past that, more ops can complete at once than the CQ
// holds: the kernel keeps the rest on its overflow list (IORING_FEAT_NODROP)
// and hands them over as wait empties the CQ.
//
// Options ("key=value,..."; NULL and "" mean the defaults; any other key is
// -LIO_EINVAL):
//   single_issuer=1  (default) SINGLE_ISSUER | DEFER_TASKRUN: completions are
//                    processed only when this thread waits, the cheapest way.
//   single_issuer=0  neither flag (as on kernels before 6.1): the ring may be
//                    driven from a thread other than the one that created it
//                    (one thread at a time, as every backend requires).
//
// Environment: LIO_IO_URING_FORCE_PROBE_FAILURE, set non-empty, makes probe
// fail with -LIO_ENOSYS and say so (for testing hosts' fallback paths).
//
// Beyond plugin_abi.h, and where it bends:
// - Thread: by default the ring belongs to the thread that called create
//   (SINGLE_ISSUER, DEFER_TASKRUN). Every call but wake — destroy included —
//   must come from it; from another thread the kernel answers flush and wait
//   with -EEXIST, and destroy cannot wait for in-flight ops. single_issuer=0
//   lifts this.
// - capacity > 16383: the SQ (at most 32768 entries) can no longer hold
//   every queued op and a cancel for each. push and cancel then call
//   io_uring_submit when the SQ is full — the one case where they make a
//   system call — handing over what is queued (the next flush counts only
//   what is left). push answers -LIO_EAGAIN below capacity only if that
//   submit fails.
// - capacity > 32767: a CQE the kernel cannot allocate room for on its
//   overflow list (an atomic allocation failing) is lost; the kernel counts
//   it in the CQ's overflow field. Up to 32767 the CQ always has room.
// - cancel of an op that already has a cancel under way answers 0 and queues
//   nothing; once that cancel has come back, asking again sends another.
// - cancel returns io_uring_submit's error in the rare case above when the
//   submit fails.
// - An op running in an io-wq worker (a FIFO's openat waiting for its peer)
//   is cancelled by interrupting it; it then completes with -ECANCELED, and
//   an interrupted op that nobody cancelled with -EINTR, never with the
//   kernel-internal -ERESTART* codes io_uring can pass through.
// - 1.1: ACCEPT_MULTI, RECV_MULTI, SEND_ZC and LIO_FEATURE_BUFFER_GROUPS are
//   native (multishot accept/recv, provided buffer rings, IORING_OP_SEND_ZC);
//   the declaration assumes Linux 6.0 (older kernels answer their SQEs with
//   -EINVAL). A multishot op holds its slot while CQEs carry F_MORE; the
//   first without it is its final completion (op_prep_multishot.cc).
//   RECV_MULTI passes u.sr.len to the kernel as its per-completion limit;
//   kernels before 6.10 take only 0 there (others: -EINVAL).
// - SEND_ZC on a socket without zero copy (AF_UNIX): the kernel refuses it
//   (-EOPNOTSUPP, then a notice); the backend then runs a plain send, as the
//   blocking send(2) would copy, and the op completes once, without MORE.
//   That send's SQE counts in the flush that hands it over (rare: its
//   push was counted before).
// - openat always runs in a worker (IOSQE_ASYNC): io_uring's inline attempt
//   opens as if O_NONBLOCK were set, which answers differently for FIFOs.
#include <errno.h>
#include <liburing.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <string_view>
#include <vector>

#include "lio/core/plugin_abi.h"
#include "lio/plugins/common/backend_kit.h"
#include "lio/plugins/common/clock.h"
#include "lio/plugins/common/op_table.h"
#include "lio/plugins/common/options.h"
#include "lio/plugins/io_uring/buffer_rings.h"
#include "lio/plugins/io_uring/op_prep.h"
#include "lio/plugins/io_uring/probe.h"
#include "lio/plugins/io_uring/user_data.h"

namespace lio::io_uring_plugin {
namespace {

constexpr uint32_t kMaxSqEntries = 32768;  // the kernel's IORING_MAX_ENTRIES
// user_data keeps a slot in 32 bits and the id index twice as many buckets as
// slots; 2^24 ops (about 2 GiB of slots and index) is far beyond any ring.
constexpr uint32_t kMaxCapacity = uint32_t{1} << 24;
// Setup flag sets from best to plainest; the next is tried when the kernel
// answers -EINVAL (it predates a flag). single_issuer=0 starts at the second.
constexpr unsigned kSetupFlagSets[] = {
    IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL,
    IORING_SETUP_SUBMIT_ALL,
    0,
};

struct Options {
  bool single_issuer = true;
};
// How long destroy waits for cancelled ops before asking again.
constexpr int64_t kDrainRetryNs = 1'000'000'000;

__kernel_timespec to_kernel_timespec(int64_t ns) {
  ns = std::max<int64_t>(ns, 0);
  return {.tv_sec = ns / 1'000'000'000, .tv_nsec = ns % 1'000'000'000};
}

// Kernel-internal "restart" codes never reach a program from a syscall; an
// op interrupted in an io-wq worker can still complete with one.
constexpr int kErestartSys = 512;
constexpr int kErestartNoIntr = 513;
constexpr int kErestartNoHand = 514;
constexpr int kErestartRestartBlock = 516;

bool interrupted(int result) {
  return result == -EINTR || result == -kErestartSys || result == -kErestartNoIntr || result == -kErestartNoHand ||
         result == -kErestartRestartBlock;
}

// The result as the caller sees it. A poll reports what poll(2) would. An op
// that was running in a worker when cancelled is interrupted by a signal
// rather than removed: that is the cancel taking effect, so it reads
// -ECANCELED like any other cancelled op.
int64_t delivered_result(int result, const OpStorage& op) {
  if (result >= 0) return op.poll_reportable != 0 ? result & op.poll_reportable : result;
  if (!interrupted(result)) return result;
  return op.cancel_asked ? -LIO_ECANCELED : -LIO_EINTR;
}

// False for an unknown key or a bad value: a typo to report.
bool parse_options(const char* text, Options* out) {
  return plugin::for_each_option(text, [out](std::string_view key, std::string_view value) {
    uint64_t number = 0;
    if (key != "single_issuer" || !plugin::parse_uint(value, 0, 1, &number)) return false;
    out->single_issuer = number == 1;
    return true;
  });
}

class IoUringBackend {
 public:
  IoUringBackend() = default;
  IoUringBackend(const IoUringBackend&) = delete;
  IoUringBackend& operator=(const IoUringBackend&) = delete;
  ~IoUringBackend() { shut_down(); }

  static int probe(char* why, size_t why_size) noexcept { return io_uring_plugin::probe(why, why_size); }
  // Everything the submit/complete path needs, for config.capacity ops.
  // Throws std::bad_alloc; other failures are a negative error.
  static int create(const lio_backend_config& config, std::unique_ptr<IoUringBackend>* out);

  uint64_t capabilities() const noexcept { return kCapabilities; }
  int push(uint64_t id, const lio_op& op) noexcept;
  int flush() noexcept;
  int wait(int64_t timeout_ns, const lio_completion** out) noexcept;
  int cancel(uint64_t id) noexcept;
  int wake() noexcept;

  // 1.1 ([multishot.*], [bufgroup.*], [send_zc.notice]); all native.
  uint64_t features() const noexcept { return kFeatures; }
  static uint64_t native_ops() noexcept { return kCapabilities; }
  int add_buffer_group(uint32_t group, void* base, uint32_t count, uint32_t size) noexcept {
    return rings_.add(&ring_, group, base, count, size);
  }
  int return_buffer(uint32_t group, uint32_t buffer_id) noexcept { return rings_.give_back(group, buffer_id); }
  int remove_buffer_group(uint32_t group) noexcept { return rings_.remove(&ring_, group); }

  // SEND_ZC and multishot recv need Linux 6.0; the rest of the codes 5.19.
  static constexpr uint64_t kCapabilities =
      LIO_CAP_OPS_1_0 | LIO_CAP(LIO_OP_ACCEPT_MULTI) | LIO_CAP(LIO_OP_RECV_MULTI) | LIO_CAP(LIO_OP_SEND_ZC);
  static constexpr uint64_t kFeatures = LIO_FEATURE_BUFFER_GROUPS;

 private:
  int init(uint32_t capacity, const Options& options);
  int setup_ring(uint32_t capacity, const Options& options);
  void arm_wake_read();
  io_uring_sqe* sqe_or_submit(int* error);
  io_uring_sqe* submit_for_sqe(int* error);
  int enter(int64_t timeout_ns, int64_t deadline_ns);
  uint32_t account_submission();
  uint32_t unconsumed_user_sqes() const;
  uint32_t reap();
  bool complete(const io_uring_cqe& cqe, lio_completion& out);
  bool complete_flagged(const io_uring_cqe& cqe, uint32_t slot, lio_completion& out);
  bool send_zc_by_copy(const io_uring_cqe& cqe, uint32_t slot);
  void on_internal(const io_uring_cqe& cqe);
  void drain();
  void shut_down();

  io_uring ring_{};
  bool ring_ready_ = false;
  bool shutting_down_ = false;
  int wake_fd_ = -1;
  uint64_t wake_value_ = 0;  // the armed eventfd read's buffer
  bool wake_armed_ = false;  // that read is queued or in the kernel
  bool woken_ = false;       // this wait reaped it
  uint32_t queued_user_ = 0;  // user SQEs the kernel has not consumed yet
  uint32_t seq_ = 1;
  plugin::OpTable<OpStorage> ops_;
  std::vector<KernelArgs> kernel_args_;  // per slot, beside ops_
  std::vector<lio_completion> completions_;
  BufferRings rings_;  // after ring_'s exit in shut_down, its memory goes
};

int IoUringBackend::init(uint32_t capacity, const Options& options) {
  ops_.init(capacity);
  kernel_args_.assign(capacity, KernelArgs{});
  completions_.assign(capacity, lio_completion{});
  // Non-blocking so wake never blocks on a saturated counter; the ring's read
  // of it waits by polling either way.
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) return -errno;
  if (int error = setup_ring(capacity, options); error < 0) return error;
  arm_wake_read();
  int submitted = io_uring_submit(&ring_);
  return submitted < 0 ? submitted : 0;
}

int IoUringBackend::setup_ring(uint32_t capacity, const Options& options) {
  const uint32_t sq_entries = std::bit_ceil(std::min(2 * capacity + 1, kMaxSqEntries));
  const std::span<const unsigned> flag_sets = std::span(kSetupFlagSets).subspan(options.single_issuer ? 0 : 1);
  int error = -EINVAL;
  for (unsigned flags : flag_sets) {
    io_uring_params params{};
    params.flags = flags | IORING_SETUP_CQSIZE;
    params.cq_entries = 2 * sq_entries;
    error = io_uring_queue_init_params(sq_entries, &ring_, &params);
    if (error != -EINVAL) break;
  }
  if (error < 0) return error;
  ring_ready_ = true;
  return 0;
}

int IoUringBackend::create(const lio_backend_config& config, std::unique_ptr<IoUringBackend>* out) {
  if (config.capacity > kMaxCapacity) return -LIO_EINVAL;
  Options options;
  if (!parse_options(config.options, &options)) return -LIO_EINVAL;
  auto backend = std::make_unique<IoUringBackend>();
  if (int error = backend->init(config.capacity, options); error < 0) return error;
  *out = std::move(backend);
  return 0;
}

int IoUringBackend::push(uint64_t id, const lio_op& op) noexcept {
  const uint32_t slot = ops_.insert(id);
  if (slot == ops_.kNone) return ops_.full() ? -LIO_EAGAIN : -LIO_EEXIST;
  int error = 0;
  io_uring_sqe* sqe = sqe_or_submit(&error);
  if (sqe == nullptr) {  // only with capacity > 16383, when the SQ is full and submit failed
    ops_.erase(slot);
    return -LIO_EAGAIN;
  }
  OpStorage& storage = ops_[slot];
  storage.user_data = op_user_data(seq_, slot);
  seq_ = next_seq(seq_);
  prep_sqe(op, storage, kernel_args_[slot], sqe);
  if (storage.takes_buffer) [[unlikely]] storage.group_counted = rings_.count_op(storage.buf_group);
  io_uring_sqe_set_data64(sqe, storage.user_data);
  ++queued_user_;
  return 0;
}

int IoUringBackend::flush() noexcept {
  if (io_uring_sq_ready(&ring_) == 0) return 0;
  const int submitted = io_uring_submit(&ring_);
  const uint32_t handed_over = account_submission();
  if (submitted < 0 && handed_over == 0) return submitted;
  return static_cast<int>(handed_over);
}

int IoUringBackend::wait(int64_t timeout_ns, const lio_completion** out) noexcept {
  *out = completions_.data();
  woken_ = false;
  const int64_t deadline_ns = timeout_ns > 0 ? plugin::deadline_after(timeout_ns) : 0;
  for (;;) {
    if (!wake_armed_) arm_wake_read();  // the SQ had no room when it last came back
    // Completions already in the CQ and nothing to submit: hand them out
    // without entering the kernel, so a push/flush/wait round costs one
    // system call (the flush), as with raw liburing.
    if (io_uring_sq_ready(&ring_) == 0 && io_uring_cq_ready(&ring_) > 0) {
      const uint32_t ready = reap();
      if (ready > 0 || woken_) return static_cast<int>(ready);
    }
    const int entered = enter(timeout_ns, deadline_ns);
    account_submission();
    const uint32_t reaped = reap();
    if (reaped > 0 || woken_) return static_cast<int>(reaped);
    // Signals and the kernel's own timeout are ours to absorb; the loop
    // decides from the clock whether time is up.
    if (entered < 0 && entered != -EINTR && entered != -ETIME) return entered;
    if (timeout_ns == 0) return 0;
    if (timeout_ns > 0 && plugin::monotonic_ns() >= deadline_ns) return 0;
  }
}

// One io_uring_enter: submits whatever is queued and, with GETEVENTS, runs the
// task work DEFER_TASKRUN holds back, so finished ops show up in the CQ.
int IoUringBackend::enter(int64_t timeout_ns, int64_t deadline_ns) {
  if (timeout_ns == 0) return io_uring_submit_and_get_events(&ring_);
  if (timeout_ns < 0) return io_uring_submit_and_wait(&ring_, 1);
  __kernel_timespec remaining = to_kernel_timespec(deadline_ns - plugin::monotonic_ns());
  io_uring_cqe* first = nullptr;
  return io_uring_submit_and_wait_timeout(&ring_, &first, 1, &remaining, nullptr);
}

int IoUringBackend::cancel(uint64_t id) noexcept {
  const uint32_t slot = ops_.find(id);
  if (slot == ops_.kNone) return -LIO_ENOENT;
  OpStorage& storage = ops_[slot];
  if (storage.cancel_pending) return 0;  // asking twice changes nothing
  int error = 0;
  io_uring_sqe* sqe = sqe_or_submit(&error);
  if (sqe == nullptr) return error;
  // An op pushed but not flushed sits earlier in the SQ, so the kernel has
  // issued it by the time it reads this cancel.
  io_uring_prep_cancel64(sqe, storage.user_data, 0);
  io_uring_sqe_set_data64(sqe, cancel_user_data(storage.user_data));
  storage.cancel_pending = true;
  storage.cancel_asked = true;
  return 0;
}

int IoUringBackend::wake() noexcept {
  const uint64_t one = 1;
  for (;;) {
    const ssize_t written = write(wake_fd_, &one, sizeof one);
    if (written == static_cast<ssize_t>(sizeof one)) return 0;
    if (written < 0 && errno == EINTR) continue;
    if (written < 0 && errno == EAGAIN) return 0;  // counter saturated: a wake is pending already
    return written < 0 ? -errno : -LIO_EIO;
  }
}

void IoUringBackend::arm_wake_read() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) return;  // wait tries again before it enters
  io_uring_prep_read(sqe, wake_fd_, &wake_value_, sizeof wake_value_, 0);
  io_uring_sqe_set_data64(sqe, kWakeUserData);
  wake_armed_ = true;
}

// An SQE. A full SQ (possible only with capacity > 16383) is submitted
// first: the one system call outside flush and wait. The common case stays
// inline in push; the submit is out of line.
inline io_uring_sqe* IoUringBackend::sqe_or_submit(int* error) {
  if (io_uring_sqe* sqe = io_uring_get_sqe(&ring_)) return sqe;
  return submit_for_sqe(error);
}

__attribute__((noinline)) io_uring_sqe* IoUringBackend::submit_for_sqe(int* error) {
  const int submitted = io_uring_submit(&ring_);
  account_submission();
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) *error = submitted < 0 ? submitted : -LIO_EAGAIN;
  return sqe;
}

// After a submit: how many user ops the kernel took, so flush can say.
uint32_t IoUringBackend::account_submission() {
  const uint32_t left = unconsumed_user_sqes();
  const uint32_t handed_over = queued_user_ - left;
  queued_user_ = left;
  return handed_over;
}

// User SQEs still in the SQ ring (the kernel stopped early, or failed). The
// ring maps position i to sqes[i & mask] (liburing keeps sq.array identity).
uint32_t IoUringBackend::unconsumed_user_sqes() const {
  if (queued_user_ == 0) return 0;
  uint32_t count = 0;
  for (unsigned at = *ring_.sq.khead; at != ring_.sq.sqe_tail; ++at) {
    if (!is_internal(ring_.sq.sqes[at & ring_.sq.ring_mask].user_data)) ++count;
  }
  return count;
}

// Moves every CQE in the ring into completions_ (user ops) or swallows it
// (cancels, the wake read). Single-completion ops never outnumber the ops in
// flight, but a multishot op may post many CQEs: when completions_ (capacity
// entries) is full the rest stay in the CQ for the next wait.
uint32_t IoUringBackend::reap() {
  uint32_t count = 0;
  unsigned head = 0;
  unsigned seen = 0;
  io_uring_cqe* cqe = nullptr;
  io_uring_for_each_cqe(&ring_, head, cqe) ops_.prefetch_erase(slot_of(cqe->user_data));
  io_uring_for_each_cqe(&ring_, head, cqe) {
    if (!is_internal(cqe->user_data) && count == completions_.size()) break;
    ++seen;
    if (is_internal(cqe->user_data)) {
      on_internal(*cqe);
    } else if (complete(*cqe, completions_[count])) {
      ++count;
    }
  }
  io_uring_cq_advance(&ring_, seen);
  if (!wake_armed_ && !shutting_down_) arm_wake_read();
  return count;
}

// A user op's CQE: deliver it once and free its slot. A CQE that matches no
// op in flight is dropped rather than reported under a wrong id.
bool IoUringBackend::complete(const io_uring_cqe& cqe, lio_completion& out) {
  const uint32_t slot = slot_of(cqe.user_data);
  if (slot >= ops_.capacity() || ops_[slot].user_data != cqe.user_data) return false;
  OpStorage& storage = ops_[slot];
  if (storage.flagged) [[unlikely]] return complete_flagged(cqe, slot, out);
  if (storage.recvmsg_out != nullptr && cqe.res >= 0) {
    const msghdr& msg = kernel_args_[slot].msg;
    storage.recvmsg_out->namelen = msg.msg_namelen;
    storage.recvmsg_out->controllen = msg.msg_controllen;
    storage.recvmsg_out->flags = msg.msg_flags;
  }
  out = lio_completion{
      .id = ops_.id(slot), .result = delivered_result(cqe.res, storage), .flags = 0, .reserved = 0};
  storage.user_data = 0;
  ops_.erase(slot);
  return true;
}

// A CQE of an op whose CQEs carry flags. With MORE the op stays in flight
// (slot and id held) — the kernel posts more for the same user_data; the
// first CQE without MORE is its final completion ([multishot.final_once]):
// a multishot the kernel ended (-ENOBUFS, end of stream, a cancel) ends so.
bool IoUringBackend::complete_flagged(const io_uring_cqe& cqe, uint32_t slot, lio_completion& out) {
  OpStorage& storage = ops_[slot];
  if (send_zc_by_copy(cqe, slot)) return false;
  // A SEND_ZC done by copy has one completion, without flags.
  const uint32_t flags = storage.zc_refused ? 0 : completion_flags(cqe.flags);
  const int64_t result = storage.forced_result < 0 ? storage.forced_result : delivered_result(cqe.res, storage);
  if (flags & LIO_COMPLETION_BUFFER) rings_.mark_lent(storage.buf_group, LIO_COMPLETION_BUFFER_ID(flags));
  out = lio_completion{.id = ops_.id(slot), .result = result, .flags = flags, .reserved = 0};
  if (flags & LIO_COMPLETION_MORE) return true;
  if (storage.group_counted) rings_.count_done(storage.buf_group);
  storage.user_data = 0;
  ops_.erase(slot);
  return true;
}

// SEND_ZC on a socket with no zero copy (AF_UNIX, ...): the kernel answers
// -EOPNOTSUPP, then a notice. The blocking send(2) would copy instead, so
// both CQEs are swallowed and a plain send of the same bytes runs under the
// op's user_data; its CQE is the op's one completion (no MORE, no notice).
// True when `cqe` was swallowed. The send's SQE is submitted by the wait
// that reaped it (or the next flush, which then counts it as handed over).
bool IoUringBackend::send_zc_by_copy(const io_uring_cqe& cqe, uint32_t slot) {
  OpStorage& storage = ops_[slot];
  if (!storage.zc_refused) {
    if (cqe.res != -EOPNOTSUPP || (cqe.flags & IORING_CQE_F_MORE) == 0 || !storage.zero_copy) return false;
    storage.zc_refused = true;  // its notice follows
    return true;
  }
  if ((cqe.flags & IORING_CQE_F_NOTIF) == 0) return false;  // the copying send's own CQE
  if (storage.cancel_asked) {
    storage.forced_result = -LIO_ECANCELED;  // this notice ends the op
    return false;
  }
  int error = 0;
  io_uring_sqe* sqe = sqe_or_submit(&error);
  if (sqe == nullptr) {
    storage.forced_result = error;
    return false;
  }
  const auto& send = kernel_args_[slot].send_zc;
  io_uring_prep_send(sqe, send.fd, send.buf, send.len, send.flags);
  io_uring_sqe_set_data64(sqe, storage.user_data);
  ++queued_user_;
  return true;
}

void IoUringBackend::on_internal(const io_uring_cqe& cqe) {
  if (cqe.user_data == kWakeUserData) {
    wake_armed_ = false;
    if (cqe.res > 0) woken_ = true;
    return;
  }
  // A cancel came back: its op (if still the same one) may be cancelled again.
  const uint64_t target = cancel_target(cqe.user_data);
  const uint32_t slot = slot_of(target);
  if (slot < ops_.capacity() && ops_[slot].user_data == target) ops_[slot].cancel_pending = false;
}

// Cancels everything in flight — ops pushed but never flushed too, as they
// precede the cancel in the SQ — and reaps until every op and the wake read
// are back, delivering nothing. An op that was already running may outlive
// the cancel; it is asked again each kDrainRetryNs until it finishes.
void IoUringBackend::drain() {
  bool ask = true;
  while (ops_.size() > 0 || wake_armed_) {
    if (ask) {
      int error = 0;
      io_uring_sqe* sqe = sqe_or_submit(&error);
      if (sqe == nullptr) return;
      io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
      io_uring_sqe_set_data64(sqe, kCancelAllUserData);
      ask = false;
    }
    __kernel_timespec patience = to_kernel_timespec(kDrainRetryNs);
    io_uring_cqe* first = nullptr;
    const int entered = io_uring_submit_and_wait_timeout(&ring_, &first, 1, &patience, nullptr);
    account_submission();
    const uint32_t reaped = reap();
    // Any other error (e.g. called from a thread that does not own the ring)
    // means this ring can do no more; io_uring_queue_exit cancels the rest.
    if (entered < 0 && entered != -EINTR && entered != -ETIME) return;
    if (reaped == 0 && entered == -ETIME) ask = true;
  }
}

void IoUringBackend::shut_down() {
  shutting_down_ = true;
  if (ring_ready_) {
    drain();
    io_uring_queue_exit(&ring_);
    ring_ready_ = false;
    rings_.release_all();
  }
  if (wake_fd_ >= 0) close(wake_fd_);
  wake_fd_ = -1;
}

// ---- The C boundary (the plugin kit: lio/plugins/common/backend_kit.h) ----

constexpr lio_backend_vtable kVtable = plugin::make_vtable<IoUringBackend>(
    "io_uring", "Linux io_uring (liburing): one io_uring_enter per flush, native cancel and timeouts",
    IoUringBackend::kCapabilities, /*priority=*/100, IoUringBackend::kFeatures);

}  // namespace
}  // namespace lio::io_uring_plugin

extern "C" LIO_PLUGIN_EXPORT int lio_plugin_register(const lio_registrar* registrar) {
  return lio::plugin::register_backends(registrar, {&lio::io_uring_plugin::kVtable});
}
