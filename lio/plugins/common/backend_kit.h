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
    if (int error = check_op(*op, self->capabilities()); error != 0) return error;
    return self->push(id, *op);
  }
  static int flush(lio_backend* b) noexcept { return of(b)->flush(); }
  static int wait(lio_backend* b, int64_t timeout_ns, const lio_completion** out) noexcept {
    if (out == nullptr) return -LIO_EINVAL;
    return of(b)->wait(timeout_ns, out);
  }
  static int cancel(lio_backend* b, uint64_t id) noexcept { return of(b)->cancel(id); }
  static int wake(lio_backend* b) noexcept { return of(b)->wake(); }

 private:
  // An op of an older minor version (shorter) or a malformed one: copied so
  // its missing fields read as zero. Out of line so push needs no copy.
  [[gnu::noinline]] static int push_padded(B* self, uint64_t id, const lio_op* op) noexcept {
    lio_op padded;
    if (int error = read_op(op, self->capabilities(), &padded); error != 0) return error;
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

// The vtable of backend class B. `name` must satisfy lio_backend_name_valid.
template <Backend B>
constexpr lio_backend_vtable make_vtable(const char* name, const char* description, uint64_t capabilities,
                                         int32_t priority) {
  using T = Thunks<B>;
  return lio_backend_vtable{
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
