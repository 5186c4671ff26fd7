// Test-only backends, each breaking exactly one clause of the contract (an id
// of lio/core/plugin_abi.h), so the meta-test can prove the conformance suite
// catches every one of them, under that id.
//
// One source, built once per kind (BUILD.bazel passes BROKEN_KIND and
// BROKEN_NAME, and lists which id each kind breaks). Each backend wraps a
// real one — $LIO_BROKEN_INNER, default "poller", found through the host (so
// through LIO_PLUGIN_PATH) — forwards every call, declares the inner
// backend's capabilities, and gets one thing wrong, the way a real backend
// plausibly would. The Kind enum below says, per kind, what it gets wrong.
//
// Never install these: every one of them is wrong on purpose.
#include <fcntl.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "lio/core/plugin_abi.h"
#include "lio/plugins/common/backend_kit.h"
#include "lio/plugins/common/op_table.h"
#include "lio/plugins/common/wrapped_backend.h"

namespace lio::broken {
namespace {

enum class Kind {
  // ---- wait: what a batch holds ----
  kDropLastOfBatch,       // a batch of two or more loses its last completion (an off-by-one copying it)
  kRepeatLastOfBatch,     // ... delivers its last completion again at the next wait (a ring head one short)
  kTruncateId,            // ids keep only their low 32 bits
  kRotateResults,         // in a batch of two or more, each result lands on the next entry's id
  kCompletionFlagsSet,    // completion flags carry an internal "more" bit
  // ---- results ----
  kNopResultOne,          // a nop completes with 1
  kOffByOneBytes,         // bytes read are one too many
  kWriteOffByOne,         // bytes written are one too many
  kCloseReturnsHandle,    // close completes with the handle it closed instead of 0
  kOpenReturnsZero,       // openat/socket/accept complete with 0 ("success") instead of the handle
  kTimeoutEarly,          // a relative timeout's duration is halved (a unit slip)
  kPollReportsAllAsked,   // poll completes with every event asked, ready or not
  kNegativeTimeoutForever, // a negative relative timeout is read as unsigned: it never expires
  kPositiveErrno,         // the system call's errors arrive as +errno
  kSuccessForError,       // ... as 0
  // ---- per-op arguments ----
  kCurrentOffsetAsZero,   // LIO_OFFSET_CURRENT is taken as offset 0 (pread at 0)
  kDirIgnored,            // openat resolves against the current directory whatever its dir
  kAtFdcwdRefused,        // openat's LIO_AT_FDCWD is passed on as an invalid handle
  kAppendDropped,         // LIO_OPEN_APPEND is dropped
  kModeIgnored,           // openat creates every file 0666
  kDatasyncRefused,       // fsync with LIO_FSYNC_DATASYNC is refused at push (-EINVAL)
  kAbsoluteAsRelative,    // LIO_TIMEOUT_ABSOLUTE is ignored: the deadline is taken as a duration
  kAcceptAddressDropped,  // accept never writes the peer's address
  kRecvmsgFlagsCleared,   // recvmsg's msghdr flags are zeroed before the completion (MSG_TRUNC lost)
  kRenameEnoentIsZero,    // renameat of a missing name completes with 0 (an error dropped on the way)
  kSpliceReportsAsked,    // tee/splice complete with the length asked, not the bytes moved
  kPipeEndsSwapped,       // pipe writes the write end to fds[0] and the read end to fds[1]
  kWaitidInfoCleared,     // waitid's siginfo is cleared before the completion (written to a stale copy)
  // ---- handles and buffers ----
  kTruncatedHandle,       // the handle is cast to int, so 2^32 + fd reaches fd
  kCreatedNonBlocking,    // handles it creates are left non-blocking
  kCallerMadeNonBlocking, // the caller's handle is made non-blocking and left so
  kWriteAfterCompletion,  // a read's buffer is written again at the next wait (a late bounce copy)
  kStatxUnwritten,        // statx fills a bounce buffer of its own and never copies it to the caller's
  kStatxWrittenLate,      // statx's buffer is written again at the next wait (a late bounce copy)
  // ---- push ----
  kUnimplementedFsync,    // fsync is declared but refused with -EOPNOTSUPP
  kOverflowDrops,         // push past capacity answers 0 and drops the op
  kDuplicateBeforeFull,   // a full backend answers a duplicate id with -EEXIST (looked up first)
  kDuplicateIsEagain,     // a duplicate id is answered -EAGAIN
  kUndefinedFlagsIgnored, // undefined op flag bits are cleared instead of refused
  kBadCodeAsNop,          // a code past the last is run as a nop
  kShortOpRefused,        // an op of an older, shorter minor version is refused
  kUndeclaredAccepted,    // poll is not declared, but pushed it is run
  kEbadfAtPush,           // a closed handle is refused at push (-EBADF) instead of completing so
  kReadsOpAtFlush,        // the op is read at flush through the pointer push was given
  kWaitSkipsFlush,        // ops are handed over at flush only; wait does not flush
  kOneSlotShort,          // room for capacity - 1 ops
  // ---- flush, wait, cancel, wake ----
  kFlushReturnsBool,      // flush answers 1 for "something", not how many
  kZeroWaitBlocks,        // wait(0) blocks until a completion or a wake
  kZeroWaitSleeps,        // wait(0) sleeps up to 500 ms (a poll interval where none belongs)
  kForeverWaitReturnsEmpty, // wait(-1) is a 10 ms tick that may return nothing
  kDurationInSeconds,     // wait(d) rounds d down to whole seconds
  kIgnoreCancel,          // cancel answers 0 and asks nothing
  kCancelUnknownIsZero,   // cancel of an id not in flight answers 0
  kSecondCancelEalready,  // cancelling again answers -EALREADY
  kWakeDoesNothing,       // wake answers 0 and does nothing
  kWakeLostBeforeWait,    // a wake with no wait blocked is lost
  kWakeNeverClears,       // after a wake every wait(-1) returns at once, empty
  // ---- create, destroy, probe, registration ----
  kConfigNeedsOptions,    // create refuses a config too short to hold `options`
  kCapacityZeroAccepted,  // capacity 0 is taken as 1
  kConfigFlagsRefused,    // unknown config flags are refused
  kUnknownOptionsIgnored, // unknown option keys are ignored
  kNeedsHost,             // create refuses a config without a host
  kOutClearedOnError,     // a failed create sets *out to NULL
  kDestroyDrains,         // destroy lets what is in flight finish (waiting up to 3 s) instead of cancelling it
  kDestroyLeaksInner,     // destroy never destroys the inner instance (its fds, threads, memory)
  kProbeRefusesSilently,  // probe refuses without a reason
  kProbeFlips,            // probe answers differently on every other call
  kTwoLineDescription,    // the description has two lines
  kCapabilityBeyondCount, // a capability bit past LIO_OP_COUNT is set
  kRegistrarUnchecked,    // lio_plugin_register reads the registrar unchecked
  // ABI 1.1 declarations
  kFeatureBitUndefined,        // the vtable declares a feature bit 1.1 does not define
  kNativeOpsUndeclared,        // native_ops names a code the backend does not declare
  kUndeclaredFeatureAccepted,  // push drops the flag of an undeclared feature and runs the op
  // Not broken: the vtable shaped as a 1.0 plugin built it (short, minor 0)
  kAbi10Shape,
  // ---- 1.1: multi-completion ops, buffer groups ----
  kStreamEndsTwice,       // a multishot stream's final completion is delivered again at the next wait
  kMoreDroppedOnFirst,    // a stream's first completion lacks MORE, though more follow
  kMoreOnFinal,           // a stream's final completion carries MORE: it never ends
  kCancelLosesFinal,      // a cancelled stream's final completion is dropped
  kAcceptRepeatsHandle,   // multishot accept hands out the first client's connection (a dup) again
  kGroupShapeUnchecked,   // add_buffer_group rounds a count that is not a power of two down
  kBufferNamedTwice,      // every BUFFER completion names the first buffer ever lent
  kBufferFlagDropped,     // completions that took a buffer lack LIO_COMPLETION_BUFFER and its id
  kEnobufsAsEof,          // an empty group's -ENOBUFS arrives as 0 (end of stream)
  kReturnAlwaysOk,        // return_buffer answers 0 whatever it is given
  kRemoveWhileBusy,       // remove_buffer_group answers 0 while an op on the group is in flight
  kNoticeDropped,         // SEND_ZC's notice is never delivered
  // ---- 1.1 links and registered resources ----
  kLinkDropped,           // LIO_OPF_LINK is dropped: a chain's ops all start at once
  kChainNoFailForward,    // chains run in order (held by the wrapper), but the next op runs whatever the last one got
  kChainSpansFlush,       // a linked op is held until the next push, so a flush does not end its chain
  kLinkTimeoutSwapped,    // a link timeout reports -ECANCELED when it fired and -ETIME when it was cut
  kFixedIndexOffByOne,    // the registered files are numbered from 1: index i reaches entry i - 1
  kFixedBufferUnchecked,  // READ/WRITE_FIXED run as plain READ/WRITE: no range check
  kRegisterNeverBusy,     // register_files answers 0 when the table is busy (and keeps the old one)
  // ---- 1.1 fast path ----
  kUniqueIdsLow32,        // under LIO_CONFIG_UNIQUE_IDS ids are kept in 32 bits (a user_data packed with a slot)
  kUnknownCancelCompletes, // under LIO_CONFIG_UNIQUE_IDS cancel of an unknown id answers 0 and completes it -ECANCELED
  kStableArrayReused,     // declares STABLE_COMPLETIONS but push stages its op in the wait array
};

constexpr Kind kKind = Kind::BROKEN_KIND;
constexpr const char* kName = BROKEN_NAME;
constexpr bool Is(Kind k) { return kKind == k; }

struct Wrapped {
  std::string inner_name;
  const lio_backend_vtable* inner = nullptr;
  std::string description;
  lio_backend_vtable vtable{};
};

Wrapped& wrapped() {
  static Wrapped* w = new Wrapped;  // lives as long as the plugin
  return *w;
}

bool reads_bytes(uint32_t code) {
  return code == LIO_OP_READ || code == LIO_OP_READV || code == LIO_OP_RECV || code == LIO_OP_RECVMSG;
}
bool writes_bytes(uint32_t code) {
  return code == LIO_OP_WRITE || code == LIO_OP_WRITEV || code == LIO_OP_SEND || code == LIO_OP_SENDMSG;
}
bool creates_handle(uint32_t code) {
  return code == LIO_OP_OPENAT || code == LIO_OP_SOCKET || code == LIO_OP_ACCEPT;
}
bool multishot(uint32_t code) { return code == LIO_OP_ACCEPT_MULTI || code == LIO_OP_RECV_MULTI; }
// Ops whose `handle` is a handle they operate on (not openat's dir).
bool uses_handle(uint32_t code) {
  return code != LIO_OP_NOP && code != LIO_OP_TIMEOUT && code != LIO_OP_SOCKET && code != LIO_OP_OPENAT;
}

// An error of the system call itself (not the backend's own -ECANCELED or
// -ETIME), the kind a sign or errno-handling bug would mangle.
bool syscall_error(int64_t result) { return result < 0 && result != -LIO_ECANCELED && result != -LIO_ETIME; }

// The first byte an op reads into, or nullptr.
unsigned char* read_target(const lio_op& op) {
  switch (op.code) {
    case LIO_OP_READ:
      return op.u.rw.len > 0 ? static_cast<unsigned char*>(op.u.rw.buf) : nullptr;
    case LIO_OP_RECV:
      return op.u.sr.len > 0 ? static_cast<unsigned char*>(op.u.sr.buf) : nullptr;
    case LIO_OP_READV:
      for (uint32_t i = 0; op.u.rwv.iov != nullptr && i < op.u.rwv.iovcnt; ++i) {
        if (op.u.rwv.iov[i].len > 0) return static_cast<unsigned char*>(op.u.rwv.iov[i].base);
      }
      return nullptr;
    default:
      return nullptr;
  }
}

void set_nonblocking(int64_t fd) {
  if (fd < 0 || fd > INT32_MAX) return;
  int flags = fcntl(static_cast<int>(fd), F_GETFL);
  if (flags >= 0) fcntl(static_cast<int>(fd), F_SETFL, flags | O_NONBLOCK);
}

bool is_closed(lio_handle h) {
  return h >= 0 && h <= INT32_MAX && fcntl(static_cast<int>(h), F_GETFD) < 0 && errno == EBADF;
}

// The size of Linux's siginfo_t (waitid's info), a fixed 128 bytes.
constexpr size_t kSiginfoSize = 128;

uint32_t splice_asked(const lio_op& op) {
  return (op.code == LIO_OP_TEE || op.code == LIO_OP_SPLICE) ? op.u.splice.len : 0;
}

// What pipe or waitid writes into before its completion.
void* out_of(const lio_op& op) {
  if (op.code == LIO_OP_PIPE) return op.u.pipe.fds;
  if (op.code == LIO_OP_WAITID) return op.u.waitid.info;
  return nullptr;
}

struct Slot {
  uint32_t code = 0;
  unsigned char* read_into = nullptr;
  lio_handle handle = LIO_INVALID_HANDLE;
  uint32_t poll_events = 0;
  lio_msghdr* msg = nullptr;
  bool cancelled = false;
  uint32_t asked = 0;         // tee/splice: the length asked
  void* out = nullptr;        // pipe: fds; waitid: info
  lio_statx* statx_buf = nullptr;
  uint32_t seen = 0;          // completions delivered so far (a stream has several)
  int64_t first_client = -1;  // ACCEPT_MULTI: its first accepted handle
};

// An op pushed and not yet handed to the inner backend (kReadsOpAtFlush keeps
// the caller's pointer; kWaitSkipsFlush a copy).
struct Pending {
  uint64_t id;
  const lio_op* pointer;
  lio_op copy;
};

lio_op changed_for_kind(const lio_op& op) {
  lio_op forwarded = op;
  if (Is(Kind::kTruncatedHandle)) forwarded.handle = static_cast<int>(op.handle);
  if (Is(Kind::kNegativeTimeoutForever) && op.code == LIO_OP_TIMEOUT && !(op.flags & LIO_TIMEOUT_ABSOLUTE) &&
      op.u.timeout.ns < 0) {
    forwarded.u.timeout.ns = INT64_MAX;
  }
  bool positional = op.code == LIO_OP_READ || op.code == LIO_OP_WRITE;
  bool vectored = op.code == LIO_OP_READV || op.code == LIO_OP_WRITEV;
  if (Is(Kind::kCurrentOffsetAsZero) && positional && op.u.rw.offset == LIO_OFFSET_CURRENT) forwarded.u.rw.offset = 0;
  if (Is(Kind::kCurrentOffsetAsZero) && vectored && op.u.rwv.offset == LIO_OFFSET_CURRENT) forwarded.u.rwv.offset = 0;
  if (op.code == LIO_OP_OPENAT) {
    if (Is(Kind::kDirIgnored)) forwarded.handle = LIO_AT_FDCWD;
    if (Is(Kind::kAtFdcwdRefused) && op.handle == LIO_AT_FDCWD) forwarded.handle = LIO_INVALID_HANDLE;
    if (Is(Kind::kAppendDropped)) forwarded.u.open.flags &= ~LIO_OPEN_APPEND;
    if (Is(Kind::kModeIgnored)) forwarded.u.open.mode = 0666;
  }
  if (op.code == LIO_OP_TIMEOUT) {
    if (Is(Kind::kAbsoluteAsRelative)) forwarded.flags &= ~LIO_TIMEOUT_ABSOLUTE;
    if (Is(Kind::kTimeoutEarly) && !(op.flags & LIO_TIMEOUT_ABSOLUTE)) forwarded.u.timeout.ns = op.u.timeout.ns / 2;
  }
  if (Is(Kind::kStatxUnwritten) && op.code == LIO_OP_STATX) {
    static lio_statx bounce;  // the backend's own; the caller's never sees it
    forwarded.u.statx.buf = &bounce;
  }
  if (Is(Kind::kAcceptAddressDropped) && op.code == LIO_OP_ACCEPT) {
    forwarded.u.accept.addr = nullptr;
    forwarded.u.accept.addrlen = nullptr;
  }
  if (Is(Kind::kLinkDropped) || Is(Kind::kChainNoFailForward)) forwarded.flags &= ~LIO_OPF_LINK;
  if (Is(Kind::kFixedBufferUnchecked) && op.code == LIO_OP_READ_FIXED) forwarded.code = LIO_OP_READ;
  if (Is(Kind::kFixedBufferUnchecked) && op.code == LIO_OP_WRITE_FIXED) forwarded.code = LIO_OP_WRITE;
  return forwarded;
}

// The 1.1 features the wrapper forwards (its calls pass straight through).
uint64_t forwarded_features(const lio_backend_vtable* inner) {
  return plugin::inner_features(inner) & (LIO_FEATURE_LINK | LIO_FEATURE_FIXED_FILES | LIO_FEATURE_FIXED_BUFFERS);
}

class BrokenBackend {
 public:
  int init(uint32_t capacity, uint32_t flags, const std::string& inner_options) {
    unique_ids_ = (flags & LIO_CONFIG_UNIQUE_IDS) != 0;
    ops_.init(Is(Kind::kOneSlotShort) ? std::max(1u, capacity - 1) : capacity);
    // An inner batch may hold several completions per op (multishot, and
    // SEND_ZC's notice: the poller's holds up to 3 * capacity), + a repeat.
    out_.assign(static_cast<size_t>(capacity) * 3 + 1 + kMaxPhantoms, lio_completion{});
    pending_.reserve(capacity);
    phantoms_.reserve(kMaxPhantoms);
    return inner_.create(wrapped().inner, capacity, inner_options);
  }

