// The shape every backend has, checked by the compiler, and the C vtable made
// from it. A backend is a C++ class; the kit owns the C boundary:
//
//   class MyBackend {
//    public:
//     static int probe(char* why, size_t why_size) noexcept;
//     static int create(const lio_backend_config& config,   // already read
//                       std::unique_ptr<MyBackend>* out);    // may throw bad_alloc
//     uint64_t capabilities() const noexcept;
//     int push(uint64_t id, const lio_op& op) noexcept;     // op already checked
//     int flush() noexcept;
//     int wait(int64_t timeout_ns, const lio_completion** out) noexcept;
//     int cancel(uint64_t id) noexcept;
//     int wake() noexcept;
//     ~MyBackend();                                           // destroy
//
//     // ABI 1.1, each optional (see the concepts below):
//     uint64_t features() const noexcept;                     // LIO_FEATURE_*
//     static uint64_t native_ops() noexcept;                  // vtable.native_ops
//     int register_files(const lio_handle*, uint32_t) noexcept;
//     int register_buffers(const lio_iovec*, uint32_t) noexcept;
//     int add_buffer_group(uint32_t group, void* base, uint32_t count, uint32_t size) noexcept;
//     int return_buffer(uint32_t group, uint32_t buffer_id) noexcept;
//     int remove_buffer_group(uint32_t group) noexcept;
//   };
//
//   constexpr lio_backend_vtable kVtable =
//       lio::plugin::make_vtable<MyBackend>("mine", "my backend", caps, 10);
//   extern "C" LIO_PLUGIN_EXPORT int lio_plugin_register(const lio_registrar* r) {
//     return lio::plugin::register_backends(r, {&kVtable});
//   }
//
// What the kit does at the boundary, so no backend writes it again: create
// reads the config (boundary.h: size, major, capacity 0) and turns
// std::bad_alloc into -LIO_ENOMEM; push reads and checks the op (size, major,
// code, capability, flags) before the backend sees it — a backend's push
// gets only well-formed ops of codes it declared, and dispatches them by
// code to its per-op preparation (op_prep.cc / op_calls.cc).
//
// Plugin-side helper (header-only, C++20 standard library); nothing here
// crosses the ABI.
#ifndef LIO_PLUGINS_COMMON_BACKEND_KIT_H_
#define LIO_PLUGINS_COMMON_BACKEND_KIT_H_

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <new>

#include "lio/core/plugin_abi.h"
#include "lio/plugins/common/boundary.h"

