#define _GNU_SOURCE
#include "bench/ref/http_respond.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Room for `extra` more bytes in out; 0 when out of memory. */
static int reserve(struct http_out* out, size_t extra) {
  if (out->len + extra <= out->cap) return 1;
  size_t cap = out->cap ? out->cap : 4096;
  while (cap < out->len + extra) cap *= 2;
  char* data = realloc(out->data, cap);
  if (data == NULL) return 0;
  out->data = data;
  out->cap = cap;
  return 1;
}

size_t http_head_end(const char* buf, size_t len) {
  const char* end = memmem(buf, len, "\r\n\r\n", 4);
  return end ? (size_t)(end - buf) + 4 : 0;
}

/* Whether a field `name` of the head has `value` (both case-insensitive,
 * the value whole, spaces around it ignored). */
static int has_field(const char* head, size_t len, const char* name, const char* value) {
  const size_t name_len = strlen(name), value_len = strlen(value);
  const char* end = head + len;
  for (const char* line = memmem(head, len, "\r\n", 2); line != NULL && line + 2 < end;) {
    line += 2;
    const char* eol = memmem(line, (size_t)(end - line), "\r\n", 2);
    if (eol == NULL) return 0;
    if ((size_t)(eol - line) > name_len && line[name_len] == ':' && strncasecmp(line, name, name_len) == 0) {
      const char* v = line + name_len + 1;
      const char* v_end = eol;
      while (v < v_end && (*v == ' ' || *v == '\t')) ++v;
      while (v_end > v && (v_end[-1] == ' ' || v_end[-1] == '\t')) --v_end;
      if ((size_t)(v_end - v) == value_len && strncasecmp(v, value, value_len) == 0) return 1;
    }
    line = eol;
  }
  return 0;
}

/* Appends a head (and a one-line body for an error); 0 when out of memory. */
static int put_head(struct http_out* out, int status, const char* reason, size_t length, const char* type,
                    int keep_alive) {
  if (!reserve(out, 256)) return 0;
  int n = snprintf(out->data + out->len, 256,
                   "HTTP/1.1 %d %s\r\nServer: ref\r\nContent-Length: %zu\r\nContent-Type: %s\r\nConnection: %s\r\n\r\n",
                   status, reason, length, type, keep_alive ? "keep-alive" : "close");
  if (n < 0 || n >= 256) return 0;
  out->len += (size_t)n;
  return 1;
}

static int put_error(struct http_out* out, int status, const char* reason, int keep_alive) {
  char body[64];
  int n = snprintf(body, sizeof body, "%d %s\n", status, reason);
  if (!put_head(out, status, reason, (size_t)n, "text/plain; charset=utf-8", keep_alive)) return -1;
  if (!reserve(out, (size_t)n)) return -1;
  memcpy(out->data + out->len, body, (size_t)n);
  out->len += (size_t)n;
  return keep_alive;
}

/* Appends the file's bytes, read whole at offset 0; 0 on a short read. */
static int put_file(struct http_out* out, int fd, size_t size) {
  if (!reserve(out, size)) return 0;
  size_t got = 0;
  while (got < size) {
    ssize_t n = pread(fd, out->data + out->len + got, size - got, (off_t)got);
    if (n <= 0) return 0;
    got += (size_t)n;
  }
  out->len += size;
  return 1;
}

int http_respond(const char* root, const char* head, size_t len, struct http_out* out) {
  const char* line_end = memmem(head, len, "\r\n", 2);
  const char* sp1 = line_end ? memchr(head, ' ', (size_t)(line_end - head)) : NULL;
  const char* sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(line_end - sp1 - 1)) : NULL;
  if (sp2 == NULL || line_end - sp2 != 9 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0) {
    return put_error(out, 400, "Bad Request", 0);
  }
  int keep_alive = sp2[8] == '0' ? has_field(head, len, "connection", "keep-alive")
                                 : !has_field(head, len, "connection", "close");
  if (sp1 - head != 3 || memcmp(head, "GET", 3) != 0) return put_error(out, 405, "Method Not Allowed", 0);
  const char* target = sp1 + 1;
  size_t target_len = (size_t)(sp2 - target);
  const char* query = memchr(target, '?', target_len);
  if (query) target_len = (size_t)(query - target);
  if (target[0] != '/' || memmem(target, target_len, "..", 2) != NULL) return put_error(out, 400, "Bad Request", 0);

  char path[PATH_MAX];
  int n = snprintf(path, sizeof path, "%s%.*s", root, (int)target_len, target);
  struct stat st;
  if (n < 0 || (size_t)n >= sizeof path || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
    return put_error(out, 404, "Not Found", keep_alive);
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return put_error(out, 404, "Not Found", keep_alive);
  const size_t size = (size_t)st.st_size;
  const size_t before = out->len;
  int ok = put_head(out, 200, "OK", size, "application/octet-stream", keep_alive) && put_file(out, fd, size);
  close(fd);
  if (!ok) {
    out->len = before; /* the head promised bytes we do not have: send nothing, close */
    return 0;
  }
  return keep_alive;
}
