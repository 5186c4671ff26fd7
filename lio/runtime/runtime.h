// lio's runtime in one include: the Loop, callbacks, coroutines (Task,
// co_await lio::read(...), sleep, with_timeout), resources, buffers and the
// thread-per-core helper, offload. See LOOP.md.
#ifndef LIO_RUNTIME_RUNTIME_H_
#define LIO_RUNTIME_RUNTIME_H_

#include "lio/runtime/buffer.h"
#include "lio/runtime/chain.h"
#include "lio/runtime/io.h"
#include "lio/runtime/loop.h"
#include "lio/runtime/offload.h"
#include "lio/runtime/per_core.h"
#include "lio/runtime/resources.h"
#include "lio/runtime/socket_address.h"
#include "lio/runtime/task.h"
#include "lio/runtime/timeout.h"
#include "lio/runtime/when_all.h"

#endif  // LIO_RUNTIME_RUNTIME_H_
