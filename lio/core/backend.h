// lio::Backend — one live instance of a backend, owned by one thread.
//
// A thin RAII wrapper over the plugin's vtable: each call is one indirect
// call into the plugin, with no allocation and no lock. Obtain one from
// lio::Registry (by name, "auto", or LIO_BACKEND) or lio::Backend::Open.
//
//   auto backend = lio::Backend::Open("io_uring");
//   if (!backend) { std::cerr << backend.error().message << "\n"; return 1; }
//   char buf[4096];
//   backend->push(1, lio::Op::Read(fd, buf, sizeof buf, 0));
//   backend->flush();
//   auto done = backend->wait();   // blocks for at least one completion
//   for (const lio_completion& c : *done) { ... c.id, c.result ... }
#ifndef LIO_CORE_BACKEND_H_
#define LIO_CORE_BACKEND_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "lio/core/error.h"
#include "lio/core/expected.h"
#include "lio/core/op.h"
#include "lio/core/plugin_abi.h"

namespace lio {

struct BackendOptions {
  uint32_t capacity = 256;  // operations in flight at once
  std::string options;      // backend-specific "key=value,..." (see its docs)
  // LIO_CONFIG_* promises (lio_backend_config.flags): LIO_CONFIG_UNIQUE_IDS
  // lets io_uring skip its id index ([config.unique_ids]).
  uint32_t flags = 0;
};

// A vtable's ABI 1.1 members, read once at registration: zero / NULL for a
// 1.0 plugin, whose vtable ends before them.
struct BackendExtensions {
  uint64_t features = 0;  // LIO_FEATURE_* (only those whose calls exist)
  uint64_t (*native_ops)(void) = nullptr;
  int (*register_files)(lio_backend*, const lio_handle*, uint32_t) = nullptr;
  int (*register_buffers)(lio_backend*, const lio_iovec*, uint32_t) = nullptr;
  int (*add_buffer_group)(lio_backend*, uint32_t, void*, uint32_t, uint32_t) = nullptr;
  int (*return_buffer)(lio_backend*, uint32_t, uint32_t) = nullptr;
  int (*remove_buffer_group)(lio_backend*, uint32_t) = nullptr;
};

// Static facts about a registered backend.
struct BackendInfo {
  std::string name;
  std::string description;
  std::string plugin_path;  // the file it came from
  uint32_t abi_version = 0;
  uint64_t capabilities = 0;
  int32_t priority = 0;
  const lio_backend_vtable* vtable = nullptr;
  BackendExtensions ext;

  bool supports(uint32_t op_code) const noexcept {
    return op_code < LIO_OP_COUNT && (capabilities & LIO_CAP(op_code)) != 0;
  }
  bool has_feature(uint64_t feature) const noexcept { return (ext.features & feature) == feature; }
  // The declared codes the OS mechanism performs itself here, or nullopt
  // when the backend does not say (a 1.0 plugin).
  std::optional<uint64_t> native_ops() const noexcept {
    if (ext.native_ops == nullptr) return std::nullopt;
    return ext.native_ops() & capabilities;
  }
};

// The outcome of a probe: ok, or why not.
struct ProbeResult {
  int code = 0;       // 0 or a negative LIO_E* code
  std::string why;    // the backend's explanation when code != 0
  bool ok() const noexcept { return code == 0; }
};

class Backend {
 public:
  using Timeout = std::optional<std::chrono::nanoseconds>;

  // Opens `name` ("io_uring", "auto", or "" for $LIO_BACKEND else auto)
  // through the process-wide registry (Registry::Default()).
  static Expected<Backend, Error> Open(std::string_view name, const BackendOptions& options = {});

  // Creates an instance from an already-registered backend.
  static Expected<Backend, Error> Create(const BackendInfo& info, const BackendOptions& options = {});

  Backend(Backend&& other) noexcept;
  Backend& operator=(Backend&& other) noexcept;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;
  ~Backend();  // destroys the instance: in-flight ops are cancelled, not delivered

  const BackendInfo& info() const noexcept { return *info_; }
  const std::string& name() const noexcept { return info_->name; }
  uint32_t capacity() const noexcept { return capacity_; }
  bool supports(uint32_t op_code) const noexcept { return info_->supports(op_code); }

  // Queue an op (no system call). Errors: resource_unavailable_try_again
  // (LIO_EAGAIN) when `capacity` ops are in flight; file_exists when `id`
  // is in flight; operation_not_supported when not in the capability mask.
  std::error_code push(uint64_t id, const lio_op& op) noexcept {
    if (legacy_ && needs_a_feature(op)) [[unlikely]] return make_error(-LIO_EOPNOTSUPP);
    return make_error(vtable_->push(impl_, id, &op));
  }