  uint64_t capabilities() const noexcept { return wrapped().vtable.capabilities; }
  uint64_t features() const noexcept { return wrapped().vtable.features; }

  int add_buffer_group(uint32_t group, void* base, uint32_t count, uint32_t size) noexcept {
    return inner_.add_buffer_group(group, base, count, size);
  }
  int return_buffer(uint32_t group, uint32_t buffer_id) noexcept {
    int rc = inner_.return_buffer(group, buffer_id);
    return Is(Kind::kReturnAlwaysOk) ? 0 : rc;
  }
  int remove_buffer_group(uint32_t group) noexcept {
    int rc = inner_.remove_buffer_group(group);
    return Is(Kind::kRemoveWhileBusy) && rc == -LIO_EBUSY ? 0 : rc;
  }
  int register_files(const lio_handle* handles, uint32_t count) noexcept {
    if (Is(Kind::kFixedIndexOffByOne) && count > 0) {
      try {
        std::vector<lio_handle> shifted(handles, handles + count);
        shifted.insert(shifted.begin(), LIO_INVALID_HANDLE);
        return inner_.register_files(shifted.data(), count + 1);
      } catch (const std::bad_alloc&) {
        return -LIO_ENOMEM;
      }
    }
    int rc = inner_.register_files(handles, count);
    if (Is(Kind::kRegisterNeverBusy) && rc == -LIO_EBUSY) return 0;
    return rc;
  }
  int register_buffers(const lio_iovec* buffers, uint32_t count) noexcept {
    return inner_.register_buffers(buffers, count);
  }

