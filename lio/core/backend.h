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

  bool supports(uint32_t op_code) const noexcept {
    return op_code < LIO_OP_COUNT && (capabilities & LIO_CAP(op_code)) != 0;
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

  // Can this backend run here (before creating an instance)?
  static ProbeResult Probe(const BackendInfo& info);

 private:
  Backend(const BackendInfo* info, const lio_backend_vtable* vtable, lio_backend* impl, uint32_t capacity) noexcept
      : info_(info), vtable_(vtable), impl_(impl), capacity_(capacity) {}

  const BackendInfo* info_;
  const lio_backend_vtable* vtable_;
  lio_backend* impl_;
  uint32_t capacity_;
};

}  // namespace lio

#endif  // LIO_CORE_BACKEND_H_
