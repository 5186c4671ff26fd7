// Test-only backends, each breaking exactly one clause of the contract, so the
// meta-test can prove the conformance suite catches every one of them.
//
// One source, built once per kind (BUILD.bazel passes BROKEN_KIND and
// BROKEN_NAME). Each backend wraps a real one — $LIO_BROKEN_INNER, default
// "poller", found through the host (so through LIO_PLUGIN_PATH) — forwards
// every call, declares the inner backend's capabilities, and gets one thing
// wrong, the way a real backend plausibly would:
//
//   kDropLastOfBatch     a batch of two or more loses its last completion
//                        (an off-by-one copying the batch)           exactly_once
//   kRepeatLastOfBatch   the last completion of a batch of two or more is
//                        delivered again by the next wait (a ring head
//                        advanced one short)                         exactly_once
//   kTruncateId          ids keep only their low 32 bits             known_ids_only
//   kOffByOneBytes       byte counts are one too many                result_matches_syscall
//   kPositiveErrno       the syscall's errors arrive as +errno       result_matches_syscall
//   kSuccessForError     the syscall's errors arrive as 0 (success)  result_matches_syscall
//   kIgnoreCancel        cancel answers 0 and asks nothing, so a pending
//                        op never completes                          cancel_semantics
//   kZeroWaitBlocks      wait(0) is taken as "no timeout" and blocks
//                        until a completion or a wake                wait_timeout_semantics
//   kZeroWaitSleeps      wait(0) sleeps up to 500 ms (a poll interval
//                        where none belongs); no single call is late
//                        enough for the suite's slack                wait_timeout_semantics
//   kOverflowDrops       push past capacity answers 0 and drops the op
//                                                                    capacity_honoured
//   kWriteAfterCompletion  the buffer of a read/recv is written again (a late
//                        bounce-buffer copy) at the next wait after its
//                        completion was returned                     buffer_untouched_after_completion
//   kWakeDoesNothing     wake answers 0 and does nothing             wake_thread_safe
//   kUnimplementedFsync  fsync is declared but push
//                        refuses it with -EOPNOTSUPP                 capability_declared
//   kDuplicateBeforeFull a full backend answers a duplicate id with
//                        -EEXIST (the id is looked up first)         capacity_honoured
//   kTruncatedHandle     the handle is cast to int, so 2^32 + fd
//                        reaches fd                                  result_matches_syscall
//   kConfigNeedsOptions  create refuses a config too short to hold
//                        `options` (an older, shorter config)        config_validated
//   kUndefinedFlagsIgnored  undefined op flag bits are cleared instead
//                        of refused                                  push_errors
//   kRegistrarUnchecked  lio_plugin_register reads the registrar without
//                        checking its struct_size or ABI major       registration_checked
//
// Never install these: every one of them is wrong on purpose.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "lio/core/plugin_abi.h"
#include "lio/plugins/common/backend_kit.h"
#include "lio/plugins/common/op_table.h"
#include "lio/plugins/common/wrapped_backend.h"

