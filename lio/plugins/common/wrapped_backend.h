// Helpers for a backend that wraps another registered backend (the chaos
// plugin; the conformance suite's broken plugins): find the inner backend
// through the host, create and own one instance of it, forward calls, and
// split the options meant for it (the structs the caller passes are read by
// boundary.h, as for every backend).
//
// The host is only handed to lio_plugin_register (probe and create get none),
// so a wrapping plugin keeps it there:
//
//   extern "C" LIO_PLUGIN_EXPORT int lio_plugin_register(const lio_registrar* r) {
//     lio::plugin::keep_host(r);
//     const lio_backend_vtable* inner = lio::plugin::find_backend("poller");
//     ...  // declare inner->capabilities, register
//   }
//
// Looking the inner backend up during registration loads its plugin (the
// registry searches LIO_PLUGIN_PATH), which is what lets a wrapper declare
// exactly the capabilities of what it wraps.
//
// Plugin-side helper (C++, header-only); nothing here crosses the ABI.
#ifndef LIO_PLUGINS_COMMON_WRAPPED_BACKEND_H_
#define LIO_PLUGINS_COMMON_WRAPPED_BACKEND_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "lio/core/plugin_abi.h"
#include "lio/plugins/common/boundary.h"
#include "lio/plugins/common/options.h"

namespace lio::plugin {

// ---- the host -------------------------------------------------------------

inline const lio_host*& kept_host() {
  static const lio_host* host = nullptr;
  return host;
}

// Remembers the registrar's host (it lives as long as the plugin is loaded).
// False when the registrar is too old to carry one.
inline bool keep_host(const lio_registrar* registrar) {
  const lio_host* host = registrar_host(registrar);
  if (host == nullptr) return false;
  kept_host() = host;
  return true;
}

// The registered backend `name` (its plugin is loaded if needed), or nullptr.
inline const lio_backend_vtable* find_backend(const char* name) {
  const lio_host* host = kept_host();
  if (host == nullptr || name == nullptr) return nullptr;
  return host->find_backend(host->context, name);
}

// probe of a wrapper around `inner`: the inner backend's probe, its sentence
// prefixed with the wrapper's name; -LIO_ENOENT and a sentence saying where it
// was looked for when `inner` cannot be found.
inline int probe_inner(const char* wrapper, const char* inner_name, const lio_backend_vtable* inner, char* why,
                       size_t why_size) {
  if (inner == nullptr) {
    if (why != nullptr && why_size > 0) {
      std::string_view plugin(inner_name);  // "x:anything" lives in liblio_x
      plugin = plugin.substr(0, plugin.find(':'));
      std::snprintf(why, why_size,
                    "%s wraps backend '%s', which is not registered: put liblio_%.*s.so in a directory of "
                    "LIO_PLUGIN_PATH",
                    wrapper, inner_name, static_cast<int>(plugin.size()), plugin.data());
    }
    return -LIO_ENOENT;
  }
  char inner_why[384] = {};
  int rc = inner->probe(inner_why, sizeof inner_why);
  inner_why[sizeof inner_why - 1] = '\0';
  if (rc < 0 && why != nullptr && why_size > 0) {
    std::snprintf(why, why_size, "%s wraps backend '%s', which cannot run here: %s", wrapper, inner_name,
                  inner_why[0] != '\0' ? inner_why : "(it gave no reason)");
  }
  return rc < 0 ? rc : 0;
}

// ---- options -------------------------------------------------------------

// Options "key=value,...": pairs whose key starts with "inner." go to the
// inner backend (prefix removed) in *inner_options; the others to
// visit(key, value). False when a pair has no '=' or visit refuses one.
// Allocates: call it from create only.
template <class Visit>
bool split_options(const char* options, std::string* inner_options, Visit&& visit) {
  inner_options->clear();
  return for_each_option(options, [&](std::string_view key, std::string_view value) {
    constexpr std::string_view kInner = "inner.";
    if (key.substr(0, kInner.size()) == kInner) {
      if (!inner_options->empty()) inner_options->push_back(',');
      inner_options->append(key.substr(kInner.size())).push_back('=');
      inner_options->append(value);
      return true;
    }
    return visit(key, value);
  });
}

// ---- one instance of the inner backend ------------------------------------

class InnerBackend {
 public:
  InnerBackend() = default;
  InnerBackend(const InnerBackend&) = delete;
  InnerBackend& operator=(const InnerBackend&) = delete;
  ~InnerBackend() { reset(); }

