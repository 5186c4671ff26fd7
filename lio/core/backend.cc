#include "lio/core/backend.h"

#include <utility>

#include "lio/core/registry.h"

namespace lio {

Expected<Backend, Error> Backend::Open(std::string_view name, const BackendOptions& options) {
  return Registry::Default().Open(name, options);
}

Expected<Backend, Error> Backend::Create(const BackendInfo& info, const BackendOptions& options) {
  if (options.capacity == 0) {
    return Unexpected{Error{make_error(-LIO_EINVAL),
                            "capacity must be at least 1 (the number of operations in flight at once)"}};
  }
  lio_backend_config config{};
  config.struct_size = sizeof config;
  config.abi_version = LIO_ABI_VERSION;
  config.capacity = options.capacity;
  config.options = options.options.empty() ? nullptr : options.options.c_str();
  lio_backend* impl = nullptr;
  int rc = info.vtable->create(&config, &impl);
  if (rc < 0 || impl == nullptr) {
    std::error_code code = rc < 0 ? make_error(rc) : make_error(-LIO_EINVAL);
    std::string message = "backend '" + info.name + "' could not be created with capacity " +
                          std::to_string(options.capacity);
    if (!options.options.empty()) message += " and options '" + options.options + "'";
    message += ": " + code.message() + ".";
    if (rc == -LIO_EINVAL) message += " Check the options against the backend's documentation.";
    if (rc == -LIO_ENOMEM) message += " Lower the capacity.";
    return Unexpected{Error{code, std::move(message)}};
  }
  return Backend(&info, info.vtable, impl, options.capacity);
}

ProbeResult Backend::Probe(const BackendInfo& info) {
  char why[512] = {};
  int rc = info.vtable->probe(why, sizeof why);
  why[sizeof why - 1] = '\0';
  ProbeResult result;
  result.code = rc > 0 ? 0 : rc;
  if (rc < 0) result.why = why[0] != '\0' ? why : make_error(rc).message();
  return result;
}

Backend::Backend(Backend&& other) noexcept
    : info_(other.info_), vtable_(other.vtable_), impl_(std::exchange(other.impl_, nullptr)), capacity_(other.capacity_) {}

Backend& Backend::operator=(Backend&& other) noexcept {
  if (this != &other) {
    if (impl_ != nullptr) vtable_->destroy(impl_);
    info_ = other.info_;
    vtable_ = other.vtable_;
    impl_ = std::exchange(other.impl_, nullptr);
    capacity_ = other.capacity_;
  }
  return *this;
}

Backend::~Backend() {
  if (impl_ != nullptr) vtable_->destroy(impl_);
}

}  // namespace lio
