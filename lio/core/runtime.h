// lio's runtime in one include: the Loop, callbacks, coroutines (Task,
// co_await lio::read(...), sleep, with_timeout), resources, buffers and the
// thread-per-core helper. See LOOP.md.
#ifndef LIO_CORE_RUNTIME_H_
#define LIO_CORE_RUNTIME_H_

#include "lio/core/buffer.h"
#include "lio/core/io.h"
#include "lio/core/loop.h"
#include "lio/core/per_core.h"
#include "lio/core/resources.h"
#include "lio/core/socket_address.h"
#include "lio/core/task.h"
#include "lio/core/timeout.h"
#include "lio/core/when_all.h"

#endif  // LIO_CORE_RUNTIME_H_