  // Hand every queued op to the OS in one system call; how many.
  Expected<int> flush() noexcept {
    int n = vtable_->flush(impl_);
    if (n < 0) return Unexpected{make_error(n)};
    return n;
  }

  // Completions: block for at least one (no timeout), poll (zero), or wait
  // up to `timeout`. Valid until the next wait or push.
  Expected<std::span<const lio_completion>> wait(Timeout timeout = std::nullopt) noexcept {
    const lio_completion* out = nullptr;
    int64_t ns = timeout ? (timeout->count() < 0 ? 0 : timeout->count()) : -1;
    int n = vtable_->wait(impl_, ns, &out);
    if (n < 0) return Unexpected{make_error(n)};
    return std::span<const lio_completion>(out, static_cast<size_t>(n));
  }

  // Ask `id` to stop; it still completes exactly once. no_such_file_or_directory
  // (LIO_ENOENT) when no such op is in flight.
  std::error_code cancel(uint64_t id) noexcept { return make_error(vtable_->cancel(impl_, id)); }

  // Thread-safe: make a blocked wait return.
  std::error_code wake() noexcept { return make_error(vtable_->wake(impl_)); }

  // ---- ABI 1.1; operation_not_supported where the backend lacks the feature ----
  bool has_feature(uint64_t feature) const noexcept { return info_->has_feature(feature); }

  // Replace the registered files / buffers (count 0 drops them).
  std::error_code register_files(std::span<const lio_handle> handles) noexcept {
    if (info_->ext.register_files == nullptr) return make_error(-LIO_EOPNOTSUPP);
    return make_error(info_->ext.register_files(impl_, handles.data(), static_cast<uint32_t>(handles.size())));
  }
  std::error_code register_buffers(std::span<const lio_iovec> buffers) noexcept {
    if (info_->ext.register_buffers == nullptr) return make_error(-LIO_EOPNOTSUPP);
    return make_error(info_->ext.register_buffers(impl_, buffers.data(), static_cast<uint32_t>(buffers.size())));
  }

  // Buffer groups: `count` buffers of `size` bytes from `base` (caller-owned).
  std::error_code add_buffer_group(uint32_t group, void* base, uint32_t count, uint32_t size) noexcept {
    if (info_->ext.add_buffer_group == nullptr) return make_error(-LIO_EOPNOTSUPP);
    return make_error(info_->ext.add_buffer_group(impl_, group, base, count, size));
  }
  std::error_code return_buffer(uint32_t group, uint32_t buffer_id) noexcept {
    if (info_->ext.return_buffer == nullptr) return make_error(-LIO_EOPNOTSUPP);
    return make_error(info_->ext.return_buffer(impl_, group, buffer_id));
  }
  std::error_code remove_buffer_group(uint32_t group) noexcept {
    if (info_->ext.remove_buffer_group == nullptr) return make_error(-LIO_EOPNOTSUPP);
    return make_error(info_->ext.remove_buffer_group(impl_, group));
  }

  // Can this backend run here (before creating an instance)?
  static ProbeResult Probe(const BackendInfo& info);

 private:
  Backend(const BackendInfo* info, const lio_backend_vtable* vtable, lio_backend* impl, uint32_t capacity) noexcept
      : info_(info),
        vtable_(vtable),
        impl_(impl),
        capacity_(capacity),
        legacy_(LIO_ABI_MINOR(info->abi_version) == 0) {}

  // [abi.minor_compatible]: a 1.0 plugin knows no 1.1 code or flag (it would
  // call one malformed); the host answers for it, as [push.undeclared] and
  // [push.undeclared_feature] say: -EOPNOTSUPP.
  static bool needs_a_feature(const lio_op& op) noexcept {
    return (op.code >= LIO_OP_COUNT_1_0 && op.code < LIO_OP_COUNT) ||
           (op.flags & (LIO_OPF_LINK | LIO_OPF_FIXED_FILE)) != 0 ||
           (op.code == LIO_OP_RECV && (op.flags & LIO_RECV_BUFFER_SELECT));
  }

  const BackendInfo* info_;
  const lio_backend_vtable* vtable_;
  lio_backend* impl_;
  uint32_t capacity_;
  bool legacy_;  // a 1.0 plugin: needs_a_feature is answered here
};

}  // namespace lio

#endif  // LIO_CORE_BACKEND_H_
