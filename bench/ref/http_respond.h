/* The work both minimal HTTP references (http_epoll.c, http_uv.c) do for one
 * request head: what lio's HTTP example (examples/http_server) does for a GET
 * of a file, with plain system calls — stat(2) the path, open(2), pread(2) it
 * whole, close(2) — and the same response bytes: the example's head (its
 * Server value aside: "ref" here), then the body, in one buffer (one send,
 * as the example sends a body of up to 16 KiB with its head).
 *
 * Just enough HTTP/1.1 for wrk: the head ends at CRLF CRLF; "METHOD SP target
 * SP HTTP/1.x"; GET only (anything else 405, connection closed); keep-alive
 * unless "Connection: close" (HTTP/1.0: only with "Connection: keep-alive");
 * the target's query is dropped, no %-decoding, ".." refused (400). Always
 * application/octet-stream (the benchmark serves f<N>.bin). Pipelined
 * requests are answered in turn by the servers, one at a time. */
#ifndef LIO_BENCH_REF_HTTP_RESPOND_H_
#define LIO_BENCH_REF_HTTP_RESPOND_H_

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes of a connection's input buffer: the longest head accepted (the
 * example's kMaxHeader). */
#define HTTP_REF_MAX_HEAD (16 * 1024)

/* A growing output buffer (data is malloc'ed; len bytes used). */
struct http_out {
  char* data;
  size_t len;
  size_t cap;
};

/* The length of the head at the start of buf, through its CRLF CRLF; 0 while
 * it is incomplete. */
size_t http_head_end(const char* buf, size_t len);

/* Appends to `out` the response to the head [head, head + len) for files
 * under `root`. Returns 1: keep the connection after sending it; 0: close it
 * after sending (out may then have nothing new); -1: out of memory. */
int http_respond(const char* root, const char* head, size_t len, struct http_out* out);

#ifdef __cplusplus
}
#endif

#endif
