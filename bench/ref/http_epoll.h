/* Reference HTTP/1.1 server: a raw epoll loop in C, the way one writes it by
 * hand. Level-triggered; a non-blocking listener (accept4 until EAGAIN) and
 * non-blocking connections (TCP_NODELAY, as lio's example sets); each
 * connection has one input buffer and one output buffer. A readable
 * connection is read once; every complete head in its buffer is answered by
 * http_respond (http_respond.h: stat, open, pread, close, one response
 * buffer) and written; only a short write asks for EPOLLOUT (and stops
 * reading until it is out). Serves `listen_fd` (bound, listening) until the
 * process is killed; returns an errno if the loop cannot run. */
#ifndef LIO_BENCH_REF_HTTP_EPOLL_H_
#define LIO_BENCH_REF_HTTP_EPOLL_H_

#ifdef __cplusplus
extern "C" {
#endif

int http_epoll_serve(int listen_fd, const char* root);

#ifdef __cplusplus
}
#endif

#endif
