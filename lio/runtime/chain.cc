#include "lio/runtime/chain.h"

namespace lio {

Chain::Chain(Chain&& other) noexcept
    : loop_(other.loop_),
      ops_(other.ops_),
      slots_(other.slots_),
      count_(std::exchange(other.count_, 0)),
      spoilt_(other.spoilt_),
      misplaced_timeout_(other.misplaced_timeout_),
      submitted_(std::exchange(other.submitted_, true)) {}

Chain::~Chain() { release_all(); }

std::error_code Chain::submit() noexcept {
  if (submitted_) return make_error(-LIO_EINVAL);
  submitted_ = true;
  std::error_code refused;
  if (!loop_->backend().has_feature(LIO_FEATURE_LINK)) {
    refused = make_error(-LIO_EOPNOTSUPP);
  } else if (spoilt_) {
    refused = make_error(-LIO_EAGAIN);
  } else if (count_ == 0 || misplaced_timeout_) {
    refused = make_error(-LIO_EINVAL);
  }
  if (refused) {
    release_all();
    return refused;
  }
  // Back to back: nothing else pushes between these (the loop is this
  // thread's), and the loop flushes them together at the end of its turn.
  for (size_t i = 0; i < count_; ++i) {
    Op op = ops_[i];
    if (i + 1 < count_) op.flags |= LIO_OPF_LINK;
    loop_->start_op(*slots_[i], op);
  }
  count_ = 0;
  return {};
}

void Chain::release_all() noexcept {
  for (size_t i = 0; i < count_; ++i) loop_->release_slot(*slots_[i]);  // drops the callback uncalled
  count_ = 0;
}

Chain Loop::link() noexcept { return Chain(*this); }

}  // namespace lio
