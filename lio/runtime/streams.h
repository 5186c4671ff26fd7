// Loop's streams (ABI 1.1): operations with several completions — multishot
// accept and recv — and zero-copy send, whose buffer is held until the
// backend's notice. Included by loop.h (loop.h documents each call).
//
// A stream's callback lives in its slot for the stream's whole life: each
// completion with LIO_COMPLETION_MORE calls it in place (Loop::complete_more),
// and the last one consumes it as any operation's callback is consumed
// (Loop::complete), releasing the slot before the user's function runs.
#ifndef LIO_RUNTIME_STREAMS_H_
#define LIO_RUNTIME_STREAMS_H_

#include <type_traits>
#include <utility>

#include "lio/runtime/loop.h"

namespace lio {

template <class F>
OpId Loop::accept_each(Target listener, F&& on_client) {
  using D = std::decay_t<F>;
  static_assert(std::is_invocable_v<D&, Expected<TcpStream>, bool>,
                "accept_each's callback takes (Expected<TcpStream> client, bool more)");
  Slot* s = try_acquire_slot(/*reserved=*/true);  // a new client is never locked out
  if (s == nullptr) {
    ++stats_.refused_for_slot;
    return {};
  }
  s->flags = 0;
  s->callback.emplace([cb = D(std::forward<F>(on_client))](Loop& loop, Slot& slot, int64_t r) mutable {
    const bool more = (slot.flags & LIO_COMPLETION_MORE) != 0;
    Expected<TcpStream> client = r < 0 ? Expected<TcpStream>(Unexpected{make_error(r)})
                                       : Expected<TcpStream>(TcpStream(Handle::Adopt(loop, static_cast<lio_handle>(r))));
    if (!more) loop.release_slot(slot);
    cb(std::move(client), more);
  });
  s->abandon = detail::CloseAbandonedHandle;
  s->data.owner = listener.take_owner();
  return start_op(*s, Op::AcceptMulti(listener.get()));
}

template <class F>
OpId Loop::recv_each(Target t, BufferGroup& group, F&& on_chunk) {
  using D = std::decay_t<F>;
  static_assert(std::is_invocable_v<D&, Expected<Buffer>, bool>,
                "recv_each's callback takes (Expected<Buffer> chunk, bool more)");
  Slot* s = try_acquire_slot();
  if (s == nullptr) {
    ++stats_.refused_for_slot;
    return {};
  }
  s->flags = 0;
  s->callback.emplace([cb = D(std::forward<F>(on_chunk)), g = &group](Loop& loop, Slot& slot, int64_t r) mutable {
    const uint32_t flags = slot.flags;
    const bool more = (flags & LIO_COMPLETION_MORE) != 0;
    Expected<Buffer> chunk = Buffer{};  // 0 bytes: the peer's orderly shutdown
    if (r < 0) {
      chunk = Unexpected{make_error(r)};
    } else if (flags & LIO_COMPLETION_BUFFER) {
      chunk = g->Lease(LIO_COMPLETION_BUFFER_ID(flags), static_cast<size_t>(r));
    }
    if (!more) loop.release_slot(slot);
    cb(std::move(chunk), more);
  });
  s->abandon = nullptr;  // a lent buffer nobody will see stays lent: the loop is going away
  s->data.owner = t.take_owner();
  return start_op(*s, Op::RecvMulti(t.get(), group.id()));
}

template <class F>
OpId Loop::send_zc(Target t, Buffer buffer, F&& callback) {
  using D = std::decay_t<F>;
  static_assert(std::is_invocable_v<D&, BufResult>, "send_zc's callback takes BufResult");
  Slot* s = try_acquire_slot();
  if (s == nullptr) {
    ++stats_.refused_for_slot;
    return {};
  }
  s->flags = 0;
  // The result arrives first (with MORE when a notice follows); the buffer
  // goes back with it only at the last completion.
  s->callback.emplace([cb = D(std::forward<F>(callback)), sent = int64_t{0}, have_result = false](
                          Loop& loop, Slot& slot, int64_t r) mutable {
    if (slot.flags & LIO_COMPLETION_MORE) {
      sent = r;
      have_result = true;
      return;
    }
    const int64_t result = have_result ? sent : r;
    BufResult done{detail::ToSize(result), std::move(slot.data.buffer)};
    loop.release_slot(slot);
    cb(std::move(done));
  });
  s->abandon = nullptr;
  s->data.owner = t.take_owner();
  s->data.buffer = std::move(buffer);
  return start_op(*s, Op::SendZc(t.get(), s->data.buffer.data(), s->data.buffer.size(), DefaultSendFlags()));
}

}  // namespace lio

#endif  // LIO_RUNTIME_STREAMS_H_