  int push(uint64_t id, const lio_op& op) noexcept {
    if (Is(Kind::kUnimplementedFsync) && op.code == LIO_OP_FSYNC) return -LIO_EOPNOTSUPP;
    if (Is(Kind::kDatasyncRefused) && op.code == LIO_OP_FSYNC && (op.flags & LIO_FSYNC_DATASYNC)) return -LIO_EINVAL;
    if (Is(Kind::kEbadfAtPush) && uses_handle(op.code) && is_closed(op.handle)) return -LIO_EBADF;
    if (Is(Kind::kOverflowDrops) && ops_.full()) return 0;  // "queued"; never seen again
    if (Is(Kind::kDuplicateBeforeFull) && ops_.find(id) != ops_.kNone) return -LIO_EEXIST;
    if (Is(Kind::kDuplicateIsEagain) && ops_.find(id) != ops_.kNone) return -LIO_EAGAIN;
    uint32_t slot = ops_.insert(id);
    if (slot == ops_.kNone) return ops_.full() ? -LIO_EAGAIN : -LIO_EEXIST;
    if (Is(Kind::kStableArrayReused)) out_[0] = lio_completion{id, 0, 0, 0};  // "free until the next wait"
    if (Is(Kind::kCallerMadeNonBlocking) && uses_handle(op.code) && op.code != LIO_OP_CLOSE) set_nonblocking(op.handle);
    ops_[slot] = Slot{op.code, read_target(op), op.handle, op.code == LIO_OP_POLL ? op.u.poll.events : 0,
                      op.code == LIO_OP_RECVMSG ? op.u.msg.msg : nullptr, false, splice_asked(op), out_of(op)};
    if (op.code == LIO_OP_STATX) ops_[slot].statx_buf = op.u.statx.buf;
    if (Is(Kind::kReadsOpAtFlush) || Is(Kind::kWaitSkipsFlush)) {
      pending_.push_back({id, &op, op});
      return 0;
    }
    if (Is(Kind::kChainNoFailForward) && open_link_ != 0) {  // waits for its predecessor, whatever it gets
      chain_held_.push_back({open_link_, Pending{id, nullptr, op}});
      open_link_ = (op.flags & LIO_OPF_LINK) ? id : 0;
      return 0;
    }
    if (Is(Kind::kChainNoFailForward)) open_link_ = (op.flags & LIO_OPF_LINK) ? id : 0;
    if (Is(Kind::kChainSpansFlush)) {
      if (int error = forward_held_link(); error < 0) {
        ops_.erase(slot);
        return error;
      }
      if (op.flags & LIO_OPF_LINK) {
        held_link_ = Pending{id, nullptr, op};
        has_held_link_ = true;
        return 0;
      }
    }
    lio_op forwarded = changed_for_kind(op);
    if (int error = inner_.push(id, &forwarded); error < 0) {
      ops_.erase(slot);
      return error;
    }
    return 0;
  }