namespace lio::broken {
namespace {

enum class Kind {
  kDropLastOfBatch,
  kRepeatLastOfBatch,
  kTruncateId,
  kOffByOneBytes,
  kPositiveErrno,
  kSuccessForError,
  kIgnoreCancel,
  kZeroWaitBlocks,
  kZeroWaitSleeps,
  kOverflowDrops,
  kWriteAfterCompletion,
  kWakeDoesNothing,
  kUnimplementedFsync,
  kDuplicateBeforeFull,
  kTruncatedHandle,
  kConfigNeedsOptions,
  kUndefinedFlagsIgnored,
  kRegistrarUnchecked,
};

constexpr Kind kKind = Kind::BROKEN_KIND;
constexpr const char* kName = BROKEN_NAME;

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

bool counts_bytes(uint32_t code) {
  switch (code) {
    case LIO_OP_READ:
    case LIO_OP_READV:
    case LIO_OP_RECV:
    case LIO_OP_RECVMSG:
    case LIO_OP_WRITE:
    case LIO_OP_WRITEV:
    case LIO_OP_SEND:
    case LIO_OP_SENDMSG:
      return true;
    default:
      return false;
  }
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

struct Slot {
  uint32_t code = 0;
  unsigned char* read_into = nullptr;
};

class BrokenBackend {
 public:
  int init(uint32_t capacity, const std::string& inner_options) {
    ops_.init(capacity);
    out_.assign(capacity + 1, lio_completion{});
    return inner_.create(wrapped().inner, capacity, inner_options);
  }

  uint64_t capabilities() const noexcept { return wrapped().vtable.capabilities; }

  int push(uint64_t id, const lio_op& op) noexcept {
    if (kKind == Kind::kUnimplementedFsync && op.code == LIO_OP_FSYNC) return -LIO_EOPNOTSUPP;
    if (kKind == Kind::kOverflowDrops && ops_.full()) return 0;  // "queued"; never seen again
    if (kKind == Kind::kDuplicateBeforeFull && ops_.find(id) != ops_.kNone) return -LIO_EEXIST;
    uint32_t slot = ops_.insert(id);
    if (slot == ops_.kNone) return ops_.full() ? -LIO_EAGAIN : -LIO_EEXIST;
    lio_op forwarded = op;
    if (kKind == Kind::kTruncatedHandle) forwarded.handle = static_cast<int>(op.handle);
    if (int error = inner_.push(id, &forwarded); error < 0) {
      ops_.erase(slot);
      return error;
    }
    ops_[slot] = Slot{op.code, read_target(op)};
    return 0;
  }

  int flush() noexcept { return inner_.flush(); }

  int wait(int64_t timeout_ns, const lio_completion** out) noexcept {
    *out = out_.data();
    if (kKind == Kind::kWriteAfterCompletion && late_write_ != nullptr) {
      *late_write_ = static_cast<unsigned char>(~*late_write_);
      late_write_ = nullptr;
    }
    if (kKind == Kind::kZeroWaitBlocks && timeout_ns == 0) timeout_ns = -1;
    if (kKind == Kind::kZeroWaitSleeps && timeout_ns == 0) timeout_ns = 500'000'000;
    const lio_completion* batch = nullptr;
    int n = inner_.wait(timeout_ns, &batch);
    if (n < 0) return n;
    uint32_t count = 0;
    if (kKind == Kind::kRepeatLastOfBatch && repeat_pending_) {
      out_[count++] = repeat_;
      repeat_pending_ = false;
    }
    for (int i = 0; i < n; ++i) {
      lio_completion c = batch[i];
      uint32_t slot = ops_.find(c.id);
      Slot op = slot == ops_.kNone ? Slot{} : ops_[slot];
      if (slot != ops_.kNone) ops_.erase(slot);
      if (kKind == Kind::kTruncateId) c.id &= 0xFFFF'FFFFull;
      if (kKind == Kind::kOffByOneBytes && counts_bytes(op.code) && c.result > 0) c.result += 1;
      if (kKind == Kind::kPositiveErrno && syscall_error(c.result)) c.result = -c.result;
      if (kKind == Kind::kSuccessForError && syscall_error(c.result)) c.result = 0;
      if (kKind == Kind::kWriteAfterCompletion && op.read_into != nullptr && c.result > 0) late_write_ = op.read_into;
      out_[count++] = c;
    }
    if (kKind == Kind::kDropLastOfBatch && n >= 2) --count;
    if (kKind == Kind::kRepeatLastOfBatch && n >= 2) {
      repeat_ = out_[count - 1];
      repeat_pending_ = true;
    }
    return static_cast<int>(count);
  }

  int cancel(uint64_t id) noexcept {
    if (kKind == Kind::kIgnoreCancel) return ops_.find(id) != ops_.kNone ? 0 : -LIO_ENOENT;
    return inner_.cancel(id);
  }

  int wake() noexcept {
    if (kKind == Kind::kWakeDoesNothing) return 0;
    return inner_.wake();
  }

 private:
  plugin::InnerBackend inner_;
  plugin::OpTable<Slot> ops_;
  std::vector<lio_completion> out_;  // capacity + 1: room for a repeated one
  lio_completion repeat_{};
  bool repeat_pending_ = false;
  unsigned char* late_write_ = nullptr;
};


int vt_probe(char* why, size_t why_size) noexcept {
  return plugin::probe_inner(kName, wrapped().inner_name.c_str(), wrapped().inner, why, why_size);
}

int vt_create(const lio_backend_config* config, lio_backend** out) noexcept {
  lio_backend_config settings;
  if (out == nullptr || plugin::read_config(config, &settings) != 0) return -LIO_EINVAL;
  if (kKind == Kind::kConfigNeedsOptions && config->struct_size < LIO_PLUGIN_SIZE_THROUGH(lio_backend_config, options)) {
    return -LIO_EINVAL;
  }
  if (wrapped().inner == nullptr) return -LIO_ENOENT;
  try {
    std::string inner_options;
    // Only "inner.KEY=VALUE" (passed on); anything else is a typo.
    auto refuse = [](std::string_view, std::string_view) { return false; };
    if (!plugin::split_options(settings.options, &inner_options, refuse)) return -LIO_EINVAL;
    auto* backend = new BrokenBackend;
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

using Thunks = plugin::InstanceThunks<BrokenBackend>;

// push as kUndefinedFlagsIgnored has it: undefined flag bits are dropped
// before the op is checked, so a malformed op is accepted.
int push_clearing_flags(lio_backend* b, uint64_t id, const lio_op* op) noexcept {
  if (op == nullptr || op->struct_size < sizeof(lio_op)) return Thunks::push(b, id, op);
  lio_op cleared = *op;
  cleared.flags &= plugin::known_op_flags(op->code);
  if (op->code == LIO_OP_OPENAT) cleared.u.open.flags &= plugin::kKnownOpenFlags;
  return Thunks::push(b, id, &cleared);
}

}  // namespace
}  // namespace lio::broken

extern "C" LIO_PLUGIN_EXPORT int lio_plugin_register(const lio_registrar* registrar) {
  using namespace lio::broken;
  if (kKind == Kind::kRegistrarUnchecked) {
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
  w.vtable = lio_backend_vtable{
      .struct_size = sizeof(lio_backend_vtable),
      .abi_version = LIO_ABI_VERSION,
      .name = kName,
      .description = w.description.c_str(),
      .capabilities = (w.inner != nullptr ? w.inner->capabilities & LIO_CAP_ALL_OPS : 0) |
                      (kKind == Kind::kUnimplementedFsync ? LIO_CAP(LIO_OP_FSYNC) : 0),
      .priority = -1000,  // never "auto"
      .reserved = 0,
      .probe = vt_probe,
      .create = vt_create,
      .destroy = Thunks::destroy,
      .push = kKind == Kind::kUndefinedFlagsIgnored ? push_clearing_flags : Thunks::push,
      .flush = Thunks::flush,
      .wait = Thunks::wait,
      .cancel = Thunks::cancel,
      .wake = Thunks::wake,
  };
  return registrar->register_backend(registrar->context, &w.vtable);
}
