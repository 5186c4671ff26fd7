// Two libkqueue-only fixes (real kqueue needs neither), linked into
// @libkqueue//:libkqueue, whose sources are compiled with
// -Depoll_wait=lio_libkqueue_epoll_wait -Dgetsockopt=lio_libkqueue_getsockopt
// (libkqueue.BUILD) so their calls come here. Our own code calls the real ones.
#include <errno.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#define LIO_HIDDEN __attribute__((visibility("hidden")))

// 1. Events that do not fit are dropped. libkqueue's Linux backend asks
// epoll_wait for as many events as the caller of kevent() has room for, then
// turns each into kevents: two for a descriptor with both a READ and a WRITE
// filter (one epoll registration serves both). When the kevents outnumber
// the room it stops copying, and the epoll events it drew but did not copy
// are lost: edge-triggered (EV_CLEAR), they are not reported again. Real
// kqueue keeps what does not fit for the next call. Asking epoll for at most
// half the room makes them always fit when kevent() has room for 2 or more
// (the poller's kqueue reactor gives it that under LIO_POLLER_LIBKQUEUE).
// Fewer events per call is always allowed: the rest stay ready in epoll.
LIO_HIDDEN int lio_libkqueue_epoll_wait(int epfd, struct epoll_event* events, int max_events, int timeout_ms) {
  int half = max_events / 2;
  return epoll_wait(epfd, events, half > 0 ? half : 1, timeout_ms);
}

// 2. A socket's pending error is consumed. When epoll reports EPOLLERR,
// libkqueue reads SO_ERROR to put it in the event's fflags (with EV_EOF) —
// and reading SO_ERROR clears it on Linux, so the application's own call
// then sees no error: a refused non-blocking connect looks connected
// (getsockopt(SO_ERROR) says 0). Real kqueue copies so_error into fflags and
// leaves it on the socket. Linux has no way to look at SO_ERROR without
// clearing it, so libkqueue's reads are answered "an error is pending"
// (EIO: EPOLLERR said so) and the error itself stays for the application.
// Every other option is read for real.
LIO_HIDDEN int lio_libkqueue_getsockopt(int fd, int level, int name, void* value, socklen_t* len) {
  if (level == SOL_SOCKET && name == SO_ERROR && value != 0 && len != 0 && *len >= sizeof(int)) {
    *(int*)value = EIO;
    *len = sizeof(int);
    return 0;
  }
  return getsockopt(fd, level, name, value, len);
}
