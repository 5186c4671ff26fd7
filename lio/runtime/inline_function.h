// lio::InlineFunction<R(Args...), N>: a move-only callable wrapper that keeps
// callables of up to N bytes inside itself (no allocation), like a
// std::function with a guaranteed small buffer.
//
// The loop stores every operation's callback in its slot this way, so the
// callback path allocates nothing as long as the lambda's captures fit:
//
//   loop.read(fd, buf, 0, [conn](lio::Expected<size_t> n) { ... });  // inline
//
// A callable bigger than N bytes (or over-aligned, or whose move may throw)
// still works: it is moved to the heap, one allocation per wrapper. Capture a
// pointer to your state instead of the state itself to stay inline.
#ifndef LIO_RUNTIME_INLINE_FUNCTION_H_
#define LIO_RUNTIME_INLINE_FUNCTION_H_

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace lio {

template <class Signature, size_t N = 64>
class InlineFunction;

template <class R, class... Args, size_t N>
class InlineFunction<R(Args...), N> {
 public:
  static constexpr size_t kInlineSize = N;

  // Whether F is stored inline (true) or on the heap (false).
  template <class F>
  static constexpr bool kFitsInline = sizeof(F) <= N && alignof(F) <= alignof(std::max_align_t) &&
                                      std::is_nothrow_move_constructible_v<F>;

  InlineFunction() noexcept = default;
  InlineFunction(std::nullptr_t) noexcept {}

  template <class F, class D = std::decay_t<F>,
            class = std::enable_if_t<!std::is_same_v<D, InlineFunction> && std::is_invocable_r_v<R, D&, Args...>>>
  InlineFunction(F&& f) {  // NOLINT: implicit, like std::function
    construct<D>(std::forward<F>(f));
  }

  InlineFunction(InlineFunction&& other) noexcept : ops_(other.ops_) {
    if (ops_ != nullptr) {
      ops_->move(storage_, other.storage_);
      other.ops_ = nullptr;
    }
  }
  InlineFunction& operator=(InlineFunction&& other) noexcept {
    if (this != &other) {
      reset();
      if (other.ops_ != nullptr) {
        other.ops_->move(storage_, other.storage_);
        ops_ = std::exchange(other.ops_, nullptr);
      }
    }
    return *this;
  }
  InlineFunction(const InlineFunction&) = delete;
  InlineFunction& operator=(const InlineFunction&) = delete;
  ~InlineFunction() { reset(); }

  explicit operator bool() const noexcept { return ops_ != nullptr; }
  // Whether the held callable lives on the heap (for tests and tuning).
  bool on_heap() const noexcept { return ops_ != nullptr && ops_->heap; }

  void reset() noexcept {
    if (ops_ != nullptr) {
      ops_->destroy(storage_);
      ops_ = nullptr;
    }
  }

  // Replaces the held callable with `f`, constructed in place (no temporary
  // wrapper, no indirect move): what the loop uses to fill a slot.
  template <class F, class D = std::decay_t<F>,
            class = std::enable_if_t<!std::is_same_v<D, InlineFunction> && std::is_invocable_r_v<R, D&, Args...>>>
  void emplace(F&& f) {
    reset();
    construct<D>(std::forward<F>(f));
  }

  // Calls the held callable; it must hold one.
  R operator()(Args... args) { return ops_->invoke(storage_, std::forward<Args>(args)...); }

  // Calls the held callable once and leaves the wrapper empty. The callable
  // leaves the storage before it runs (an inline one is moved to the stack), so
  // it may reset, refill or destroy this wrapper while it runs. One indirect
  // call, where moving the wrapper out, calling and destroying would take
  // three. It must hold one.
  R consume(Args... args) {
    const Ops* ops = ops_;
    ops_ = nullptr;
    return ops->consume(storage_, std::forward<Args>(args)...);
  }

 private:
  template <class D, class F>
  void construct(F&& f) {
    if constexpr (kFitsInline<D>) {
      ::new (static_cast<void*>(storage_)) D(std::forward<F>(f));
      ops_ = &kInlineOps<D>;
    } else {
      *reinterpret_cast<D**>(storage_) = new D(std::forward<F>(f));
      ops_ = &kHeapOps<D>;
    }
  }

  struct Ops {
    R (*invoke)(void* storage, Args&&... args);
    R (*consume)(void* storage, Args&&... args);  // moves out, destroys the stored one, calls
    void (*move)(void* to, void* from) noexcept;  // move-constructs into `to`, destroys `from`
    void (*destroy)(void* storage) noexcept;
    bool heap;
  };

  template <class D>
  static constexpr Ops kInlineOps = {
      [](void* s, Args&&... args) -> R { return (*static_cast<D*>(s))(std::forward<Args>(args)...); },
      [](void* s, Args&&... args) -> R {
        D* stored = static_cast<D*>(s);
        D f(std::move(*stored));
        stored->~D();
        return f(std::forward<Args>(args)...);
      },
      [](void* to, void* from) noexcept {
        ::new (to) D(std::move(*static_cast<D*>(from)));
        static_cast<D*>(from)->~D();
      },
      [](void* s) noexcept { static_cast<D*>(s)->~D(); },
      false,
  };

  template <class D>
  static constexpr Ops kHeapOps = {
      [](void* s, Args&&... args) -> R { return (**static_cast<D**>(s))(std::forward<Args>(args)...); },
      [](void* s, Args&&... args) -> R {
        std::unique_ptr<D> f(*static_cast<D**>(s));
        return (*f)(std::forward<Args>(args)...);
      },
      [](void* to, void* from) noexcept { *static_cast<D**>(to) = *static_cast<D**>(from); },
      [](void* s) noexcept { delete *static_cast<D**>(s); },
      true,
  };

  alignas(std::max_align_t) unsigned char storage_[N < sizeof(void*) ? sizeof(void*) : N];
  const Ops* ops_ = nullptr;
};

}  // namespace lio

#endif  // LIO_RUNTIME_INLINE_FUNCTION_H_