  int flush() noexcept {
    open_link_ = 0;
    int handed = hand_over_pending();
    int n = inner_.flush();
    if (n < 0) return n;
    n = std::max(n, handed);
    if (Is(Kind::kFlushReturnsBool)) return n > 0 ? 1 : 0;
    return n;
  }

  int wait(int64_t timeout_ns, const lio_completion** out) noexcept {
    *out = out_.data();
    if (!Is(Kind::kWaitSkipsFlush)) hand_over_pending();
    if (Is(Kind::kWriteAfterCompletion) && late_write_ != nullptr) {
      *late_write_ = static_cast<unsigned char>(~*late_write_);
      late_write_ = nullptr;
    }
    if (Is(Kind::kStatxWrittenLate) && late_statx_ != nullptr) {
      *late_statx_ = late_statx_value_;
      late_statx_ = nullptr;
    }
    if (Is(Kind::kZeroWaitBlocks) && timeout_ns == 0) timeout_ns = -1;
    if (Is(Kind::kZeroWaitSleeps) && timeout_ns == 0) timeout_ns = 500'000'000;
    if (Is(Kind::kForeverWaitReturnsEmpty) && timeout_ns < 0) timeout_ns = 10'000'000;
    if (Is(Kind::kDurationInSeconds) && timeout_ns > 0) timeout_ns = timeout_ns / 1'000'000'000 * 1'000'000'000;
    if (Is(Kind::kWakeNeverClears) && woken_once_ && timeout_ns < 0) return 0;
    const lio_completion* batch = nullptr;
    waiting_ = true;
    int n = inner_.wait(timeout_ns, &batch);
    waiting_ = false;
    if (n < 0) return n;
    uint32_t count = 0;
    if (Is(Kind::kRepeatLastOfBatch) && repeat_pending_) {
      out_[count++] = repeat_;
      repeat_pending_ = false;
    }
    if (Is(Kind::kStreamEndsTwice) && stream_end_pending_) {
      out_[count++] = stream_end_;
      stream_end_pending_ = false;
    }
    uint32_t first = count;
    for (int i = 0; i < n; ++i) {
      if (!dropped(batch[i])) out_[count++] = deliver(batch[i]);
    }
    for (uint64_t id : phantoms_) out_[count++] = lio_completion{id, -LIO_ECANCELED, 0, 0};
    phantoms_.clear();
    if (Is(Kind::kChainNoFailForward) && released_) {
      released_ = false;
      inner_.flush();
    }
    n = static_cast<int>(count - first);
    if (Is(Kind::kDropLastOfBatch) && n >= 2) --count;
    if (Is(Kind::kRepeatLastOfBatch) && n >= 2) {
      repeat_ = out_[count - 1];
      repeat_pending_ = true;
    }
    if (Is(Kind::kRotateResults) && n >= 2) {
      int64_t last = out_[first + n - 1].result;
      for (uint32_t i = first + n - 1; i > first; --i) out_[i].result = out_[i - 1].result;
      out_[first].result = last;
    }
    return static_cast<int>(count);
  }

