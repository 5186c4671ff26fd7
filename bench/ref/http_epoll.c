#define _GNU_SOURCE
#include "bench/ref/http_epoll.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/ref/http_respond.h"

struct conn {
  int fd;
  uint32_t events; /* what epoll watches for now */
  int close_after; /* the response in `out` is the last */
  size_t in_len;
  size_t out_off; /* bytes of out written */
  struct http_out out;
  char in[HTTP_REF_MAX_HEAD];
};

static void drop(struct conn* c) {
  close(c->fd); /* leaves the epoll set with it */
  free(c->out.data);
  free(c);
}

static void watch(int ep, struct conn* c, uint32_t events) {
  if (c->events == events) return;
  struct epoll_event ev = {.events = events, .data.ptr = c};
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
  c->events = events;
}

/* Writes what is pending; 1 done, 0 would block, -1 error. */
static int flush_out(struct conn* c) {
  while (c->out_off < c->out.len) {
    ssize_t n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN ? 0 : -1;
    }
    c->out_off += (size_t)n;
  }
  c->out.len = c->out_off = 0;
  return 1;
}

/* Answers the heads buffered in c->in, one at a time, each written before
 * the next; 0 to keep the connection, -1 to drop it. */
static int progress(int ep, struct conn* c, const char* root) {
  for (;;) {
    if (c->out_off < c->out.len) {
      int done = flush_out(c);
      if (done < 0) return -1;
      if (done == 0) {
        watch(ep, c, EPOLLOUT);
        return 0;
      }
    }
    if (c->close_after) return -1;
    size_t end = http_head_end(c->in, c->in_len);
    if (end == 0) {
      if (c->in_len == sizeof c->in) return -1; /* a head too long */
      watch(ep, c, EPOLLIN);
      return 0;
    }
    int keep = http_respond(root, c->in, end, &c->out);
    if (keep < 0) return -1;
    c->close_after = !keep;
    memmove(c->in, c->in + end, c->in_len - end);
    c->in_len -= end;
  }
}

static void on_readable(int ep, struct conn* c, const char* root) {
  ssize_t got = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, 0);
  if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (got <= 0) {
    drop(c);
    return;
  }
  c->in_len += (size_t)got;
  if (progress(ep, c, root) < 0) drop(c);
}

static void accept_all(int ep, int listen_fd) {
  for (;;) {
    int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return; /* EAGAIN: all taken; anything else: the client's loss */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct conn* c = calloc(1, sizeof *c);
    if (c == NULL) {
      close(fd);
      continue;
    }
    c->fd = fd;
    c->events = EPOLLIN;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) drop(c);
  }
}

int http_epoll_serve(int listen_fd, const char* root) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return errno;
  fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
  struct epoll_event listen_ev = {.events = EPOLLIN, .data.ptr = NULL};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &listen_ev) != 0) return errno;
  struct epoll_event events[64];
  for (;;) {
    int ready = epoll_wait(ep, events, 64, -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    for (int e = 0; e < ready; ++e) {
      struct conn* c = events[e].data.ptr;
      if (c == NULL) {
        accept_all(ep, listen_fd);
      } else if (c->events & EPOLLOUT) {
        if (progress(ep, c, root) < 0) drop(c);
      } else {
        on_readable(ep, c, root);
      }
    }
  }
}
