// The kernel thread behind an SQPOLL ring. It counts among the process's
// threads (/proc/self/task), and it outlives the ring's close by a moment
// (the kernel tears the ring down in a work item), so destroy waits for it to
// go: [destroy.releases_everything] holds with sqpoll=1 too.
//
// Finding it: the ring's fdinfo names it ("SqThread"), but by its id in the
// outermost pid namespace, which a process in a container (a test sandbox)
// cannot look up. So the SQPOLL threads ("iou-sqp-*") are listed before and
// after the ring is set up: the one that appeared is the ring's. When that is
// not one thread (another thread set up a ring at the same moment), destroy
// does not wait.
#ifndef LIO_PLUGINS_IO_URING_SQ_THREAD_H_
#define LIO_PLUGINS_IO_URING_SQ_THREAD_H_

#include <cstdint>
#include <vector>

namespace lio::io_uring_plugin {

// The ids (in /proc/self/task) of this process's SQPOLL threads. Allocates:
// for create and destroy only.
std::vector<int> sq_threads();

// The one id in `after` that is not in `before`, or -1.
int new_sq_thread(const std::vector<int>& before, const std::vector<int>& after);

// Returns once thread `tid` of this process has exited, or after `limit_ns`.
void wait_for_thread_exit(int tid, int64_t limit_ns);

}  // namespace lio::io_uring_plugin

#endif  // LIO_PLUGINS_IO_URING_SQ_THREAD_H_
