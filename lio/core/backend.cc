#include "lio/core/backend.h"

#include <algorithm>
#include <utility>
#include <vector>

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
  config.flags = options.flags;
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

namespace {

// The probe is offered kWhySize bytes of a larger buffer whose tail holds a
// known pattern: a probe that writes past why_size is caught (and its
// backend refused) instead of silently corrupting the host.
constexpr size_t kWhySize = 512;
constexpr size_t kWhyCanarySize = 3584;
constexpr unsigned char kCanaryByte = 0xa5;

bool CanaryIntact(const std::vector<unsigned char>& buffer) {
  return std::all_of(buffer.begin() + kWhySize, buffer.end(), [](unsigned char c) { return c == kCanaryByte; });
}

}  // namespace

ProbeResult Backend::Probe(const BackendInfo& info) {
  std::vector<unsigned char> buffer(kWhySize + kWhyCanarySize, kCanaryByte);
  std::fill_n(buffer.begin(), kWhySize, 0);
  char* why = reinterpret_cast<char*>(buffer.data());
  int rc = info.vtable->probe(why, kWhySize);
  ProbeResult result;
  if (!CanaryIntact(buffer)) {
    result.code = -LIO_EFAULT;
    result.why = "its probe wrote past the end of the " + std::to_string(kWhySize) +
                 "-byte message buffer it was given (why_size), so plugin '" + info.plugin_path +
                 "' is broken and its backend is refused: fix the probe to write at most why_size bytes";
    return result;
  }
  why[kWhySize - 1] = '\0';
  result.code = rc > 0 ? 0 : rc;
  if (rc < 0) result.why = why[0] != '\0' ? why : make_error(rc).message();
  return result;
}

Backend::Backend(Backend&& other) noexcept
    : info_(other.info_), vtable_(other.vtable_), impl_(std::exchange(other.impl_, nullptr)),
      capacity_(other.capacity_),
      legacy_(other.legacy_) {}

Backend& Backend::operator=(Backend&& other) noexcept {
  if (this != &other) {
    if (impl_ != nullptr) vtable_->destroy(impl_);
    info_ = other.info_;
    vtable_ = other.vtable_;
    impl_ = std::exchange(other.impl_, nullptr);
    capacity_ = other.capacity_;
    legacy_ = other.legacy_;
  }
  return *this;
}

Backend::~Backend() {
  if (impl_ != nullptr) vtable_->destroy(impl_);
}

}  // namespace lio