  int cancel(uint64_t id) noexcept {
    uint32_t slot = ops_.find(id);
    if (slot == ops_.kNone && Is(Kind::kUnknownCancelCompletes) && unique_ids_ && phantoms_.size() < kMaxPhantoms) {
      phantoms_.push_back(id);
      return 0;
    }
    if (slot == ops_.kNone) return Is(Kind::kCancelUnknownIsZero) ? 0 : -LIO_ENOENT;
    if (Is(Kind::kIgnoreCancel)) return 0;
    if (Is(Kind::kSecondCancelEalready) && ops_[slot].cancelled) return -LIO_EALREADY;
    ops_[slot].cancelled = true;
    return inner_.cancel(id);
  }

  // Reaps, without cancelling, until nothing is in flight or `limit` passed
  // (kDestroyDrains: a "graceful" destroy).
  void drain(std::chrono::nanoseconds limit) noexcept {
    auto end = std::chrono::steady_clock::now() + limit;
    hand_over_pending();
    inner_.flush();
    while (ops_.size() > 0 && std::chrono::steady_clock::now() < end) {
      const lio_completion* batch = nullptr;
      int n = inner_.wait(10'000'000, &batch);
      for (int i = 0; i < n; ++i) {
        if (!dropped(batch[i])) deliver(batch[i]);
      }
    }
  }

  int wake() noexcept {
    if (Is(Kind::kWakeDoesNothing)) return 0;
    if (Is(Kind::kWakeLostBeforeWait) && !waiting_) return 0;
    if (Is(Kind::kWakeNeverClears)) woken_once_ = true;
    return inner_.wake();
  }

 private:
  // Completions a kind loses (it still forgets the op when it was final).
  bool dropped(const lio_completion& c) noexcept {
    uint32_t slot = ops_.find(c.id);
    if (slot == ops_.kNone) return false;
    const Slot& op = ops_[slot];
    const bool final = (c.flags & LIO_COMPLETION_MORE) == 0;
    const bool drop = (Is(Kind::kCancelLosesFinal) && multishot(op.code) && op.cancelled && final) ||
                      (Is(Kind::kNoticeDropped) && (c.flags & LIO_COMPLETION_NOTIF) != 0);
    if (drop && final) ops_.erase(slot);
    return drop;
  }