namespace lio::plugin {

// What an instance provides: the vtable's calls after create.
template <class B>
concept BackendInstance = requires(B& b, const B& cb, uint64_t id, const lio_op& op, int64_t timeout_ns,
                                   const lio_completion** out) {
  { cb.capabilities() } noexcept -> std::same_as<uint64_t>;
  { b.push(id, op) } noexcept -> std::same_as<int>;
  { b.flush() } noexcept -> std::same_as<int>;
  { b.wait(timeout_ns, out) } noexcept -> std::same_as<int>;
  { b.cancel(id) } noexcept -> std::same_as<int>;
  { b.wake() } noexcept -> std::same_as<int>;
  requires std::is_nothrow_destructible_v<B>;
};

// ABI 1.1's optional members. A backend that has them gets them in its
// vtable; one that has not leaves the vtable entry NULL (the host then
// answers -LIO_EOPNOTSUPP).
template <class B>
concept HasFeatures = requires(const B& cb) {
  { cb.features() } noexcept -> std::same_as<uint64_t>;
};
template <class B>
concept HasNativeOps = requires {
  { B::native_ops() } noexcept -> std::same_as<uint64_t>;
};
template <class B>
concept HasFixedFiles = requires(B& b, const lio_handle* handles, uint32_t count) {
  { b.register_files(handles, count) } noexcept -> std::same_as<int>;
};
template <class B>
concept HasFixedBuffers = requires(B& b, const lio_iovec* buffers, uint32_t count) {
  { b.register_buffers(buffers, count) } noexcept -> std::same_as<int>;
};
template <class B>
concept HasBufferGroups = requires(B& b, uint32_t group, void* base, uint32_t n, uint32_t size) {
  { b.add_buffer_group(group, base, n, size) } noexcept -> std::same_as<int>;
  { b.return_buffer(group, n) } noexcept -> std::same_as<int>;
  { b.remove_buffer_group(group) } noexcept -> std::same_as<int>;
};

// The features an instance declares (0 for a backend without features()).
template <class B>
uint64_t features_of(const B& b) noexcept {
  if constexpr (HasFeatures<B>) {
    return b.features();
  } else {
    return 0;
  }
}

// What a backend type provides: an instance, plus probe and create.
template <class B>
concept Backend = BackendInstance<B> && requires(char* why, size_t why_size, const lio_backend_config& config,
                                                 std::unique_ptr<B>* out) {
  { B::probe(why, why_size) } noexcept -> std::same_as<int>;
  { B::create(config, out) } -> std::same_as<int>;
};

// The instance calls: destroy, push, flush, wait, cancel, wake. A wrapping
// backend whose probe and create are per registered name (chaos) uses these
// with its own probe and create.
template <BackendInstance B>
struct InstanceThunks {
  static B* of(lio_backend* b) noexcept { return reinterpret_cast<B*>(b); }

  static void destroy(lio_backend* b) noexcept { delete of(b); }

  static int push(lio_backend* b, uint64_t id, const lio_op* op) noexcept {
    B* self = of(b);
    if (!op_is_whole(op)) [[unlikely]] return push_padded(self, id, op);
    if (int error = check_op(*op, self->capabilities(), features_of(*self)); error != 0) return error;
    return self->push(id, *op);
  }
  static int flush(lio_backend* b) noexcept { return of(b)->flush(); }
  static int wait(lio_backend* b, int64_t timeout_ns, const lio_completion** out) noexcept {
    if (out == nullptr) return -LIO_EINVAL;
    return of(b)->wait(timeout_ns, out);
  }
  static int cancel(lio_backend* b, uint64_t id) noexcept { return of(b)->cancel(id); }
  static int wake(lio_backend* b) noexcept { return of(b)->wake(); }

  // ABI 1.1 ([fixed.register], [bufgroup.*]); only taken into the vtable
  // when B has them. The table limit is checked here, once for every
  // backend, so they all answer a too-large table the same way.
  static constexpr uint32_t kMaxRegistered = 65536;
  static int register_files(lio_backend* b, const lio_handle* handles, uint32_t count) noexcept
    requires HasFixedFiles<B>
  {
    if ((handles == nullptr && count != 0) || count > kMaxRegistered) return -LIO_EINVAL;
    return of(b)->register_files(handles, count);
  }
  static int register_buffers(lio_backend* b, const lio_iovec* buffers, uint32_t count) noexcept
    requires HasFixedBuffers<B>
  {
    if ((buffers == nullptr && count != 0) || count > kMaxRegistered) return -LIO_EINVAL;
    return of(b)->register_buffers(buffers, count);
  }
  static int add_buffer_group(lio_backend* b, uint32_t group, void* base, uint32_t count, uint32_t size) noexcept
    requires HasBufferGroups<B>
  {
    if (!buffer_group_shape_valid(group, base, count, size)) return -LIO_EINVAL;
    return of(b)->add_buffer_group(group, base, count, size);
  }
  static int return_buffer(lio_backend* b, uint32_t group, uint32_t buffer_id) noexcept
    requires HasBufferGroups<B>
  {
    return of(b)->return_buffer(group, buffer_id);
  }
  static int remove_buffer_group(lio_backend* b, uint32_t group) noexcept
    requires HasBufferGroups<B>
  {
    return of(b)->remove_buffer_group(group);
  }

