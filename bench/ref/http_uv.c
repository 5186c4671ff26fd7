#include "bench/ref/http_uv.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "bench/ref/http_respond.h"

struct conn {
  uv_tcp_t tcp;
  uv_write_t write;
  const char* root;
  int close_after; /* the response in `out` is the last */
  size_t in_len;
  struct http_out out;
  char in[HTTP_REF_MAX_HEAD];
};

static void on_close(uv_handle_t* h) {
  struct conn* c = h->data;
  free(c->out.data);
  free(c);
}

static void drop(struct conn* c) { uv_close((uv_handle_t*)&c->tcp, on_close); }

static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void)suggested;
  struct conn* c = h->data;
  *buf = uv_buf_init(c->in + c->in_len, (unsigned)(sizeof c->in - c->in_len));
}

static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
static void progress(struct conn* c);

static void on_write(uv_write_t* w, int status) {
  struct conn* c = w->data;
  c->out.len = 0;
  if (status < 0 || c->close_after) {
    drop(c);
    return;
  }
  uv_read_start((uv_stream_t*)&c->tcp, on_alloc, on_read);
  progress(c);
}

/* Answers the heads buffered in c->in, one at a time, each written before
 * the next; a short write leaves the rest to on_write. */
static void progress(struct conn* c) {
  for (;;) {
    size_t end = http_head_end(c->in, c->in_len);
    if (end == 0) {
      if (c->in_len == sizeof c->in) drop(c); /* a head too long */
      return;
    }
    int keep = http_respond(c->root, c->in, end, &c->out);
    memmove(c->in, c->in + end, c->in_len - end);
    c->in_len -= end;
    if (keep < 0) {
      drop(c);
      return;
    }
    c->close_after = !keep;
    uv_buf_t out = uv_buf_init(c->out.data, (unsigned)c->out.len);
    int written = c->out.len == 0 ? 0 : uv_try_write((uv_stream_t*)&c->tcp, &out, 1);
    if (written < 0 && written != UV_EAGAIN) {
      drop(c);
      return;
    }
    if (written < 0) written = 0;
    if ((size_t)written == c->out.len) {
      c->out.len = 0;
      if (c->close_after) {
        drop(c);
        return;
      }
      continue;
    }
    out = uv_buf_init(c->out.data + written, (unsigned)(c->out.len - (size_t)written));
    uv_read_stop((uv_stream_t*)&c->tcp);
    c->write.data = c;
    if (uv_write(&c->write, (uv_stream_t*)&c->tcp, &out, 1, on_write) != 0) drop(c);
    return;
  }
}

static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  (void)buf;
  struct conn* c = s->data;
  if (nread == 0) return; /* EAGAIN */
  if (nread < 0) {
    drop(c);
    return;
  }
  c->in_len += (size_t)nread;
  progress(c);
}

static void on_connection(uv_stream_t* server, int status) {
  if (status < 0) return;
  struct conn* c = calloc(1, sizeof *c);
  if (c == NULL) return;
  c->root = server->data;
  c->tcp.data = c;
  uv_tcp_init(server->loop, &c->tcp);
  if (uv_accept(server, (uv_stream_t*)&c->tcp) != 0) {
    drop(c);
    return;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  if (uv_read_start((uv_stream_t*)&c->tcp, on_alloc, on_read) != 0) drop(c);
}

int http_uv_serve(int listen_fd, const char* root) {
  uv_loop_t loop;
  uv_tcp_t server;
  int error = uv_loop_init(&loop);
  if (error != 0) return error;
  error = uv_tcp_init(&loop, &server);
  if (error == 0) error = uv_tcp_open(&server, listen_fd);
  server.data = (void*)root;
  if (error == 0) error = uv_listen((uv_stream_t*)&server, 1024, on_connection);
  if (error == 0) error = uv_run(&loop, UV_RUN_DEFAULT);
  return error;
}