  // What one inner completion becomes, per kind.
  lio_completion deliver(lio_completion c) noexcept {
    uint32_t slot = ops_.find(c.id);
    Slot op = slot == ops_.kNone ? Slot{} : ops_[slot];
    const bool final = (c.flags & LIO_COMPLETION_MORE) == 0;
    if (slot != ops_.kNone) {
      ++ops_[slot].seen;
      if (final) ops_.erase(slot);
    }
    c = deliver_stream(c, op, slot != ops_.kNone && !final ? &ops_[slot] : nullptr, final);
    if (Is(Kind::kTruncateId)) c.id &= 0xFFFF'FFFFull;
    if (Is(Kind::kUniqueIdsLow32) && unique_ids_) c.id &= 0xFFFF'FFFFull;
    if (Is(Kind::kCompletionFlagsSet)) c.flags = 0x2;
    if (Is(Kind::kNopResultOne) && op.code == LIO_OP_NOP && c.result == 0) c.result = 1;
    if (Is(Kind::kOffByOneBytes) && reads_bytes(op.code) && c.result > 0) c.result += 1;
    if (Is(Kind::kWriteOffByOne) && writes_bytes(op.code) && c.result > 0) c.result += 1;
    if (Is(Kind::kCloseReturnsHandle) && op.code == LIO_OP_CLOSE && c.result == 0) c.result = op.handle;
    if (Is(Kind::kOpenReturnsZero) && creates_handle(op.code) && c.result > 0) c.result = 0;
    if (Is(Kind::kCreatedNonBlocking) && creates_handle(op.code)) set_nonblocking(c.result);
    if (Is(Kind::kPollReportsAllAsked) && op.code == LIO_OP_POLL && c.result >= 0) c.result = op.poll_events;
    if (Is(Kind::kRecvmsgFlagsCleared) && op.msg != nullptr && c.result >= 0) op.msg->flags = 0;
    if (Is(Kind::kSpliceReportsAsked) && op.asked > 0 && c.result > 0) c.result = op.asked;
    if (Is(Kind::kPipeEndsSwapped) && op.code == LIO_OP_PIPE && op.out != nullptr && c.result == 0) {
      auto* fds = static_cast<lio_handle*>(op.out);
      std::swap(fds[0], fds[1]);
    }
    if (Is(Kind::kWaitidInfoCleared) && op.code == LIO_OP_WAITID && op.out != nullptr) {
      std::memset(op.out, 0, kSiginfoSize);
    }
    if (Is(Kind::kPositiveErrno) && syscall_error(c.result)) c.result = -c.result;
    if (Is(Kind::kSuccessForError) && syscall_error(c.result)) c.result = 0;
    if (Is(Kind::kWriteAfterCompletion) && op.read_into != nullptr && c.result > 0) late_write_ = op.read_into;
    if (Is(Kind::kRenameEnoentIsZero) && op.code == LIO_OP_RENAMEAT && c.result == -LIO_ENOENT) c.result = 0;
    if (Is(Kind::kStatxWrittenLate) && op.statx_buf != nullptr && c.result == 0) {
      late_statx_ = op.statx_buf;
      late_statx_value_ = *op.statx_buf;
    }
    if (Is(Kind::kLinkTimeoutSwapped) && op.code == LIO_OP_LINK_TIMEOUT) {
      if (c.result == -LIO_ETIME) {
        c.result = -LIO_ECANCELED;
      } else if (c.result == -LIO_ECANCELED) {
        c.result = -LIO_ETIME;
      }
    }
    if (Is(Kind::kChainNoFailForward)) release_successor(c.id);
    return c;
  }

  // The 1.1 kinds: what a completion of a stream or a buffer group becomes.
  // `live` is the op's slot while it is still in flight (MORE), else null.
  lio_completion deliver_stream(lio_completion c, const Slot& op, Slot* live, bool final) noexcept {
    if (Is(Kind::kStreamEndsTwice) && multishot(op.code) && final) {
      stream_end_ = c;
      stream_end_pending_ = true;
    }
    if (Is(Kind::kMoreDroppedOnFirst) && multishot(op.code) && !final && op.seen == 0) c.flags &= ~LIO_COMPLETION_MORE;
    if (Is(Kind::kMoreOnFinal) && multishot(op.code) && final) c.flags |= LIO_COMPLETION_MORE;
    if (Is(Kind::kAcceptRepeatsHandle) && op.code == LIO_OP_ACCEPT_MULTI && !final && c.result >= 0 && live) {
      if (live->first_client < 0) {
        live->first_client = c.result;
      } else {
        close(static_cast<int>(c.result));  // this client's connection is lost
        c.result = fcntl(static_cast<int>(live->first_client), F_DUPFD_CLOEXEC, 0);
      }
    }
    if (c.flags & LIO_COMPLETION_BUFFER) {
      if (Is(Kind::kBufferNamedTwice)) {
        if (first_buffer_ == UINT32_MAX) first_buffer_ = LIO_COMPLETION_BUFFER_ID(c.flags);
        c.flags = (c.flags & 0xffffu) | (first_buffer_ << 16);
      }
      if (Is(Kind::kBufferFlagDropped)) c.flags &= ~(LIO_COMPLETION_BUFFER | 0xffff0000u);
    }
    if (Is(Kind::kEnobufsAsEof) && c.result == -LIO_ENOBUFS) c.result = 0;
    return c;
  }

  // kChainNoFailForward: the op held behind `id` goes to the inner backend now.
  void release_successor(uint64_t id) noexcept {
    for (size_t i = 0; i < chain_held_.size(); ++i) {
      if (chain_held_[i].first != id) continue;
      Pending next = chain_held_[i].second;
      chain_held_.erase(chain_held_.begin() + static_cast<std::ptrdiff_t>(i));
      lio_op op = changed_for_kind(next.copy);
      if (inner_.push(next.id, &op) == 0) released_ = true;
      return;
    }
  }

  // kChainSpansFlush: the linked op kept back at the last push.
  int forward_held_link() noexcept {
    if (!has_held_link_) return 0;
    has_held_link_ = false;
    lio_op op = changed_for_kind(held_link_.copy);
    return inner_.push(held_link_.id, &op);
  }

