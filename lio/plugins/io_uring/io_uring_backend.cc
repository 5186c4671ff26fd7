// liblio_io_uring.so — lio's Linux io_uring backend ("io_uring", priority 100,
// every op), built on liburing 2.3. Needs Linux 5.19 or newer (probe says which
// opcode is missing on an older kernel).
//
// Shape. One ring per instance. push fills an SQE (no system call), flush is
// one io_uring_submit, wait is one io_uring_enter per round (submit + wait for
// completions). An op's user_data is its slot in the OpTable plus a sequence
// number (user_data.h); what the kernel reads after push (msghdr, timespec)
// lives in that slot. Under LIO_CONFIG_UNIQUE_IDS the common ops (nop, read,
// write, send, recv, ... without 1.1 flags) skip the table: their user_data
// is the caller's id itself, cancel is matched by the kernel, and the CQE is
// the completion (a direct op; user_data.h). The ring is set up with SINGLE_ISSUER | DEFER_TASKRUN |
// SUBMIT_ALL where the kernel has them (6.1+), else without.
//
// Sizes. capacity is 1..2^24. The SQ holds min(2 * capacity + 1, 4096)
// entries (rounded up to a power of two; option sq_entries sets it): up to
// capacity 2047 every user op, a cancel for each, and the eventfd read behind
// wake fit. It stops at 4096 because it only holds what is pushed between two
// flushes, and a ring sized from a large capacity (the Loop opens io_uring for
// 16 x its capacity) walks 2 MiB of cold SQEs on every push. The CQ holds
// 2 * capacity + 1 (rounded up; at least twice the SQ, at most 65536, the
// kernel's limit), so up to capacity 32767 it cannot overflow. Past that, more
// ops can complete at once than the CQ holds: the kernel keeps the rest on its
// overflow list (IORING_FEAT_NODROP) and hands them over as wait empties it.
//
// Options ("key=value,..."; NULL and "" mean the defaults; any other key is
// -LIO_EINVAL):
//   single_issuer=1  (default) SINGLE_ISSUER | DEFER_TASKRUN: completions are
//                    processed only when this thread waits, the cheapest way.
//   single_issuer=0  neither flag (as on kernels before 6.1): the ring may be
//                    driven from a thread other than the one that created it
//                    (one thread at a time, as every backend requires).
//   native_fs=1      (default) the 1.1 file-system ops (ftruncate, linkat,
//                    symlinkat, renameat, unlinkat, mkdirat, statx,
//                    fallocate, fadvise) as their own SQEs where the kernel
//                    has the opcode (native_ops() says which).
//   native_fs=0      all of them emulated, as on a kernel without those
//                    opcodes: a NOP SQE holds the op's place and the blocking
//                    call runs on the waiting thread when it comes back (for
//                    testing that path; it blocks the loop on a slow disk).
//   sqpoll=1         IORING_SETUP_SQPOLL: a kernel thread takes the SQEs, so
//                    a flush publishes them and makes a system call only to
//                    wake that thread when it went idle ([flush.one_syscall]
//                    holds as "at most one"; [flush.count] counts what was
//                    published). No DEFER_TASKRUN with it. Where the kernel
//                    refuses SQPOLL (before 5.11 without CAP_SYS_ADMIN, or a
//                    policy) create answers its error, -LIO_EPERM.
//   sqpoll_idle_ms=N how long that thread spins without work before it
//                    sleeps (0, the default: the kernel's 1000 ms).
//   sq_entries=N     the SQ's size, 1..32768 (rounded up to a power of two).
//   open_async=1     (default) OPENAT goes straight to an io-wq worker
//                    (IOSQE_ASYNC), which opens exactly as blocking open(2):
//                    a FIFO's reader waits for a writer.
//   open_async=0     the kernel's own way: it first tries the open inline as
//                    if O_NONBLOCK were set (cached path lookup only) and
//                    hands it to a worker only when that would block — no
//                    thread hop for a regular file whose path is cached (a
//                    static-file server's every request), but a FIFO or a
//                    device that honours O_NONBLOCK at open answers as with
//                    it (a FIFO reader does not wait; a writer without a
//                    reader gets -ENXIO).
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
// - capacity > 2047 (or a smaller sq_entries): the SQ can no longer hold
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
// - The 1.1 file-system ops whose opcode the running kernel lacks (asked
//   once, probe.h) are emulated: a NOP SQE keeps their place, and the
//   blocking call (fs_calls.h) runs in wait when it comes back, before the
//   completion is handed out. native_ops() names the others. So does an
//   FADVISE whose length does not fit the SQE's 32 bits.
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
// - 1.1 bind, listen, pipe and waitid need Linux 6.11, 6.11, 6.16 and 6.7
//   (kernel_opcodes.h). The running kernel is probed once (kernel_support.h)
//   and an opcode it lacks is emulated (net_op_prep.cc): bind, listen and
//   pipe2 run on this thread when a NOP stand-in completes; waitid asks with
//   WNOHANG each time a 5 ms timer stand-in fires, so on kernels before 6.7 a
//   child's exit is seen up to 5 ms late, and a flush right after such a
//   wait counts the re-armed stand-in as one more op handed over.
// - Links (1.1): an op waiting in a chain behind a running one is out of
//   io_uring's cancel's reach (-ENOENT inside the kernel): cancel answers 0,
//   but that op runs when its turn comes. Cancel the running op to stop the
//   chain (the rest then fails forward with -ECANCELED). A cancel asked while
//   a chain is open is queued after the chain closes, since the kernel would
//   link it into the chain.
// - Registered tables (1.1): replacing one is unregister + register; when the
//   register fails, no table is left.
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
#include <utility>
#include <vector>

