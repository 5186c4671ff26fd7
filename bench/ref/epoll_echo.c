#define _GNU_SOURCE
#include "bench/ref/epoll_echo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct conn {
  int fd;
  char* buf;
  size_t len; /* bytes to write back */
  size_t off; /* written so far */
};

static void drop(int ep, struct conn* c, int* open) {
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  c->fd = -1;
  --*open;
}

/* Writes what is pending; 1 done, 0 would block, -1 error. */
static int flush_conn(struct conn* c) {
  while (c->off < c->len) {
    ssize_t n = send(c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN ? 0 : -1;
    }
    c->off += (size_t)n;
  }
  c->len = c->off = 0;
  return 1;
}

int epoll_echo_serve(const int* fds, int n, size_t msg_size) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return errno;
  struct conn* conns = calloc((size_t)n, sizeof *conns);
  char* bufs = malloc((size_t)n * msg_size);
  struct epoll_event events[64];
  int open = n;
  for (int i = 0; i < n; ++i) {
    conns[i].fd = fds[i];
    conns[i].buf = bufs + (size_t)i * msg_size;
    fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &conns[i]};
    epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
  }
  int error = 0;
  while (open > 0) {
    int ready = epoll_wait(ep, events, 64, -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      error = errno;
      break;
    }
    for (int e = 0; e < ready; ++e) {
      struct conn* c = events[e].data.ptr;
      if (c->fd < 0) continue;
      if (c->len > 0) { /* EPOLLOUT: finish the pending write */
        int done = flush_conn(c);
        if (done < 0) {
          drop(ep, c, &open);
        } else if (done > 0) {
          struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
          epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        }
        continue;
      }
      ssize_t got = recv(c->fd, c->buf, msg_size, 0);
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (got <= 0) {
        drop(ep, c, &open);
        continue;
      }
      c->len = (size_t)got;
      c->off = 0;
      int done = flush_conn(c);
      if (done < 0) {
        drop(ep, c, &open);
      } else if (done == 0) {
        struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
      }
    }
  }
  for (int i = 0; i < n; ++i) {
    if (conns[i].fd >= 0) close(conns[i].fd);
  }
  free(bufs);
  free(conns);
  close(ep);
  return error;
}