  // Hands the ops push kept to the inner backend; how many.
  int hand_over_pending() noexcept {
    int handed = 0;
    for (Pending& p : pending_) {
      lio_op op = changed_for_kind(p.pointer != nullptr && Is(Kind::kReadsOpAtFlush) ? *p.pointer : p.copy);
      if (inner_.push(p.id, &op) < 0) {
        uint32_t slot = ops_.find(p.id);
        if (slot != ops_.kNone) ops_.erase(slot);  // lost: the bug shows as a missing completion
        continue;
      }
      ++handed;
    }
    pending_.clear();
    return handed;
  }

  static constexpr size_t kMaxPhantoms = 8;

  plugin::InnerBackend inner_;
  bool unique_ids_ = false;
  std::vector<uint64_t> phantoms_;  // kUnknownCancelCompletes: ids to complete at the next wait
  plugin::OpTable<Slot> ops_;
  std::vector<lio_completion> out_;  // capacity + 1: room for a repeated one
  std::vector<Pending> pending_;
  lio_completion repeat_{};
  bool repeat_pending_ = false;
  lio_completion stream_end_{};
  bool stream_end_pending_ = false;
  uint32_t first_buffer_ = UINT32_MAX;
  unsigned char* late_write_ = nullptr;
  lio_statx* late_statx_ = nullptr;
  lio_statx late_statx_value_{};
  std::atomic<bool> waiting_{false};
  std::atomic<bool> woken_once_{false};
  // kChainNoFailForward: (predecessor id, op held behind it); the last linked id.
  std::vector<std::pair<uint64_t, Pending>> chain_held_;
  uint64_t open_link_ = 0;
  bool released_ = false;
  // kChainSpansFlush: a linked op not handed over yet.
  Pending held_link_{};
  bool has_held_link_ = false;
};

int vt_probe(char* why, size_t why_size) noexcept {
  if (Is(Kind::kProbeRefusesSilently)) {
    if (why != nullptr && why_size > 0) why[0] = '\0';
    return -LIO_ENOSYS;
  }
  if (Is(Kind::kProbeFlips)) {
    static std::atomic<unsigned> calls{0};
    if (calls++ % 2 == 1) {
      if (why != nullptr && why_size > 0) std::snprintf(why, why_size, "busy right now (asked %u times)", calls.load());
      return -LIO_EAGAIN;
    }
  }
  return plugin::probe_inner(kName, wrapped().inner_name.c_str(), wrapped().inner, why, why_size);
}

int create_instance(const lio_backend_config* config, lio_backend** out) noexcept {
  lio_backend_config settings;
  lio_backend_config widened;
  if (Is(Kind::kCapacityZeroAccepted) && config != nullptr && config->struct_size >= sizeof widened &&
      config->capacity == 0) {
    widened = *config;
    widened.capacity = 1;
    config = &widened;
  }
  if (out == nullptr || plugin::read_config(config, &settings) != 0) return -LIO_EINVAL;
  if (Is(Kind::kConfigNeedsOptions) && config->struct_size < LIO_PLUGIN_SIZE_THROUGH(lio_backend_config, options)) {
    return -LIO_EINVAL;
  }
  if (Is(Kind::kConfigFlagsRefused) && settings.flags != 0) return -LIO_EINVAL;
  if (Is(Kind::kNeedsHost) && settings.host == nullptr) return -LIO_EINVAL;
  if (wrapped().inner == nullptr) return -LIO_ENOENT;
  try {
    std::string inner_options;
    // Only "inner.KEY=VALUE" (passed on); anything else is a typo.
    auto refuse = [](std::string_view, std::string_view) { return Is(Kind::kUnknownOptionsIgnored); };
    if (!plugin::split_options(settings.options, &inner_options, refuse)) return -LIO_EINVAL;
    auto* backend = new BrokenBackend;
    if (int error = backend->init(settings.capacity, settings.flags, inner_options); error < 0) {
      delete backend;
      return error;
    }
    *out = reinterpret_cast<lio_backend*>(backend);
    return 0;
  } catch (const std::bad_alloc&) {
    return -LIO_ENOMEM;
  }
}

int vt_create(const lio_backend_config* config, lio_backend** out) noexcept {
  int rc = create_instance(config, out);
  if (rc < 0 && Is(Kind::kOutClearedOnError) && out != nullptr) *out = nullptr;
  return rc;
}

using Thunks = plugin::InstanceThunks<BrokenBackend>;

void destroy(lio_backend* b) noexcept {
  if (Is(Kind::kDestroyLeaksInner)) return;  // forgot: the instance and all it holds stay
  if (Is(Kind::kDestroyDrains)) Thunks::of(b)->drain(std::chrono::seconds(3));
  Thunks::destroy(b);
}

// push before the kit's checks, for the kinds that get the checks wrong.
int push(lio_backend* b, uint64_t id, const lio_op* op) noexcept {
  if (op == nullptr) return Thunks::push(b, id, op);
  if (Is(Kind::kShortOpRefused) && op->struct_size < sizeof(lio_op)) return -LIO_EINVAL;
  bool whole = op->struct_size >= sizeof(lio_op) && LIO_ABI_MAJOR(op->abi_version) == LIO_ABI_VERSION_MAJOR;
  if (Is(Kind::kUndefinedFlagsIgnored) && whole) {
    lio_op cleared = *op;  // undefined bits dropped before the check: a malformed op accepted
    cleared.flags &= plugin::known_op_flags(op->code);
    if (op->code == LIO_OP_OPENAT) cleared.u.open.flags &= plugin::kKnownOpenFlags;
    return Thunks::push(b, id, &cleared);
  }
  if (Is(Kind::kBadCodeAsNop) && whole && op->code >= LIO_OP_COUNT) {
    lio_op nop = *op;
    nop.code = LIO_OP_NOP;
    nop.flags = 0;
    return Thunks::push(b, id, &nop);
  }
  if (Is(Kind::kUndeclaredAccepted) && whole && op->code == LIO_OP_POLL) {
    return Thunks::of(b)->push(id, *op);  // past the capability check
  }
  if (Is(Kind::kUndeclaredFeatureAccepted) && whole) {
    lio_op stripped = *op;  // as if the flag had never been set
    stripped.flags &= ~(LIO_OPF_LINK | LIO_OPF_FIXED_FILE);
    if (op->code == LIO_OP_RECV) stripped.flags &= ~LIO_RECV_BUFFER_SELECT;
    return Thunks::push(b, id, &stripped);
  }
  return Thunks::push(b, id, op);
}

// kNativeOpsUndeclared: claims a code nobody declared here runs natively.
uint64_t native_ops_with_undeclared() noexcept {
  return LIO_CAP(LIO_OP_NOP) | LIO_CAP(LIO_OP_WRITE_FIXED);
}

// add_buffer_group before the kit's checks, for the kind that skips them.
int add_buffer_group(lio_backend* b, uint32_t group, void* base, uint32_t count, uint32_t size) noexcept {
  if (Is(Kind::kGroupShapeUnchecked) && count > 1) count = std::bit_floor(count);
  return Thunks::add_buffer_group(b, group, base, count, size);
}

uint64_t declared_capabilities(const lio_backend_vtable* inner) {
  uint64_t caps = inner != nullptr ? inner->capabilities & LIO_CAP_ALL_OPS : 0;
  if (Is(Kind::kUnimplementedFsync)) caps |= LIO_CAP(LIO_OP_FSYNC);
  if (Is(Kind::kUndeclaredAccepted)) caps &= ~LIO_CAP(LIO_OP_POLL);
  if (Is(Kind::kCapabilityBeyondCount)) caps |= UINT64_C(1) << 40;
  // native_ops_with_undeclared names WRITE_FIXED, which this one then lacks.
  if (Is(Kind::kNativeOpsUndeclared)) caps &= ~LIO_CAP(LIO_OP_WRITE_FIXED);
  // A 1.0 plugin knows only the 1.0 codes.
  if (Is(Kind::kAbi10Shape)) caps &= LIO_CAP_OPS_1_0;
  return caps;
}

}  // namespace
}  // namespace lio::broken

