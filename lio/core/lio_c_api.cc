// The C API of lio.h over lio::Registry and lio::Backend. No exception
// reaches C: only opening can throw (std::bad_alloc), and that becomes
// -LIO_ENOMEM. A NULL instance or op is -LIO_EINVAL, never a crash.
#include "lio/core/lio.h"

#include <cstring>
#include <mutex>
#include <new>
#include <string_view>
#include <utility>

#include "lio/core/backend.h"
#include "lio/core/error.h"
#include "lio/core/registry.h"

struct lio_instance {
  lio::Backend backend;
};

namespace {

// Copies `text` into the caller's buffer, truncated and NUL-terminated.
void CopyError(std::string_view text, char* error, size_t error_size) noexcept {
  if (error == nullptr || error_size == 0) return;
  size_t n = text.size() < error_size - 1 ? text.size() : error_size - 1;
  std::memcpy(error, text.data(), n);
  error[n] = '\0';
}

int ErrorNumber(const std::error_code& code) noexcept { return code ? -code.value() : -LIO_EINVAL; }

int Open(const char* name, uint32_t capacity, const char* options, lio_instance** out, char* error,
         size_t error_size) {
  // Registry::Default() loads plugins and is not thread-safe.
  static std::mutex registry_mutex;
  std::lock_guard<std::mutex> lock(registry_mutex);
  lio::BackendOptions backend_options;
  backend_options.capacity = capacity;
  if (options != nullptr) backend_options.options = options;
  auto opened = lio::Registry::Default().Open(name != nullptr ? name : "", backend_options);
  if (!opened) {
    CopyError(opened.error().message, error, error_size);
    return ErrorNumber(opened.error().code);
  }
  *out = new lio_instance{std::move(*opened)};
  return 0;
}

}  // namespace

namespace {
// The C boundary's answer for a core error: 0 or a negative LIO_E* code.
int ErrorCode(std::error_code ec) { return ec ? -ec.value() : 0; }
}  // namespace

extern "C" {

int lio_open(const char* name, uint32_t capacity, const char* options, lio_instance** out, char* error,
             size_t error_size) {
  CopyError("", error, error_size);
  if (out == nullptr) {
    CopyError("lio_open: `out` is NULL; pass the address of a lio_instance* to receive the instance.", error,
              error_size);
    return -LIO_EINVAL;
  }
  try {
    return Open(name, capacity, options, out, error, error_size);
  } catch (const std::bad_alloc&) {
    CopyError("lio_open: out of memory.", error, error_size);
  } catch (...) {
    CopyError("lio_open: unexpected failure while loading plugins.", error, error_size);
  }
  return -LIO_ENOMEM;
}

void lio_close(lio_instance* io) { delete io; }

const char* lio_backend_name(const lio_instance* io) { return io != nullptr ? io->backend.name().c_str() : ""; }

int lio_supports(const lio_instance* io, uint32_t op_code) {
  return io != nullptr && io->backend.supports(op_code) ? 1 : 0;
}

int lio_push(lio_instance* io, uint64_t id, const lio_op* op) {
  if (io == nullptr || op == nullptr) return -LIO_EINVAL;
  return ErrorCode(io->backend.push(id, *op));
}

int lio_flush(lio_instance* io) {
  if (io == nullptr) return -LIO_EINVAL;
  auto flushed = io->backend.flush();
  return flushed ? *flushed : -flushed.error().value();
}

int lio_wait(lio_instance* io, int64_t timeout_ns, const lio_completion** out) {
  if (io == nullptr || out == nullptr) return -LIO_EINVAL;
  lio::Backend::Timeout timeout;
  if (timeout_ns >= 0) timeout = std::chrono::nanoseconds(timeout_ns);
  auto done = io->backend.wait(timeout);
  if (!done) return -done.error().value();
  *out = done->data();
  return static_cast<int>(done->size());
}

int lio_cancel(lio_instance* io, uint64_t id) {
  if (io == nullptr) return -LIO_EINVAL;
  return ErrorCode(io->backend.cancel(id));
}

int lio_wake(lio_instance* io) {
  if (io == nullptr) return -LIO_EINVAL;
  return ErrorCode(io->backend.wake());
}

uint64_t lio_features(const lio_instance* io) { return io != nullptr ? io->backend.info().ext.features : 0; }

uint64_t lio_native_ops(const lio_instance* io) {
  if (io == nullptr) return 0;
  return io->backend.info().native_ops().value_or(0);
}

int lio_register_files(lio_instance* io, const lio_handle* handles, uint32_t count) {
  if (io == nullptr || (handles == nullptr && count != 0)) return -LIO_EINVAL;
  return ErrorCode(io->backend.register_files({handles, count}));
}

int lio_register_buffers(lio_instance* io, const lio_iovec* buffers, uint32_t count) {
  if (io == nullptr || (buffers == nullptr && count != 0)) return -LIO_EINVAL;
  return ErrorCode(io->backend.register_buffers({buffers, count}));
}

int lio_add_buffer_group(lio_instance* io, uint32_t group, void* base, uint32_t count, uint32_t size) {
  if (io == nullptr) return -LIO_EINVAL;
  return ErrorCode(io->backend.add_buffer_group(group, base, count, size));
}

int lio_return_buffer(lio_instance* io, uint32_t group, uint32_t buffer_id) {
  if (io == nullptr) return -LIO_EINVAL;
  return ErrorCode(io->backend.return_buffer(group, buffer_id));
}

int lio_remove_buffer_group(lio_instance* io, uint32_t group) {
  if (io == nullptr) return -LIO_EINVAL;
  return ErrorCode(io->backend.remove_buffer_group(group));
}

const char* lio_error_name(int code) { return lio::error_name(code); }

}  // extern "C"