#include "lio/core/plugin_abi.h"
#include "lio/plugins/common/backend_kit.h"
#include "lio/plugins/common/clock.h"
#include "lio/plugins/common/fs_calls.h"
#include "lio/plugins/common/op_table.h"
#include "lio/plugins/common/options.h"
#include "lio/plugins/io_uring/buffer_rings.h"
#include "lio/plugins/io_uring/direct_prep.h"
#include "lio/plugins/io_uring/op_prep.h"
#include "lio/plugins/io_uring/probe.h"
#include "lio/plugins/io_uring/sq_thread.h"
#include "lio/plugins/io_uring/user_data.h"

namespace lio::io_uring_plugin {
namespace {

constexpr uint32_t kMaxSqEntries = 32768;  // the kernel's IORING_MAX_ENTRIES
constexpr uint32_t kMaxCqEntries = 65536;  // the kernel's IORING_MAX_CQ_ENTRIES
// The default SQ stops here: 4096 SQEs (256 KiB) take every op a turn
// pushes in any program we measured, where a ring sized from a large
// capacity (32768 SQEs, 2 MiB) walks cold memory on every push.
constexpr uint32_t kDefaultMaxSqEntries = 4096;
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
  bool native_fs = true;
  bool sqpoll = false;
  uint32_t sqpoll_idle_ms = 0;  // 0: the kernel's default (1 s)
  uint32_t sq_entries = 0;  // 0: sq_entries_for(capacity)
  bool open_async = true;
};
// Setup flag sets with SQPOLL: DEFER_TASKRUN does not go with it (the
// kernel's thread submits); SINGLE_ISSUER does.
constexpr unsigned kSqpollFlagSets[] = {
    IORING_SETUP_SQPOLL | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_SUBMIT_ALL,
    IORING_SETUP_SQPOLL | IORING_SETUP_SUBMIT_ALL,
    IORING_SETUP_SQPOLL,
};
// How many times a push waits for SQPOLL's thread to free SQ entries before
// it answers -EAGAIN.
constexpr int kSqRingWaits = 1000;
// How long destroy waits for cancelled ops before asking again.
constexpr int64_t kDrainRetryNs = 1'000'000'000;
// How long destroy waits for an SQPOLL thread to exit after the ring closed
// (it takes milliseconds; this only bounds a stuck kernel).
constexpr int64_t kSqThreadExitLimitNs = 2'000'000'000;

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

// A direct op's CQE. Its op ran without a slot, so nothing else is kept: an
// io-wq worker is interrupted only to cancel its op, so an interrupted one
// reads -ECANCELED.
inline lio_completion direct_completion(const io_uring_cqe& cqe) {
  int64_t result = cqe.res;
  if (result < 0 && interrupted(cqe.res)) [[unlikely]] result = -LIO_ECANCELED;
  return lio_completion{.id = cqe.user_data, .result = result, .flags = 0, .reserved = 0};
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

// Ops whose completion is the CQE's result as it is, and whose SQE points
// only at the caller's memory (direct_prep.h's codes) need no slot. Anything
// with a generic flag takes a slot, so ops added later are safe by default.
// `direct_codes`: kDirectPrepCodes under LIO_CONFIG_UNIQUE_IDS, else 0 (one
// test on the push path for both). The same rule as direct_preppable with no
// generic flag, written as one mask test: this runs on every push.
bool direct_capable(uint64_t id, const lio_op& op, uint64_t direct_codes) {
  if (!is_direct(id) || (direct_codes & LIO_CAP(op.code)) == 0) return false;
  return op.flags == 0 || (op.code == LIO_OP_FSYNC && op.flags == LIO_FSYNC_DATASYNC);
}

// False for an unknown key or a bad value: a typo to report.
bool parse_options(const char* text, Options* out) {
  return plugin::for_each_option(text, [out](std::string_view key, std::string_view value) {
    uint64_t number = 0;
    if (key == "single_issuer" && plugin::parse_uint(value, 0, 1, &number)) {
      out->single_issuer = number == 1;
    } else if (key == "native_fs" && plugin::parse_uint(value, 0, 1, &number)) {
      out->native_fs = number == 1;
    } else if (key == "open_async" && plugin::parse_uint(value, 0, 1, &number)) {
      out->open_async = number == 1;
    } else if (key == "sqpoll" && plugin::parse_uint(value, 0, 1, &number)) {
      out->sqpoll = number == 1;
    } else if (key == "sqpoll_idle_ms" && plugin::parse_uint(value, 0, UINT32_MAX, &number)) {
      out->sqpoll_idle_ms = static_cast<uint32_t>(number);
    } else if (key == "sq_entries" && plugin::parse_uint(value, 1, kMaxSqEntries, &number)) {
      out->sq_entries = std::bit_ceil(static_cast<uint32_t>(number));
    } else {
      return false;
    }
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
  // [register.native_ops] The declared codes the running kernel has an
  // opcode for; the others run emulated (op_prep.h).
  static uint64_t native_ops() noexcept {
    return (native_codes() | native_net_ops() | kMultishotCodes | kLinkAndFixedOps) & kCapabilities;
  }
  int push(uint64_t id, const lio_op& op) noexcept;
  int flush() noexcept;
  int wait(int64_t timeout_ns, const lio_completion** out) noexcept;
  int cancel(uint64_t id) noexcept;
  int wake() noexcept;

  // 1.1 ([multishot.*], [bufgroup.*], [send_zc.notice], [link.*], [fixed.*]):
  // all native (links, registered files and buffers need 5.19).
  // [wait.array_survives_push]: completions_ is written only by reap, which
  // only wait (and destroy) call.
  uint64_t features() const noexcept { return kFeatures; }
  int add_buffer_group(uint32_t group, void* base, uint32_t count, uint32_t size) noexcept {
    return rings_.add(&ring_, group, base, count, size);
  }
  int return_buffer(uint32_t group, uint32_t buffer_id) noexcept { return rings_.give_back(group, buffer_id); }
  int remove_buffer_group(uint32_t group) noexcept { return rings_.remove(&ring_, group); }
  int register_files(const lio_handle* handles, uint32_t count) noexcept;
  int register_buffers(const lio_iovec* buffers, uint32_t count) noexcept;

  static constexpr uint64_t kNetCodes = LIO_CAP(LIO_OP_BIND) | LIO_CAP(LIO_OP_LISTEN) | LIO_CAP(LIO_OP_TEE) |
                                        LIO_CAP(LIO_OP_SPLICE) | LIO_CAP(LIO_OP_PIPE) | LIO_CAP(LIO_OP_WAITID);
  // SEND_ZC and multishot recv need Linux 6.0; the rest of these codes 5.19.
  static constexpr uint64_t kMultishotCodes =
      LIO_CAP(LIO_OP_ACCEPT_MULTI) | LIO_CAP(LIO_OP_RECV_MULTI) | LIO_CAP(LIO_OP_SEND_ZC);
  static constexpr uint64_t kLinkAndFixedOps =
      LIO_CAP(LIO_OP_LINK_TIMEOUT) | LIO_CAP(LIO_OP_READ_FIXED) | LIO_CAP(LIO_OP_WRITE_FIXED);
  static constexpr uint64_t kCapabilities =
      LIO_CAP_OPS_1_0 | plugin::kFsCallCodes | kNetCodes | kMultishotCodes | kLinkAndFixedOps;
  static constexpr uint64_t kFeatures =
      LIO_FEATURE_BUFFER_GROUPS | LIO_FEATURE_LINK | LIO_FEATURE_FIXED_FILES | LIO_FEATURE_FIXED_BUFFERS |
      LIO_FEATURE_STABLE_COMPLETIONS;

 private:
  int init(uint32_t capacity, const Options& options);
  uint32_t in_flight() const { return direct_in_flight_ + ops_.size(); }
  int push_direct(uint64_t id, const lio_op& op);
  int push_direct_after_submit(uint64_t id, const lio_op& op);
  void fill_direct(uint64_t id, const lio_op& op, io_uring_sqe* sqe);
  int push_slot(uint64_t id, const lio_op& op);
  int cancel_direct(uint64_t id);
  int setup_ring(uint32_t capacity, const Options& options);
  void arm_wake_read();
  io_uring_sqe* sqe_or_submit(int* error);
  io_uring_sqe* free_sqe();
  io_uring_sqe* submit_for_sqe(int* error);
  int enter(int64_t timeout_ns, int64_t deadline_ns);
  uint32_t account_submission();
  uint32_t unconsumed_user_sqes() const;
  uint32_t reap();
  uint32_t reap_rest(unsigned at, unsigned tail, uint32_t count);
  bool complete(const io_uring_cqe& cqe, lio_completion& out);
  bool finish_emulated(uint32_t slot, int* result);
  bool complete_flagged(const io_uring_cqe& cqe, uint32_t slot, lio_completion& out);
  bool send_zc_by_copy(const io_uring_cqe& cqe, uint32_t slot);
  void on_internal(const io_uring_cqe& cqe);
  void drain();
  void shut_down();
  // Links and registered tables (1.1), off the plain ops' path.
  void on_generic_flags(const lio_op& op, OpStorage& storage, io_uring_sqe* sqe);
  void end_open_chain();
  void queue_cancel(uint32_t slot, io_uring_sqe* sqe);
  void release_fixed(const OpStorage& storage);
  int replace_files(const lio_handle* handles, uint32_t count);
  int replace_buffers(const lio_iovec* buffers, uint32_t count);

  io_uring ring_{};
  bool ring_ready_ = false;
  bool shutting_down_ = false;
  int wake_fd_ = -1;
  uint64_t wake_value_ = 0;  // the armed eventfd read's buffer
  bool wake_armed_ = false;  // that read is queued or in the kernel
  bool woken_ = false;       // this wait reaped it
  uint32_t queued_user_ = 0;  // user SQEs the kernel has not consumed yet
  uint32_t seq_ = 1;
  uint64_t native_ = 0;  // native_ops(), less what the options emulate
  bool open_async_ = true;  // option open_async: OPENAT with IOSQE_ASYNC
  bool sqpoll_ = false;  // the kernel's thread takes SQEs: a flush may make no system call
  int sq_thread_ = -1;   // that thread's id, which destroy waits to see go (sq_thread.h)
  // [link.order]: the last SQE pushed, while it carries IOSQE_IO_LINK. Nothing
  // of the backend's own (a cancel, the wake read) may follow it in the SQ,
  // or the kernel would link it into the chain: cancels wait in
  // deferred_cancels_ until the chain is closed (by an op without the flag,
  // or by flush and wait, which clear the flag: [link.flush_ends]).
  io_uring_sqe* open_link_ = nullptr;
  std::vector<uint32_t> deferred_cancels_;  // slots, capacity reserved
  // [fixed.register]: ops in flight that read each table; a table with any
  // cannot be replaced (-EBUSY).
  uint32_t fixed_file_users_ = 0;
  uint32_t fixed_buffer_users_ = 0;
  bool files_registered_ = false;
  bool buffers_registered_ = false;
  uint32_t capacity_ = 0;
  bool unique_ids_ = false;        // LIO_CONFIG_UNIQUE_IDS: direct ops allowed
  uint64_t direct_codes_ = 0;      // kDirectPrepCodes under it, else 0
  uint32_t direct_in_flight_ = 0;  // direct ops pushed and not yet reaped
  plugin::OpTable<OpStorage> ops_;
  std::vector<KernelArgs> kernel_args_;  // per slot, beside ops_
  std::vector<lio_completion> completions_;
  BufferRings rings_;  // after ring_'s exit in shut_down, its memory goes
};

int IoUringBackend::init(uint32_t capacity, const Options& options) {
  native_ = native_ops() & (options.native_fs ? ~uint64_t{0} : ~plugin::kFsCallCodes);
  open_async_ = options.open_async;
  capacity_ = capacity;
  ops_.init(capacity);
  kernel_args_.assign(capacity, KernelArgs{});
  completions_.assign(capacity, lio_completion{});
  deferred_cancels_.reserve(capacity);
  // Non-blocking so wake never blocks on a saturated counter; the ring's read
  // of it waits by polling either way.
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) return -errno;
  if (int error = setup_ring(capacity, options); error < 0) return error;
  arm_wake_read();
  int submitted = io_uring_submit(&ring_);
  return submitted < 0 ? submitted : 0;
}

// The SQ holds what is pushed between two flushes; the CQ what completes
// between two waits (every op in flight, the cancels and the wake read).
uint32_t sq_entries_for(uint32_t capacity) { return std::bit_ceil(std::min(2 * capacity + 1, kDefaultMaxSqEntries)); }
uint32_t cq_entries_for(uint32_t capacity, uint32_t sq_entries) {
  const uint64_t wanted = std::bit_ceil(2 * uint64_t{capacity} + 1);
  return static_cast<uint32_t>(std::clamp<uint64_t>(wanted, 2 * uint64_t{sq_entries}, kMaxCqEntries));
}

int IoUringBackend::setup_ring(uint32_t capacity, const Options& options) {
  const uint32_t sq_entries = options.sq_entries != 0 ? options.sq_entries : sq_entries_for(capacity);
  const std::span<const unsigned> all_sets = options.sqpoll ? std::span(kSqpollFlagSets) : std::span(kSetupFlagSets);
  const std::span<const unsigned> flag_sets = all_sets.subspan(options.single_issuer ? 0 : 1);
  const std::vector<int> sq_threads_before = options.sqpoll ? sq_threads() : std::vector<int>();
  int error = -EINVAL;
  for (unsigned flags : flag_sets) {
    io_uring_params params{};
    params.flags = flags | IORING_SETUP_CQSIZE;
    params.cq_entries = cq_entries_for(capacity, sq_entries);
    params.sq_thread_idle = options.sqpoll_idle_ms;
    error = io_uring_queue_init_params(sq_entries, &ring_, &params);
    if (error != -EINVAL) break;
  }
  // SQPOLL refused (-EPERM: a kernel before 5.11 without CAP_SYS_ADMIN, or a
  // policy): create answers that error; see the options in the file comment.
  if (error < 0) return error;
  sqpoll_ = options.sqpoll;
  if (sqpoll_) sq_thread_ = new_sq_thread(sq_threads_before, sq_threads());
  ring_ready_ = true;
  return 0;
}

int IoUringBackend::create(const lio_backend_config& config, std::unique_ptr<IoUringBackend>* out) {
  if (config.capacity > kMaxCapacity) return -LIO_EINVAL;
  Options options;
  if (!parse_options(config.options, &options)) return -LIO_EINVAL;
  auto backend = std::make_unique<IoUringBackend>();
  backend->unique_ids_ = (config.flags & LIO_CONFIG_UNIQUE_IDS) != 0;
  backend->direct_codes_ = backend->unique_ids_ ? kDirectPrepCodes : 0;
  if (int error = backend->init(config.capacity, options); error < 0) return error;
  *out = std::move(backend);
  return 0;
}

// Under LIO_CONFIG_UNIQUE_IDS an op whose completion needs nothing kept
// (direct_capable) travels under its own id: no index, no slot. The rest —
// ids with bit 63 set, ops with kernel arguments or completion fix-ups —
// take a slot as without the flag. Inlined into the kit's push thunk (the
// one indirect call a push costs the host).
__attribute__((always_inline)) inline int IoUringBackend::push(uint64_t id, const lio_op& op) noexcept {
  // An op after a linked one closes (or continues) its chain: the slot path.
  if (open_link_ == nullptr && direct_capable(id, op, direct_codes_)) [[likely]] return push_direct(id, op);
  return push_slot(id, op);
}

// The SQ full (only with capacity above the SQ's size) is the one case that
// needs a submit first: out of line, so the common path keeps no stack frame.
inline int IoUringBackend::push_direct(uint64_t id, const lio_op& op) {
  if (in_flight() >= capacity_) return -LIO_EAGAIN;
  io_uring_sqe* sqe = free_sqe();
  if (sqe == nullptr) [[unlikely]] return push_direct_after_submit(id, op);
  fill_direct(id, op, sqe);
  return 0;
}

__attribute__((always_inline)) inline void IoUringBackend::fill_direct(uint64_t id, const lio_op& op, io_uring_sqe* sqe) {
  ++direct_in_flight_;
  ++queued_user_;
  prep_direct_sqe(op, sqe);
  io_uring_sqe_set_data64(sqe, id);
}

__attribute__((noinline)) int IoUringBackend::push_direct_after_submit(uint64_t id, const lio_op& op) {
  int error = 0;
  io_uring_sqe* sqe = submit_for_sqe(&error);
  if (sqe == nullptr) return -LIO_EAGAIN;  // the submit failed
  fill_direct(id, op, sqe);
  return 0;
}

// Out of line, so push's direct path does not pay for this one's registers.
__attribute__((noinline)) int IoUringBackend::push_slot(uint64_t id, const lio_op& op) {
  if (direct_in_flight_ != 0 && in_flight() >= capacity_) return -LIO_EAGAIN;
  const uint32_t slot = ops_.insert(id);
  if (slot == ops_.kNone) return ops_.full() ? -LIO_EAGAIN : -LIO_EEXIST;
  int error = 0;
  io_uring_sqe* sqe = sqe_or_submit(&error);
  if (sqe == nullptr) {  // only with capacity > 2047, when the SQ is full and submit failed
    ops_.erase(slot);
    return -LIO_EAGAIN;
  }
  OpStorage& storage = ops_[slot];
  storage.user_data = op_user_data(seq_, slot);
  seq_ = next_seq(seq_);
  if (direct_preppable(op)) {
    prep_direct_sqe(op, sqe);
  } else {
    prep_sqe(op, native_, open_async_, storage, kernel_args_[slot], sqe);
  }
  if (storage.takes_buffer) [[unlikely]] storage.group_counted = rings_.count_op(storage.buf_group);
  io_uring_sqe_set_data64(sqe, storage.user_data);
  ++queued_user_;
  if ((op.flags & LIO_OPF_GENERIC) != 0 || open_link_ != nullptr || storage.fixed_uses != 0) [[unlikely]] {
    on_generic_flags(op, storage, sqe);
  }
  return 0;
}

// A linked, fixed-file or fixed-buffer op, or the op after a linked one.
void IoUringBackend::on_generic_flags(const lio_op& op, OpStorage& storage, io_uring_sqe* sqe) {
  apply_generic_flags(op, storage, sqe);
  if (storage.fixed_uses & kUsesFixedFiles) ++fixed_file_users_;
  if (storage.fixed_uses & kUsesFixedBuffers) ++fixed_buffer_users_;
  if (op.flags & LIO_OPF_LINK) {
    open_link_ = sqe;
    return;
  }
  // This op closes the chain: the cancels asked meanwhile may follow it.
  open_link_ = nullptr;
  end_open_chain();
}

// [link.flush_ends]: before the SQ is handed over (or the backend adds an
// SQE of its own), a chain still open ends at its last op.
void IoUringBackend::end_open_chain() {
  if (open_link_ != nullptr) open_link_->flags &= ~IOSQE_IO_LINK;
  open_link_ = nullptr;
  for (uint32_t slot : deferred_cancels_) {
    int error = 0;
    io_uring_sqe* sqe = sqe_or_submit(&error);
    if (sqe == nullptr) break;  // only with capacity > 16383 and a failing submit; cancel can be asked again
    if (ops_[slot].user_data != 0) queue_cancel(slot, sqe);
  }
  deferred_cancels_.clear();
}

void IoUringBackend::release_fixed(const OpStorage& storage) {
  if (storage.fixed_uses & kUsesFixedFiles) --fixed_file_users_;
  if (storage.fixed_uses & kUsesFixedBuffers) --fixed_buffer_users_;
}

// [fixed.register]. Replacing a table is unregister + register: after an
// error of the second, no table is registered.
int IoUringBackend::register_files(const lio_handle* handles, uint32_t count) noexcept {
  if (fixed_file_users_ > 0) return -LIO_EBUSY;
  try {
    return replace_files(handles, count);
  } catch (const std::bad_alloc&) {
    return -LIO_ENOMEM;
  }
}

int IoUringBackend::replace_files(const lio_handle* handles, uint32_t count) {
  std::vector<int> fds(count);
  // An empty entry (LIO_INVALID_HANDLE), or a value no fd can have, is the
  // kernel's sparse entry -1: using it completes with -EBADF.
  for (uint32_t i = 0; i < count; ++i) fds[i] = plugin::to_fd(handles[i]);
  if (files_registered_) {
    if (int error = io_uring_unregister_files(&ring_); error < 0) return error;
    files_registered_ = false;
  }
  if (count == 0) return 0;
  if (int error = io_uring_register_files(&ring_, fds.data(), count); error < 0) return error;
  files_registered_ = true;
  return 0;
}

int IoUringBackend::register_buffers(const lio_iovec* buffers, uint32_t count) noexcept {
  if (fixed_buffer_users_ > 0) return -LIO_EBUSY;
  return replace_buffers(buffers, count);
}

int IoUringBackend::replace_buffers(const lio_iovec* buffers, uint32_t count) {
  if (buffers_registered_) {
    if (int error = io_uring_unregister_buffers(&ring_); error < 0) return error;
    buffers_registered_ = false;
  }
  if (count == 0) return 0;
  // lio_iovec has struct iovec's layout (op_prep.cc checks it).
  const iovec* iov = reinterpret_cast<const iovec*>(buffers);
  if (int error = io_uring_register_buffers(&ring_, iov, count); error < 0) return error;
  buffers_registered_ = true;
  return 0;
}

int IoUringBackend::flush() noexcept {
  if (open_link_ != nullptr || !deferred_cancels_.empty()) [[unlikely]] end_open_chain();
  if (io_uring_sq_ready(&ring_) == 0) return 0;
  const int submitted = io_uring_submit(&ring_);
  const uint32_t handed_over = account_submission();
  if (submitted < 0 && handed_over == 0) return submitted;
  return static_cast<int>(handed_over);
}

int IoUringBackend::wait(int64_t timeout_ns, const lio_completion** out) noexcept {
  *out = completions_.data();
  woken_ = false;
  if (open_link_ != nullptr || !deferred_cancels_.empty()) [[unlikely]] end_open_chain();
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
  const uint32_t slot = ops_.size() > 0 ? ops_.find(id) : ops_.kNone;
  if (slot == ops_.kNone) return unique_ids_ ? cancel_direct(id) : -LIO_ENOENT;
  OpStorage& storage = ops_[slot];
  if (storage.cancel_pending) return 0;  // asking twice changes nothing
  if (open_link_ != nullptr) [[unlikely]] {  // after the chain, not inside it
    deferred_cancels_.push_back(slot);
    storage.cancel_pending = true;
    storage.cancel_asked = true;
    return 0;
  }
  int error = 0;
  io_uring_sqe* sqe = sqe_or_submit(&error);
  if (sqe == nullptr) return error;
  queue_cancel(slot, sqe);
  return 0;
}

// An op pushed but not flushed sits earlier in the SQ, so the kernel has
// issued it by the time it reads this cancel.
void IoUringBackend::queue_cancel(uint32_t slot, io_uring_sqe* sqe) {
  OpStorage& storage = ops_[slot];
  io_uring_prep_cancel64(sqe, storage.user_data, 0);
  io_uring_sqe_set_data64(sqe, cancel_user_data(storage.user_data));
  storage.cancel_pending = true;
  storage.cancel_asked = true;
}

// [cancel.unique_ids] The kernel looks the id up: 0 whether or not a direct
// op with it is in flight; the cancel's own CQE (only on failure: -ENOENT,
// -EALREADY) is swallowed. Asking twice asks twice, which changes nothing.
int IoUringBackend::cancel_direct(uint64_t id) {
  if (!is_direct(id)) return 0;  // not a slot op (looked up) and cannot be a direct one
  int error = 0;
  io_uring_sqe* sqe = sqe_or_submit(&error);
  if (sqe == nullptr) return error;
  io_uring_prep_cancel64(sqe, id, 0);
  io_uring_sqe_set_data64(sqe, kDirectCancelUserData);
  sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
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

// An SQE. A full SQ (possible only with capacity > 2047 by default) is submitted
// first: the one system call outside flush and wait. The common case stays
// inline in push; the submit is out of line.
inline io_uring_sqe* IoUringBackend::sqe_or_submit(int* error) {
  if (io_uring_sqe* sqe = free_sqe()) return sqe;
  return submit_for_sqe(error);
}

// io_uring_get_sqe for this ring (never SQE128), without its call. The head
// is read with acquire as liburing does: with sqpoll=1 the kernel's thread
// moves it while we write the SQEs it freed.
inline io_uring_sqe* IoUringBackend::free_sqe() {
  io_uring_sq& sq = ring_.sq;
  const unsigned tail = sq.sqe_tail;
  if (tail - io_uring_smp_load_acquire(sq.khead) >= sq.ring_entries) return nullptr;
  sq.sqe_tail = tail + 1;
  return &sq.sqes[tail & sq.ring_mask];
}

__attribute__((noinline)) io_uring_sqe* IoUringBackend::submit_for_sqe(int* error) {
  // The kernel takes the SQEs now: a chain still open ends here (a bend for
  // capacity > 2047, or a smaller sq_entries, only).
  if (open_link_ != nullptr) open_link_->flags &= ~IOSQE_IO_LINK;
  open_link_ = nullptr;
  const int submitted = io_uring_submit(&ring_);
  account_submission();
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  // With SQPOLL the kernel's thread frees SQ entries in its own time: wait
  // until it has taken some (a wait may end before it has: ask again, boundedly).
  for (int waits = 0; sqe == nullptr && sqpoll_ && submitted >= 0 && waits < kSqRingWaits; ++waits) {
    if (io_uring_sqring_wait(&ring_) < 0) break;
    sqe = io_uring_get_sqe(&ring_);
  }
  if (sqe == nullptr) *error = submitted < 0 ? submitted : -LIO_EAGAIN;
  return sqe;
}

// After a submit: how many user ops the kernel took, so flush can say.
uint32_t IoUringBackend::account_submission() {
  // With SQPOLL the kernel's thread takes the SQEs in its own time: what the
  // submit published is handed over.
  if (sqpoll_) return std::exchange(queued_user_, 0);
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
// One snapshot of the CQ tail, walked once (the ring is set up without
// CQE32): the per-CQE cost here is most of what reaping costs a direct op.
uint32_t IoUringBackend::reap() {
  const unsigned first = *ring_.cq.khead;
  const unsigned tail = io_uring_smp_load_acquire(ring_.cq.ktail);
  const unsigned mask = ring_.cq.ring_mask;
  io_uring_cqe* const cqes = ring_.cq.cqes;
  if (ops_.size() > 0) {
    for (unsigned at = first; at != tail; ++at) ops_.prefetch_erase(slot_of(cqes[at & mask].user_data));
  }
  lio_completion* const out = completions_.data();
  const uint32_t room = static_cast<uint32_t>(completions_.size());
  // The leading run of direct ops' CQEs (all of them when every op is
  // direct), in a loop of its own that keeps everything in registers.
  unsigned at = first;
  lio_completion* next = out;
  const unsigned run_end = first + std::min(tail - first, room);
  for (; at != run_end; ++at) {
    const io_uring_cqe& cqe = cqes[at & mask];
    if (!is_direct(cqe.user_data)) break;
    *next++ = direct_completion(cqe);
  }
  const uint32_t count = static_cast<uint32_t>(next - out);
  if (at != tail) [[unlikely]] return reap_rest(at, tail, count);
  direct_in_flight_ -= count;
  io_uring_smp_store_release(ring_.cq.khead, at);
  if (!wake_armed_ && !shutting_down_) [[unlikely]] arm_wake_read();
  return count;
}

// The CQEs after the run of direct ones, from `at` (`count` completions
// written so far, all direct): slot ops, lio's own, and direct ones after
// them. Out of line, so reap's common case keeps a small frame. (It ends as
// reap does: sharing that tail through out-parameters cost reap's direct
// path 4 instructions a call, measured.)
__attribute__((noinline)) uint32_t IoUringBackend::reap_rest(unsigned at, unsigned tail, uint32_t count) {
  const unsigned mask = ring_.cq.ring_mask;
  io_uring_cqe* const cqes = ring_.cq.cqes;
  lio_completion* const out = completions_.data();
  const uint32_t room = static_cast<uint32_t>(completions_.size());
  uint32_t direct = count;
  for (; at != tail; ++at) {
    const io_uring_cqe& cqe = cqes[at & mask];
    if (is_direct(cqe.user_data)) {
      if (count == room) break;
      out[count++] = direct_completion(cqe);
      ++direct;
      continue;
    }
    if (is_internal(cqe.user_data)) {
      on_internal(cqe);
      continue;
    }
    if (count == room) break;
    if (complete(cqe, out[count])) ++count;
  }
  direct_in_flight_ -= direct;
  io_uring_smp_store_release(ring_.cq.khead, at);
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
  int result = cqe.res;
  if (storage.emulated && !finish_emulated(slot, &result)) return false;
  if (storage.pipe_out != nullptr && result >= 0) deliver_pipe(storage, kernel_args_[slot]);
  if (storage.recvmsg_out != nullptr && cqe.res >= 0) {
    const msghdr& msg = kernel_args_[slot].msg;
    storage.recvmsg_out->namelen = msg.msg_namelen;
    storage.recvmsg_out->controllen = msg.msg_controllen;
    storage.recvmsg_out->flags = msg.msg_flags;
  }
  // An emulated op's call ran in finish_emulated, before its completion is
  // handed out ([buffers.untouched_after_completion]: a statx buffer is
  // written there).
  if (storage.fixed_uses != 0) [[unlikely]] release_fixed(storage);
  out = lio_completion{
      .id = ops_.id(slot), .result = delivered_result(result, storage), .flags = 0, .reserved = 0};
  storage.user_data = 0;
  ops_.erase(slot);
  return true;
}

// An emulated op's stand-in came back: run the op now (false: not ready,
// its stand-in is armed again under the same user_data, so cancel still
// finds it). A cancelled stand-in is the op cancelled.
bool IoUringBackend::finish_emulated(uint32_t slot, int* result) {
  OpStorage& storage = ops_[slot];
  if (*result == -ECANCELED) return true;
  if (shutting_down_) {  // destroy: nothing is delivered, nothing new is made
    *result = -ECANCELED;
    return true;
  }
  const lio_op& op = kernel_args_[slot].emulated;
  const int64_t outcome = run_emulated(op);
  if (outcome != kNotReady) {
    *result = static_cast<int>(outcome);
    return true;
  }
  // A cancel that found no stand-in in the kernel (it had just fired) ends
  // the op here, instead of arming another one nobody will cancel.
  if (storage.cancel_asked) {
    *result = -ECANCELED;
    return true;
  }
  int error = 0;
  io_uring_sqe* sqe = sqe_or_submit(&error);
  if (sqe == nullptr) {  // no room to ask again: the op ends with the error
    *result = error;
    return true;
  }
  prep_standin(op, sqe);
  io_uring_sqe_set_data64(sqe, storage.user_data);
  ++queued_user_;
  return false;
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
  if (storage.fixed_uses != 0) release_fixed(storage);
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
  if (cqe.user_data == kDirectCancelUserData || cqe.user_data == kCancelAllUserData) return;
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
  end_open_chain();
  bool ask = true;
  while (in_flight() > 0 || wake_armed_) {
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
    wait_for_thread_exit(sq_thread_, kSqThreadExitLimitNs);
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
