/* Reference HTTP/1.1 server on libuv, written the way uv_echo.c is: a
 * uv_tcp_t listener (uv_tcp_open on `listen_fd`, bound and listening), each
 * accepted connection with one input buffer (uv_alloc_cb hands out its free
 * end) and one output buffer; every complete head is answered by
 * http_respond (http_respond.h: stat, open, pread, close — synchronously on
 * the loop's thread, the same system calls as the epoll reference, not
 * libuv's threadpool) and written with uv_try_write, falling back to
 * uv_write (reading stopped until it is out) only for a short write. Serves
 * until the process is killed; returns a libuv error if it cannot start. */
#ifndef LIO_BENCH_REF_HTTP_UV_H_
#define LIO_BENCH_REF_HTTP_UV_H_

#ifdef __cplusplus
extern "C" {
#endif

int http_uv_serve(int listen_fd, const char* root);

#ifdef __cplusplus
}
#endif

#endif