  // Creates an instance of `vtable` for `capacity` ops with `options` (may
  // be empty). 0, or the inner create's error.
  int create(const lio_backend_vtable* vtable, uint32_t capacity, const std::string& options) {
    reset();
    if (vtable == nullptr) return -LIO_ENOENT;
    lio_backend_config config{};
    config.struct_size = sizeof config;
    config.abi_version = LIO_ABI_VERSION;
    config.capacity = capacity;
    config.options = options.empty() ? nullptr : options.c_str();
    config.host = kept_host();
    lio_backend* instance = nullptr;
    int rc = vtable->create(&config, &instance);
    if (rc < 0) return rc;
    if (instance == nullptr) return -LIO_EINVAL;
    vtable_ = vtable;
    instance_ = instance;
    return 0;
  }

  // Destroys the instance (its in-flight ops are cancelled and not delivered).
  void reset() {
    if (instance_ != nullptr) vtable_->destroy(std::exchange(instance_, nullptr));
  }

  const lio_backend_vtable* vtable() const { return vtable_; }
  int push(uint64_t id, const lio_op* op) { return vtable_->push(instance_, id, op); }
  int flush() { return vtable_->flush(instance_); }
  int wait(int64_t timeout_ns, const lio_completion** out) { return vtable_->wait(instance_, timeout_ns, out); }
  int cancel(uint64_t id) { return vtable_->cancel(instance_, id); }
  int wake() { return vtable_->wake(instance_); }

  // 1.1 buffer groups, forwarded; -LIO_EOPNOTSUPP when the inner vtable
  // lacks them.
  int add_buffer_group(uint32_t group, void* base, uint32_t count, uint32_t size) {
    auto* const call = reaches_buffer_groups() ? vtable_->add_buffer_group : nullptr;
    return call != nullptr ? call(instance_, group, base, count, size) : -LIO_EOPNOTSUPP;
  }
  int return_buffer(uint32_t group, uint32_t buffer_id) {
    auto* const call = reaches_buffer_groups() ? vtable_->return_buffer : nullptr;
    return call != nullptr ? call(instance_, group, buffer_id) : -LIO_EOPNOTSUPP;
  }
  int remove_buffer_group(uint32_t group) {
    auto* const call = reaches_buffer_groups() ? vtable_->remove_buffer_group : nullptr;
    return call != nullptr ? call(instance_, group) : -LIO_EOPNOTSUPP;
  }

  // ABI 1.1 calls: -LIO_EOPNOTSUPP when the inner backend lacks them (a 1.0
  // vtable is too short to hold them).
  int register_files(const lio_handle* handles, uint32_t count) {
    if (!reaches(LIO_PLUGIN_SIZE_THROUGH(lio_backend_vtable, register_files)) || vtable_->register_files == nullptr) {
      return -LIO_EOPNOTSUPP;
    }
    return vtable_->register_files(instance_, handles, count);
  }
  int register_buffers(const lio_iovec* buffers, uint32_t count) {
    if (!reaches(LIO_PLUGIN_SIZE_THROUGH(lio_backend_vtable, register_buffers)) ||
        vtable_->register_buffers == nullptr) {
      return -LIO_EOPNOTSUPP;
    }
    return vtable_->register_buffers(instance_, buffers, count);
  }

 private:
  bool reaches(size_t size) const { return vtable_ != nullptr && vtable_->struct_size >= size; }
  bool reaches_buffer_groups() const { return reaches(LIO_PLUGIN_SIZE_THROUGH(lio_backend_vtable, remove_buffer_group)); }

  const lio_backend_vtable* vtable_ = nullptr;
  lio_backend* instance_ = nullptr;
};

// The LIO_FEATURE_* bits of `inner` (0 for a 1.0 vtable, which has none).
inline uint64_t inner_features(const lio_backend_vtable* inner) {
  if (inner == nullptr || inner->struct_size < LIO_PLUGIN_SIZE_THROUGH(lio_backend_vtable, features)) return 0;
  return inner->features & LIO_FEATURE_ALL;
}

}  // namespace lio::plugin

#endif  // LIO_PLUGINS_COMMON_WRAPPED_BACKEND_H_
