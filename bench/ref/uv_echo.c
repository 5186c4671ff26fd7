#include "bench/ref/uv_echo.h"

#include <stdlib.h>
#include <uv.h>

struct conn {
  uv_tcp_t tcp;
  uv_write_t write;
  char* buf;
  size_t size;
};

static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* out) {
  (void)suggested;
  struct conn* c = h->data;
  *out = uv_buf_init(c->buf, (unsigned)c->size);
}

static void on_close(uv_handle_t* h) { (void)h; }

static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);

static void on_write(uv_write_t* w, int status) {
  struct conn* c = w->data;
  if (status < 0) {
    uv_close((uv_handle_t*)&c->tcp, on_close);
    return;
  }
  uv_read_start((uv_stream_t*)&c->tcp, on_alloc, on_read);
}

static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  struct conn* c = s->data;
  if (nread == 0) return; /* EAGAIN */
  if (nread < 0) {
    uv_close((uv_handle_t*)&c->tcp, on_close);
    return;
  }
  uv_buf_t out = uv_buf_init(buf->base, (unsigned)nread);
  int written = uv_try_write(s, &out, 1);
  if (written == nread) return;
  if (written < 0 && written != UV_EAGAIN) {
    uv_close((uv_handle_t*)&c->tcp, on_close);
    return;
  }
  if (written > 0) out = uv_buf_init(buf->base + written, (unsigned)(nread - written));
  uv_read_stop(s);
  c->write.data = c;
  if (uv_write(&c->write, s, &out, 1, on_write) != 0) uv_close((uv_handle_t*)&c->tcp, on_close);
}

int uv_echo_serve(const int* fds, int n, size_t msg_size) {
  uv_loop_t loop;
  int error = uv_loop_init(&loop);
  if (error != 0) return error;
  struct conn* conns = calloc((size_t)n, sizeof *conns);
  char* bufs = malloc((size_t)n * msg_size);
  for (int i = 0; i < n && error == 0; ++i) {
    struct conn* c = &conns[i];
    c->buf = bufs + (size_t)i * msg_size;
    c->size = msg_size;
    error = uv_tcp_init(&loop, &c->tcp);
    if (error == 0) error = uv_tcp_open(&c->tcp, fds[i]);
    if (error == 0) error = uv_tcp_nodelay(&c->tcp, 1);
    c->tcp.data = c;
    if (error == 0) error = uv_read_start((uv_stream_t*)&c->tcp, on_alloc, on_read);
  }
  if (error == 0) error = uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  free(bufs);
  free(conns);
  return error < 0 ? error : 0;
}