 private:
  // An op of an older minor version (shorter) or a malformed one: copied so
  // its missing fields read as zero. Out of line so push needs no copy.
  [[gnu::noinline]] static int push_padded(B* self, uint64_t id, const lio_op* op) noexcept {
    lio_op padded;
    if (int error = read_op(op, self->capabilities(), &padded, features_of(*self)); error != 0) return error;
    return self->push(id, padded);
  }
};

// Adopts a created instance as the opaque lio_backend*. 0, or `error` when
// the backend's create failed (or made nothing).
template <class B>
int hand_out(int error, std::unique_ptr<B> made, lio_backend** out) noexcept {
  if (error < 0) return error;
  if (made == nullptr) return -LIO_ENOMEM;
  *out = reinterpret_cast<lio_backend*>(made.release());
  return 0;
}

template <Backend B>
struct Thunks : InstanceThunks<B> {
  static int probe(char* why, size_t why_size) noexcept {
    if (why != nullptr && why_size > 0) why[0] = '\0';
    return B::probe(why, why_size);
  }

  static int create(const lio_backend_config* config, lio_backend** out) noexcept {
    lio_backend_config settings;
    if (out == nullptr) return -LIO_EINVAL;
    if (int error = read_config(config, &settings); error != 0) return error;
    try {
      std::unique_ptr<B> made;
      int error = B::create(settings, &made);
      return hand_out(error, std::move(made), out);
    } catch (const std::bad_alloc&) {
      return -LIO_ENOMEM;
    }
  }
};

// The 1.1 members of B's vtable: what B has, NULL for what it lacks.
template <BackendInstance B>
constexpr void fill_extensions(lio_backend_vtable& vtable, uint64_t features) {
  using T = InstanceThunks<B>;
  vtable.features = features;
  if constexpr (HasNativeOps<B>) vtable.native_ops = B::native_ops;
  if constexpr (HasFixedFiles<B>) vtable.register_files = T::register_files;
  if constexpr (HasFixedBuffers<B>) vtable.register_buffers = T::register_buffers;
  if constexpr (HasBufferGroups<B>) {
    vtable.add_buffer_group = T::add_buffer_group;
    vtable.return_buffer = T::return_buffer;
    vtable.remove_buffer_group = T::remove_buffer_group;
  }
}

// The vtable of backend class B. `name` must satisfy lio_backend_name_valid.
// `features` are the LIO_FEATURE_* bits every instance has (an instance's
// features() may not add to them).
template <Backend B>
constexpr lio_backend_vtable make_vtable(const char* name, const char* description, uint64_t capabilities,
                                         int32_t priority, uint64_t features = 0) {
  using T = Thunks<B>;
  lio_backend_vtable vtable{
      .struct_size = sizeof(lio_backend_vtable),
      .abi_version = LIO_ABI_VERSION,
      .name = name,
      .description = description,
      .capabilities = capabilities,
      .priority = priority,
      .reserved = 0,
      .probe = T::probe,
      .create = T::create,
      .destroy = T::destroy,
      .push = T::push,
      .flush = T::flush,
      .wait = T::wait,
      .cancel = T::cancel,
      .wake = T::wake,
  };
  fill_extensions<B>(vtable, features);
  return vtable;
}

// The body of lio_plugin_register: checks the registrar once
// ([register.registrar_checked]) and registers each vtable, stopping at the
// first error, which it returns.
inline int register_backends(const lio_registrar* registrar,
                             std::initializer_list<const lio_backend_vtable*> vtables) noexcept {
  if (int error = read_registrar(registrar); error != 0) return error;
  for (const lio_backend_vtable* vtable : vtables) {
    if (int error = registrar->register_backend(registrar->context, vtable); error != 0) return error;
  }
  return 0;
}

}  // namespace lio::plugin

#endif  // LIO_PLUGINS_COMMON_BACKEND_KIT_H_
