/* Reference echo server: a raw epoll loop in C, the way one writes it by hand.
 * Level-triggered, non-blocking sockets, one buffer per connection; a read is
 * written back in full before the next read (EPOLLOUT only when the socket
 * buffer is full). Owns the fds: closes each at end of stream; returns 0 when
 * all are closed, or an errno. */
#ifndef LIO_BENCH_REF_EPOLL_ECHO_H_
#define LIO_BENCH_REF_EPOLL_ECHO_H_

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

int epoll_echo_serve(const int* fds, int n, size_t msg_size);

#ifdef __cplusplus
}
#endif

#endif