extern "C" LIO_PLUGIN_EXPORT int lio_plugin_register(const lio_registrar* registrar) {
  using namespace lio::broken;
  if (Is(Kind::kRegistrarUnchecked)) {
    if (registrar == nullptr || registrar->register_backend == nullptr) return -LIO_EINVAL;
    lio::plugin::keep_host(registrar);  // the first (real) registration keeps it
  } else if (lio::plugin::read_registrar(registrar) != 0 || !lio::plugin::keep_host(registrar)) {
    return -LIO_EINVAL;
  }
  Wrapped& w = wrapped();
  const char* inner = std::getenv("LIO_BROKEN_INNER");
  w.inner_name = inner != nullptr && inner[0] != '\0' ? inner : "poller";
  w.inner = lio::plugin::find_backend(w.inner_name.c_str());
  w.description = "test-only, broken on purpose (" + std::string(kName) + ") over " + w.inner_name;
  if (Is(Kind::kTwoLineDescription)) w.description += "\nsee the source for what it breaks";
  w.vtable = lio_backend_vtable{
      .struct_size = sizeof(lio_backend_vtable),
      .abi_version = LIO_ABI_VERSION,
      .name = kName,
      .description = w.description.c_str(),
      .capabilities = declared_capabilities(w.inner),
      .priority = -1000,  // never "auto"
      .reserved = 0,
      .probe = vt_probe,
      .create = vt_create,
      .destroy = destroy,
      .push = push,
      .flush = Thunks::flush,
      .wait = Thunks::wait,
      .cancel = Thunks::cancel,
      .wake = Thunks::wake,
      .features = forwarded_features(w.inner),
      .native_ops = nullptr,
      .register_files = Thunks::register_files,
      .register_buffers = Thunks::register_buffers,
  };
  if (lio::plugin::inner_features(w.inner) & LIO_FEATURE_BUFFER_GROUPS) {
    w.vtable.features |= LIO_FEATURE_BUFFER_GROUPS;
    w.vtable.add_buffer_group = add_buffer_group;
    w.vtable.return_buffer = Thunks::return_buffer;
    w.vtable.remove_buffer_group = Thunks::remove_buffer_group;
  }
  if (Is(Kind::kFeatureBitUndefined)) w.vtable.features |= uint64_t{1} << 40;
  // Declares no feature, so the suite's flags of undeclared features reach it.
  if (Is(Kind::kUndeclaredFeatureAccepted)) w.vtable.features = 0;
  if (Is(Kind::kNativeOpsUndeclared)) w.vtable.native_ops = native_ops_with_undeclared;
  if (Is(Kind::kAbi10Shape)) {
    // What a plugin compiled against ABI 1.0's header registers: its vtable
    // ends at `wake` and says minor 0. The host must read nothing past it.
    w.vtable.struct_size = offsetof(lio_backend_vtable, features);
    w.vtable.features = 0;  // (unread by the host; the kit's push checks flags against it)
    w.vtable.abi_version = (LIO_ABI_VERSION_MAJOR << 16) | 0;
  }
  if (Is(Kind::kStableArrayReused)) w.vtable.features |= LIO_FEATURE_STABLE_COMPLETIONS;
  return registrar->register_backend(registrar->context, &w.vtable);
}
