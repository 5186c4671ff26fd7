#include "lio/runtime/buffer_group.h"

#include "lio/runtime/loop.h"

namespace lio {

BufferGroup::BufferGroup(Loop& loop, uint32_t id, uint32_t count, uint32_t size)
    : loop_(&loop), id_(id), count_(count), size_(size), memory_(new std::byte[static_cast<size_t>(count) * size]) {}

Expected<std::unique_ptr<BufferGroup>> BufferGroup::Add(Loop& loop, uint32_t group, uint32_t count, uint32_t size) {
  if (!loop.backend().has_feature(LIO_FEATURE_BUFFER_GROUPS)) return Unexpected{make_error(-LIO_EOPNOTSUPP)};
  if (count == 0 || size == 0 || static_cast<uint64_t>(count) * size > (uint64_t{1} << 40)) {
    return Unexpected{make_error(-LIO_EINVAL)};
  }
  std::unique_ptr<BufferGroup> made(new BufferGroup(loop, group, count, size));
  if (std::error_code error = loop.backend().add_buffer_group(group, made->memory_.get(), count, size)) {
    return Unexpected{error};
  }
  return made;
}

BufferGroup::~BufferGroup() {
  if (leased_ > 0) detail::Fatal("BufferGroup destroyed while some of its buffers are still leased out");
  if (loop_->backend().remove_buffer_group(id_)) (void)memory_.release();  // busy: the kernel may still write it
}

Buffer BufferGroup::Lease(uint32_t buffer_id, size_t bytes) noexcept {
  if (buffer_id >= count_) return {};
  ++leased_;
  Buffer lease = Buffer::Adopt(memory_.get() + static_cast<size_t>(buffer_id) * size_, size_, &GiveBack, this);
  lease.resize(bytes);
  return lease;
}

void BufferGroup::GiveBack(void* context, std::byte* data, size_t) {
  auto* group = static_cast<BufferGroup*>(context);
  --group->leased_;
  const auto id = static_cast<uint32_t>((data - group->memory_.get()) / group->size_);
  (void)group->loop_->backend().return_buffer(group->id_, id);
}

}  // namespace lio
