#define _GNU_SOURCE
#include "bench/ref/echo_client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

double bench_now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int send_all(int fd, const char* buf, size_t len) {
  size_t off = 0;
  while (off < len) {
    ssize_t n = send(fd, buf + off, len - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    off += (size_t)n;
  }
  return 0;
}

struct marker {
  echo_client_mark_fn fn;
  void* context;
  int next_phase; /* 0, 1, or 2 once both were called */
};

static void mark(struct marker* m, int phase) {
  if (m->next_phase != phase) return;
  m->next_phase = phase + 1;
  if (m->fn != NULL) m->fn(m->context, phase);
}

static int run_one(int fd, const char* msg, char* buf, size_t size, double start, double end, struct marker* marks,
                   struct echo_client_result* out) {
  uint64_t counted = 0, all = 0;
  for (;;) {
    double now = bench_now_seconds();
    if (now >= end) break;
    if (now >= start) mark(marks, 0);
    int error = send_all(fd, msg, size);
    if (error < 0) return -error;
    size_t got = 0;
    while (got < size) {
      ssize_t n = recv(fd, buf + got, size - got, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return n == 0 ? EPIPE : errno;
      got += (size_t)n;
    }
    if (now >= start) ++counted;
    ++all;
  }
  mark(marks, 0); /* a window with no round trip in it */
  mark(marks, 1);
  out->round_trips = counted;
  out->all_round_trips = all;
  out->seconds = end - start;
  return 0;
}

static int run_many(const int* fds, int n, const char* msg, char* buf, size_t size, double start, double end,
                    struct marker* marks, struct echo_client_result* out) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return errno;
  size_t* remaining = calloc((size_t)n, sizeof *remaining);
  struct epoll_event* events = calloc((size_t)n, sizeof *events);
  int error = 0;
  int busy = 0;
  uint64_t counted = 0, all = 0;
  for (int i = 0; i < n && error == 0; ++i) {
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) != 0) error = errno;
  }
  for (int i = 0; i < n && error == 0; ++i) {
    error = -send_all(fds[i], msg, size);
    remaining[i] = size;
    ++busy;
  }
  int stopping = 0;
  while (error == 0 && busy > 0) {
    int ready = epoll_wait(ep, events, n, -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      error = errno;
      break;
    }
    double now = bench_now_seconds();
    if (now >= start) mark(marks, 0);
    if (now >= end) {
      stopping = 1;
      mark(marks, 0);
      mark(marks, 1);
    }
    for (int e = 0; e < ready && error == 0; ++e) {
      int i = (int)events[e].data.u32;
      if (remaining[i] == 0) continue; /* idle after stopping */
      ssize_t got = recv(fds[i], buf, remaining[i], MSG_DONTWAIT);
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (got <= 0) {
        error = got == 0 ? EPIPE : errno;
        break;
      }
      remaining[i] -= (size_t)got;
      if (remaining[i] > 0) continue;
      ++all;
      if (now >= start && !stopping) ++counted;
      if (stopping) {
        --busy;
        continue;
      }
      error = -send_all(fds[i], msg, size);
      remaining[i] = size;
    }
  }
  mark(marks, 0); /* stopped by an error: the window closes here */
  mark(marks, 1);
  free(remaining);
  free(events);
  close(ep);
  out->round_trips = counted;
  out->all_round_trips = all;
  out->seconds = end - start;
  return error;
}

int echo_client_run(const int* fds, int n, size_t msg_size, double warmup_seconds, double measure_seconds,
                    echo_client_mark_fn mark_fn, void* mark_context, struct echo_client_result* out) {
  struct marker marks = {mark_fn, mark_context, 0};
  char* msg = malloc(msg_size);
  char* buf = malloc(msg_size);
  for (size_t i = 0; i < msg_size; ++i) msg[i] = (char)('a' + i % 26);
  double start = bench_now_seconds() + warmup_seconds;
  double end = start + measure_seconds;
  memset(out, 0, sizeof *out);
  int error = n == 1 ? run_one(fds[0], msg, buf, msg_size, start, end, &marks, out)
                     : run_many(fds, n, msg, buf, msg_size, start, end, &marks, out);
  out->error = error;
  free(msg);
  free(buf);
  return error;
}
