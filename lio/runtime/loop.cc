// lio::Loop's implementation (loop.h says what it promises).
// (Over 500 lines: the op store, the at-capacity policy, timers and the
// dispatch of completions are one state machine; the types it is built from
// live apart — slot_store.h, deadline_heap.h, inline_function.h.)
#include "lio/runtime/loop.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "lio/core/registry.h"

namespace lio {
namespace {

thread_local Loop* tls_current_loop = nullptr;

// How long ~Loop waits for the backend to return cancelled operations before
// leaving the rest to the backend's own destroy (which waits for them too).
constexpr int64_t kDrainBoundNs = 10'000'000'000;
constexpr int64_t kDrainStepNs = 100'000'000;

}  // namespace

namespace detail {

Loop* CurrentLoop() noexcept { return tls_current_loop; }

void Fatal(const char* message) noexcept {
  std::fprintf(stderr, "lio: %s\n", message);
  std::fflush(stderr);
  std::abort();
}

CurrentLoopScope::CurrentLoopScope(Loop* loop) noexcept : previous_(tls_current_loop) { tls_current_loop = loop; }
CurrentLoopScope::~CurrentLoopScope() { tls_current_loop = previous_; }

void DetachedTaskDone(TaskPromiseBase& promise, std::coroutine_handle<> handle) noexcept {
  SpawnNode& node = promise.spawn_node;
  node.prev->next = node.next;
  node.next->prev = node.prev;
  node.prev = node.next = nullptr;
  if (promise.exception && promise.loop != nullptr && !promise.loop->pending_exception_) {
    promise.loop->pending_exception_ = promise.exception;
  }
  handle.destroy();
}

}  // namespace detail

// ---- creation ------------------------------------------------------------------

namespace {

uint32_t BackendCapacity(const LoopOptions& options) {
  if (options.at_capacity != AtCapacity::kGrow) return options.capacity;
  constexpr uint64_t kDefaultGrowth = 16;
  const uint64_t most = options.max_capacity != 0 ? options.max_capacity : kDefaultGrowth * options.capacity;
  return static_cast<uint32_t>(std::clamp<uint64_t>(most, options.capacity, UINT32_MAX / 2));
}

LoopOptions QueueingOptions(uint32_t capacity, uint32_t timers) {
  LoopOptions options;
  options.capacity = capacity;
  options.timers = timers;
  options.at_capacity = AtCapacity::kQueue;
  options.reserve = 0;  // the caller sized the backend: every slot is theirs, as before policies
  return options;
}

uint32_t ReserveFor(const LoopOptions& options, uint32_t capacity) {
  const uint32_t asked = options.reserve == LoopOptions::kAutoReserve ? capacity / 16 : options.reserve;
  return std::min(asked, capacity / 2);
}

}  // namespace

// Operations the backend is opened for: room to grow under kGrow.
uint32_t Loop::BackendCapacityFor(const LoopOptions& options) noexcept { return BackendCapacity(options); }

Expected<std::unique_ptr<Loop>, Error> Loop::Open(const LoopOptions& options) {
  // Slot indices may reach 4 x the backend's capacity (chunks are powers
  // of two); timer ids come after them.
  const uint64_t ids = static_cast<uint64_t>(BackendCapacity(options)) * 4 + options.timers;
  if (options.capacity == 0 || ids >= detail::kNoSlot) {
    return Unexpected{Error{make_error(-LIO_EINVAL),
                            "LoopOptions: capacity must be at least 1, and capacity + timers small enough: 4 x "
                            "(max_capacity, else capacity) + timers below 4294967295 (ids hold both in 32 bits)"}};
  }
  Registry& registry = options.registry != nullptr ? *options.registry : Registry::Default();
  BackendOptions backend_options;
  backend_options.capacity = BackendCapacity(options);
  backend_options.options = options.backend_options;
  backend_options.flags = kBackendFlags;
  auto backend = registry.Open(options.backend, backend_options);
  if (!backend) return Unexpected{std::move(backend).error()};
  return std::make_unique<Loop>(std::move(*backend), options);
}

// capacity 0: the backend's.
Loop::Loop(Backend backend, uint32_t timers) : Loop(std::move(backend), QueueingOptions(0, timers)) {}

Loop::Loop(Backend backend, const LoopOptions& options)
    : capacity_(options.capacity == 0 ? backend.capacity() : std::min(options.capacity, backend.capacity())),
      timer_capacity_(options.timers),
      at_capacity_(options.at_capacity),
      reserve_(ReserveFor(options, capacity_)),
      timer_slots_(new TimerSlot[options.timers]),
      backend_(std::move(backend)) {
  stable_completions_ = backend_.has_feature(LIO_FEATURE_STABLE_COMPLETIONS);
  slots_.init(capacity_, at_capacity_ == AtCapacity::kGrow ? backend_.capacity() : capacity_);
  timer_base_ = slots_.index_limit();
  if (timer_base_ + timer_capacity_ >= detail::kNoSlot) {
    detail::Fatal("Loop: 4 x capacity + timers must be below 4294967295 (ids hold both in 32 bits)");
  }
  for (uint32_t i = 0; i < timer_capacity_; ++i) {
    TimerSlot& t = timer_slots_[i];
    t.next = i + 1 < timer_capacity_ ? i + 1 : detail::kNoSlot;
    t.node.context = &t;
    t.node.fire = [](detail::TimerNode* node, Loop& loop) {
      loop.complete_timer(*static_cast<TimerSlot*>(node->context), -LIO_ETIME);
    };
  }
  free_timer_head_ = timer_capacity_ > 0 ? 0 : detail::kNoSlot;
  if (!stable_completions_) batch_.resize(slots_.max());  // a wait returns at most the backend's capacity
  // Operations' with_timeout sleeps and loop.after timers; more sleeps than
  // that grow it.
  timers_.reserve(static_cast<size_t>(capacity_) + timer_capacity_);
  spawned_.prev = spawned_.next = &spawned_;
  thread_ = std::this_thread::get_id();
  stats_.timer_capacity = timer_capacity_;
  if (tls_current_loop == nullptr) tls_current_loop = this;
}

Loop::~Loop() {
  Loop* previous = tls_current_loop;
  tls_current_loop = this;  // for awaiters destroyed below
  in_turn_ = true;
  // 1. Spawned tasks that have not finished: destroying them destroys their
  //    awaiters, which cancel their operations (buffers stay in the slots).
  while (spawned_.next != &spawned_) {
    detail::SpawnNode* node = spawned_.next;
    node->prev->next = node->next;
    node->next->prev = node->prev;
    node->prev = node->next = nullptr;
    node->handle.destroy();
  }
  // 2. Nobody is called back any more; cancel what the backend still has,
  //    and drop every loop.after timer (armed or cancelled).
  slots_.for_each([this](Slot& s) {
    if (s.kind == Slot::Kind::kFree) return;
    s.callback.reset();
    s.waiter = nullptr;
    if (s.in_backend) (void)backend_.cancel(id_of(s));
  });
  cancelled_timer_head_ = cancelled_timer_tail_ = detail::kNoSlot;
  for (uint32_t i = 0; i < timer_capacity_ && timers_in_use_ > 0; ++i) {
    TimerSlot& t = timer_slots_[i];
    if (!t.in_use) continue;
    timers_.remove(&t.node);
    release_timer(t);
  }
  // 3. Wait for every completion, so each owned buffer is released only after
  //    the kernel is done with it; resources dropped meanwhile are closed.
  int64_t deadline = detail::LoopAccess::Now() + kDrainBoundNs;
  while (backend_in_flight_ > 0 || ready_head_ != detail::kNoSlot || waiting_ > 0) {
    run_ready_slots();
    flush_backend();
    if (backend_in_flight_ == 0) {
      if (ready_head_ == detail::kNoSlot) break;
      continue;
    }
    if (error_ || detail::LoopAccess::Now() > deadline) break;
    wait_and_dispatch(kDrainStepNs);
  }
  tls_current_loop = previous == this ? nullptr : previous;
  // Members: backend_ is destroyed first (it cancels and waits for anything
  // left), then the slots and their buffers.
}

// ---- the store -----------------------------------------------------------------

Loop::Slot* Loop::acquire_slot_slow(bool reserved) noexcept {
  // First come, first served within each queue; accept and close pass the
  // others (they are what frees slots and takes new clients).
  if ((reserved ? reserved_waiters_.head : waiters_.head) != nullptr) return nullptr;
  if (unreserved_free() == 0 && at_capacity_ == AtCapacity::kGrow && slots_.grow()) ++stats_.grown;
  if (reserved ? slots_.free_count() > 0 : unreserved_free() > 0) return take_free_slot(reserved);
  return nullptr;
}

bool Loop::on_no_slot() noexcept {
  if (at_capacity_ == AtCapacity::kFail) {
    ++stats_.refused_for_slot;
    return false;
  }
  ++stats_.queued_for_slot;
  return true;
}

OpId Loop::start_op_slow(Slot& s, const Op& op, uint64_t id, std::error_code ec) noexcept {
  // Backend codes are all in lio's category: compare the number only.
  if (ec.value() == LIO_EAGAIN) {
    // The backend's submission queue is full: hand it to the kernel, retry.
    flush_backend();
    ec = backend_.push(id, op);
  }
  if (ec) {
    make_ready(s, -static_cast<int64_t>(ec.value()));
  } else {
    s.in_backend = true;
    ++backend_in_flight_;
    ++pushed_since_flush_;
  }
  return OpId{id};
}

void Loop::make_ready(Slot& s, int64_t result) noexcept {
  s.ready = true;
  s.result = result;
  s.next = detail::kNoSlot;
  uint32_t index = s.index;
  if (ready_tail_ == detail::kNoSlot) {
    ready_head_ = ready_tail_ = index;
  } else {
    slots_[ready_tail_].next = index;
    ready_tail_ = index;
  }
}

void Loop::complete(Slot& s, int64_t result) {
  if (s.callback) {
    // Finishes, releases the slot, calls the user; the closure leaves the
    // slot first, so the user may reuse it.
    s.callback.consume(*this, s, result);
    return;
  }
  complete_rest(s, result);
}

// The stream's callback is called in place (not consumed): it stays in the
// slot for the completions to come. Abandoned (the loop is going away): what
// the completion made is undone, as for a single one.
void Loop::complete_more(Slot& s, int64_t result) {
  if (s.callback) {
    s.callback(*this, s, result);
    return;
  }
  if (s.abandon != nullptr) s.abandon(*this, s.data, result);
}

void Loop::complete_rest(Slot& s, int64_t result) {
  if (s.waiter != nullptr) {
    detail::OpWaiter* waiter = std::exchange(s.waiter, nullptr);
    waiter->complete(waiter, *this, s.data, result);
    std::coroutine_handle<> continuation = waiter->continuation;
    release_slot(s);
    continuation.resume();
    return;
  }
  // Nobody waits any more (cancelled coroutine, loop shutting down): only
  // now, with the kernel done, is the slot's memory released.
  if (s.abandon != nullptr) s.abandon(*this, s.data, result);
  release_slot(s);
}

void Loop::enqueue(detail::SlotWaiter* w) noexcept {
  WaiterQueue& q = w->reserved ? reserved_waiters_ : waiters_;
  w->queued = true;
  w->next = nullptr;
  w->prev = q.tail;
  if (q.tail != nullptr) {
    q.tail->next = w;
  } else {
    q.head = w;
  }
  q.tail = w;
  ++waiting_;
}

void Loop::dequeue(detail::SlotWaiter* w) noexcept {
  if (!w->queued) return;
  WaiterQueue& q = w->reserved ? reserved_waiters_ : waiters_;
  if (w->prev != nullptr) {
    w->prev->next = w->next;
  } else {
    q.head = w->next;
  }
  if (w->next != nullptr) {
    w->next->prev = w->prev;
  } else {
    q.tail = w->prev;
  }
  w->prev = w->next = nullptr;
  w->queued = false;
  --waiting_;
}

void Loop::serve_waiters() noexcept {
  while (reserved_waiters_.head != nullptr && slots_.free_count() > 0) {
    detail::SlotWaiter* w = reserved_waiters_.head;
    dequeue(w);
    w->on_slot(w, *this);
  }
  while (waiters_.head != nullptr && unreserved_free() > 0) {
    detail::SlotWaiter* w = waiters_.head;
    dequeue(w);
    w->on_slot(w, *this);
  }
}

void Loop::abandon(OpId id) noexcept {
  Slot* s = lookup(id.value);
  if (s == nullptr) return;
  s->waiter = nullptr;
  if (s->in_backend && !s->ready) (void)backend_.cancel(id.value);
}

std::error_code Loop::cancel(OpId id) noexcept {
  if ((id.value & 0xffffffffu) >= timer_base_) {
    TimerSlot* t = lookup_timer(id.value);
    if (t == nullptr) return make_error(-LIO_ENOENT);
    if (t->node.armed()) {  // else already cancelled: its callback is on the way
      timers_.remove(&t->node);
      t->cancelled = true;
      t->next = detail::kNoSlot;
      uint32_t index = static_cast<uint32_t>(t - timer_slots_.get());
      if (cancelled_timer_tail_ == detail::kNoSlot) {
        cancelled_timer_head_ = index;
      } else {
        timer_slots_[cancelled_timer_tail_].next = index;
      }
      cancelled_timer_tail_ = index;
    }
    return {};
  }
  Slot* s = lookup(id.value);
  if (s == nullptr) return make_error(-LIO_ENOENT);
  if (s->ready) return {};  // its completion is already on the way
  if (!s->in_backend) return make_error(-LIO_ENOENT);
  std::error_code ec = backend_.cancel(id.value);
  // ENOENT: the backend already returned it; we deliver it this turn.
  if (ec == make_error(-LIO_ENOENT)) return {};
  return ec;
}

// ---- handles ---------------------------------------------------------------------

Handle Handle::Adopt(Loop& loop, lio_handle h) { return Handle(loop.new_handle_state(h)); }

void Handle::reset() noexcept {
  detail::HandleState* s = std::exchange(state_, nullptr);
  if (s != nullptr && --s->refs == 0) s->loop->handle_released(s);
}

lio_handle Handle::release() noexcept {
  if (state_ == nullptr || state_->refs != 1) return LIO_INVALID_HANDLE;
  detail::HandleState* s = std::exchange(state_, nullptr);
  lio_handle h = s->handle;
  s->loop->free_handle_state(s);
  return h;
}

detail::HandleState* Loop::new_handle_state(lio_handle h) {
  if (free_handles_ == nullptr) {
    // The pool grows by `capacity` states when more resources are open at
    // once than ever before.
    size_t n = std::max<uint32_t>(capacity_, 16);
    auto chunk = std::make_unique<detail::HandleState[]>(n);
    for (size_t i = 0; i < n; ++i) {
      chunk[i].next_free = free_handles_;
      free_handles_ = &chunk[i];
    }
    handle_chunks_.push_back(std::move(chunk));
  }
  detail::HandleState* s = free_handles_;
  free_handles_ = s->next_free;
  s->next_free = nullptr;
  s->loop = this;
  s->handle = h;
  s->refs = 1;
  ++handles_open_;
  return s;
}

void Loop::free_handle_state(detail::HandleState* s) noexcept {
  s->handle = LIO_INVALID_HANDLE;
  s->refs = 0;
  s->next_free = free_handles_;
  free_handles_ = s;
  --handles_open_;
}

void Loop::handle_released(detail::HandleState* s) noexcept {
  if (s->handle == LIO_INVALID_HANDLE) {
    free_handle_state(s);
    return;
  }
  if (Slot* slot = try_acquire_slot(/*reserved=*/true)) {
    close_into(*slot, s);
    return;
  }
  // Whatever the policy: a close has nobody to fail to.
  ++stats_.queued_for_slot;
  s->close_waiter.context = s;
  s->close_waiter.reserved = true;
  s->close_waiter.on_slot = [](detail::SlotWaiter* w, Loop& loop) {
    loop.close_into(*loop.take_free_slot(/*reserved=*/true), static_cast<detail::HandleState*>(w->context));
  };
  enqueue(&s->close_waiter);
}

void Loop::close_into(Slot& slot, detail::HandleState* s) noexcept {
  lio_handle h = s->handle;
  free_handle_state(s);
  start_op(slot, Op::Close(h));  // nobody waits: the slot frees itself
}

// ---- timers ------------------------------------------------------------------------

void Loop::arm_timer(detail::TimerNode* node, int64_t deadline_ns) {
  timers_.remove(node);
  timers_.push(node, deadline_ns);
}

uint64_t Loop::timer_id_of(const TimerSlot& t) const noexcept {
  uint64_t index = timer_base_ + static_cast<uint64_t>(&t - timer_slots_.get());
  return (static_cast<uint64_t>(t.generation) << 32) | index;
}

Loop::TimerSlot* Loop::lookup_timer(uint64_t id) noexcept {
  uint64_t index = (id & 0xffffffffu) - timer_base_;
  uint32_t generation = static_cast<uint32_t>(id >> 32);
  if (index >= timer_capacity_) return nullptr;
  TimerSlot& t = timer_slots_[index];
  if (t.generation != generation || !t.in_use) return nullptr;
  return &t;
}

Loop::TimerSlot* Loop::acquire_timer() noexcept {
  if (free_timer_head_ == detail::kNoSlot) return nullptr;
  TimerSlot& t = timer_slots_[free_timer_head_];
  free_timer_head_ = t.next;
  t.next = detail::kNoSlot;
  t.in_use = true;
  ++timers_in_use_;
  return &t;
}

void Loop::release_timer(TimerSlot& t) noexcept {
  t.callback.reset();
  t.in_use = false;
  t.cancelled = false;
  t.generation += 2;  // odd, so never 0, as a Slot's
  t.next = free_timer_head_;
  free_timer_head_ = static_cast<uint32_t>(&t - timer_slots_.get());
  --timers_in_use_;
}

void Loop::complete_timer(TimerSlot& t, int64_t result) {
  if (t.callback) {
    t.callback.consume(*this, t, result);  // releases the timer, calls the user
  } else {
    release_timer(t);
  }
}

void Loop::run_cancelled_timers() {
  // Only those cancelled before this round, as for run_ready_slots.
  uint32_t i = std::exchange(cancelled_timer_head_, detail::kNoSlot);
  cancelled_timer_tail_ = detail::kNoSlot;
  while (i != detail::kNoSlot) {
    TimerSlot& t = timer_slots_[i];
    i = t.next;
    t.next = detail::kNoSlot;
    t.cancelled = false;
    ++progress_;
    guarded([&] { complete_timer(t, -LIO_ECANCELED); });
  }
}

void Loop::fire_due_timers() {
  if (timers_.empty()) return;
  int64_t now = detail::LoopAccess::Now();
  // Timers armed while firing wait for the next turn, so a callback that
  // re-arms itself with no delay cannot starve the loop.
  uint64_t limit = timers_.next_sequence();
  while (detail::TimerNode* t = timers_.top()) {
    if (t->deadline_ns > now || t->sequence >= limit) break;
    timers_.remove(t);
    ++progress_;
    guarded([&] { t->fire(t, *this); });
  }
}

// ---- turns -------------------------------------------------------------------------

template <class Fn>
void Loop::guarded(Fn&& fn) noexcept {
  try {
    fn();
  } catch (...) {
    if (!pending_exception_) pending_exception_ = std::current_exception();
  }
}

void Loop::post(std::function<void()> fn) {
  bool first;
  {
    std::lock_guard<std::mutex> lock(post_mutex_);
    posted_.push_back(std::move(fn));
    first = !post_pending_.exchange(true, std::memory_order_relaxed);
  }
  // Only the post that found the queue empty wakes: the turn that runs the
  // queue reads post_pending_ after any wait this wake ends.
  if (first) (void)backend_.wake();
}

void Loop::stop() noexcept {
  stop_requested_.store(true);
  if (std::this_thread::get_id() != thread_) (void)backend_.wake();
}

bool Loop::alive() const {
  return in_use_ > 0 || timers_in_use_ > 0 || !timers_.empty() || keep_alive_ > 0 ||
         post_pending_.load(std::memory_order_acquire);
}

void Loop::run_posted() {
  // No lock when nothing was posted: the flag changes only under the lock,
  // together with the queue, so reading false here is reading an empty queue
  // (a post racing with this read is one that comes just after; it wakes).
  if (!post_pending_.load(std::memory_order_acquire)) return;
  {
    std::lock_guard<std::mutex> lock(post_mutex_);
    post_pending_.store(false, std::memory_order_relaxed);
    posted_.swap(running_posted_);
  }
  for (auto& fn : running_posted_) {
    ++progress_;
    guarded([&] { fn(); });
  }
  running_posted_.clear();
}

void Loop::run_ready_slots() {
  if (cancelled_timer_head_ != detail::kNoSlot) run_cancelled_timers();
  // Only what is ready now: completions made ready while delivering these
  // wait for the next round, so an operation failing at once and retried at
  // once by its callback cannot spin inside one turn.
  uint32_t i = std::exchange(ready_head_, detail::kNoSlot);
  ready_tail_ = detail::kNoSlot;
  while (i != detail::kNoSlot) {
    Slot& s = slots_[i];
    i = s.next;
    s.next = detail::kNoSlot;
    s.ready = false;
    ++progress_;
    guarded([&] { complete(s, s.result); });
  }
}

void Loop::flush_backend() noexcept {
  if (pushed_since_flush_ == 0) return;
  pushed_since_flush_ = 0;
  auto n = backend_.flush();
  if (!n && !error_) error_ = n.error();
}

void Loop::wait_and_dispatch(int64_t timeout_ns) {
  pushed_since_flush_ = 0;  // wait flushes too
  Backend::Timeout timeout;
  if (timeout_ns >= 0) timeout = std::chrono::nanoseconds(timeout_ns);
  auto batch = backend_.wait(timeout);
  if (!batch) {
    if (batch.error() != make_error(-LIO_EINTR) && !error_) error_ = batch.error();
    return;
  }
  // Delivering a completion usually pushes the next operation. A backend
  // with LIO_FEATURE_STABLE_COMPLETIONS keeps its array through that
  // ([wait.array_survives_push]); any other's is valid only until the next
  // push, so it is copied first. batch_ holds `capacity` completions from the
  // start; a backend returns more only for streams (MORE completions of
  // multishot ops, SEND_ZC's notice: ABI 1.1), and batch_ then grows once to
  // what it needs.
  const size_t n = batch->size();
  const lio_completion* completions = batch->data();
  if (!stable_completions_ && n > 0) {
    if (n > batch_.size()) batch_.resize(n);
    std::memcpy(batch_.data(), completions, n * sizeof(lio_completion));
    completions = batch_.data();
  }
  for (size_t i = 0; i < n; ++i) {
    const lio_completion& c = completions[i];
    Slot* s = lookup(c.id);
    if (s == nullptr || !s->in_backend) {
      ++stats_.stale_completions;
      continue;
    }
    s->flags = c.flags;
    if (c.flags & LIO_COMPLETION_MORE) [[unlikely]] {
      ++stats_.completions;
      ++progress_;
      guarded([&] { complete_more(*s, c.result); });
      continue;
    }
    s->in_backend = false;
    --backend_in_flight_;
    ++stats_.completions;
    ++progress_;
    if (s->ready) continue;  // cannot happen: pushed ops are never made ready
    guarded([&] { complete(*s, c.result); });
  }
}

bool Loop::turn(bool may_block) {
  if (in_turn_) detail::Fatal("Loop::run/run_once/poll called from inside the loop (a callback or coroutine)");
  in_turn_ = true;
  struct Leave {
    Loop* loop;
    ~Leave() { loop->in_turn_ = false; }
  } leave{this};
  detail::CurrentLoopScope scope(this);
  ++stats_.turns;

  uint64_t before = progress_;
  run_ready_work();

  bool idle = progress_ == before && ready_head_ == detail::kNoSlot && cancelled_timer_head_ == detail::kNoSlot &&
              !stop_requested_.load();
  int64_t timeout_ns = 0;
  bool wait = backend_in_flight_ > 0;
  if (may_block && idle) {
    if (!timers_.empty()) {
      timeout_ns = std::max<int64_t>(0, timers_.top()->deadline_ns - detail::LoopAccess::Now());
      wait = true;
    } else if (backend_in_flight_ > 0 || keep_alive_ > 0) {
      timeout_ns = -1;
      wait = true;
    }
  }
  // Flush before waiting, although the backend's wait would submit what was
  // pushed itself (plugin_abi.h): on io_uring, a plain submit followed by
  // wait finding the completions already in the CQ (no second system call)
  // is cheaper in the kernel than one submit-and-wait — measured 0.85 against
  // 0.75 of raw liburing on bench/nop batch 1, no difference at batch 32/128.
  // Operations that do not complete at submission cost a second system call
  // this way; in a running server those are pushed by callbacks and go out
  // with the flush at the end of the turn, so this one is usually empty.
  flush_backend();
  if (wait && !error_) wait_and_dispatch(timeout_ns);

  run_ready_work();
  flush_backend();

  if (pending_exception_) std::rethrow_exception(std::exchange(pending_exception_, nullptr));
  return alive();
}

std::error_code Loop::run() {
  while (!stop_requested_.load() && !error_ && alive()) turn(true);
  stop_requested_.store(false);
  return error_;
}

bool Loop::run_once() { return turn(true); }

bool Loop::poll() { return turn(false); }

Loop::Stats Loop::stats() const {
  Stats s = stats_;
  s.capacity = slots_.allocated();
  s.max_capacity = slots_.max();
  s.reserve = reserve_;
  s.slots_in_use = in_use_;
  s.timer_capacity = timer_capacity_;
  s.timers_in_use = timers_in_use_;
  s.in_backend = backend_in_flight_;
  s.waiting_for_slot = waiting_;
  s.timers = timers_.size();
  s.handles_open = handles_open_;
  return s;
}

}  // namespace lio
