/* Reference echo server on libuv, written the way libuv is fastest: the
 * connections are uv_tcp_open'ed on the accepted sockets, each has one read
 * buffer (uv_alloc_cb hands it out), a read is written back with
 * uv_try_write, and only a short write falls back to uv_write (with reading
 * stopped until it finishes). No allocation per message. Owns the fds
 * (uv_close closes them); returns 0 when all have closed, or a libuv error. */
#ifndef LIO_BENCH_REF_UV_ECHO_H_
#define LIO_BENCH_REF_UV_ECHO_H_

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

int uv_echo_serve(const int* fds, int n, size_t msg_size);

#ifdef __cplusplus
}
#endif

#endif
