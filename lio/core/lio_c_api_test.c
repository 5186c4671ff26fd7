/* The C API (lio.h) from a C11 program: opens io_uring and poller by name,
 * runs a nop, a file read, a cancelled timeout and a wake through each, and
 * checks the error paths of lio_open, lio_push and lio_cancel.
 *
 * Usage: lio_c_api_test [PLUGIN_FILE...]
 * Each plugin file's directory, made absolute (the loader refuses relative
 * LIO_PLUGIN_PATH entries), is put on LIO_PLUGIN_PATH; with no argument
 * the plugins must be found where lio was installed (<prefix>/lib/lio). */
#define _XOPEN_SOURCE 700 /* realpath */

#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lio/core/lio.h"

static int failures = 0;

#define CHECK(cond, ...)                                   \
  do {                                                     \
    if (!(cond)) {                                         \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      fprintf(stderr, __VA_ARGS__);                        \
      fprintf(stderr, "\n");                               \
      ++failures;                                          \
    }                                                      \
  } while (0)

/* Pushes `op` as `id`, flushes, and returns its result (waits up to 5 s). */
static int64_t run_one(lio_instance* io, uint64_t id, const lio_op* op) {
  int rc = lio_push(io, id, op);
  if (rc < 0) return rc;
  rc = lio_flush(io);
  if (rc < 0) return rc;
  for (int tries = 0; tries < 50; ++tries) {
    const lio_completion* done = NULL;
    int n = lio_wait(io, 100 * 1000 * 1000, &done);
    if (n < 0) return n;
    if (n == 0) continue;
    if (n != 1 || done[0].id != id) return -LIO_EIO;
    return done[0].result;
  }
  return -LIO_ETIMEDOUT;
}

/* A temporary file holding `text`; returns its descriptor open for reading. */
static int temp_file_with(const char* text) {
  char path[] = "/tmp/lio_c_api_test_XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return -1;
  unlink(path);
  if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
    close(fd);
    return -1;
  }
  return fd;
}

static void exercise(const char* name) {
  char why[512];
  lio_instance* io = NULL;
  int rc = lio_open(name, 8, NULL, &io, why, sizeof why);
  CHECK(rc == 0, "lio_open(%s) = %d (%s): %s", name, rc, lio_error_name(rc), why);
  if (rc != 0) return;
  CHECK(strcmp(lio_backend_name(io), name) == 0, "opened '%s', asked for '%s'", lio_backend_name(io), name);
  CHECK(why[0] == '\0', "error text set on success: %s", why);

  lio_op nop = lio_op_nop();
  int64_t result = run_one(io, 1, &nop);
  CHECK(result == 0, "%s: nop -> %lld", name, (long long)result);

  const char text[] = "read through lio from C";
  int fd = temp_file_with(text);
  CHECK(fd >= 0, "temporary file");
  char buf[64] = {0};
  lio_op read_op = lio_op_read(fd, buf, sizeof buf, 0);
  result = run_one(io, 2, &read_op);
  CHECK(result == (int64_t)strlen(text), "%s: read -> %lld, expected %zu", name, (long long)result, strlen(text));
  CHECK(memcmp(buf, text, strlen(text)) == 0, "%s: read data differs: '%s'", name, buf);
  close(fd);

  /* A cancelled 10 s timeout completes once, with -LIO_ECANCELED. */
  lio_op timeout = lio_op_timeout(10LL * 1000 * 1000 * 1000);
  CHECK(lio_push(io, 4, &timeout) == 0 && lio_flush(io) >= 0, "%s: push timeout", name);
  rc = lio_cancel(io, 4);
  CHECK(rc == 0, "%s: cancel(in flight) = %d (%s)", name, rc, lio_error_name(rc));
  const lio_completion* done = NULL;
  int n = 0;
  while (n == 0) n = lio_wait(io, -1, &done);
  CHECK(n == 1 && done[0].id == 4 && done[0].result == -LIO_ECANCELED, "%s: cancelled timeout -> n %d, result %lld",
        name, n, n > 0 ? (long long)done[0].result : 0LL);

  /* A wake ends a blocking wait with nothing in flight (a lost wake hangs
   * here until the test's timeout). */
  CHECK(lio_wake(io) == 0, "%s: wake", name);
  n = lio_wait(io, -1, &done);
  CHECK(n == 0, "%s: wait after wake = %d", name, n);

  /* Error paths: an id that is not in flight, a malformed op. */
  rc = lio_cancel(io, 12345);
  CHECK(rc == -LIO_ENOENT, "%s: cancel(unknown id) = %d (%s)", name, rc, lio_error_name(rc));
  lio_op bad = lio_op_nop();
  bad.code = LIO_OP_COUNT;
  rc = lio_push(io, 3, &bad);
  CHECK(rc == -LIO_EINVAL, "%s: push(bad code) = %d (%s)", name, rc, lio_error_name(rc));

  /* ABI 1.1: each call of a feature answers as the feature says. */
  uint64_t features = lio_features(io);
  CHECK((features & ~(uint64_t)LIO_FEATURE_ALL) == 0, "%s: features 0x%llx", name, (unsigned long long)features);
  uint64_t native = lio_native_ops(io);
  for (uint32_t code = 0; code < 64; ++code) {
    if (native & LIO_CAP(code)) CHECK(lio_supports(io, code), "%s: native op %u is not declared", name, code);
  }
  rc = lio_register_files(io, NULL, 0);
  CHECK(rc == ((features & LIO_FEATURE_FIXED_FILES) ? 0 : -LIO_EOPNOTSUPP), "%s: register_files(none) = %d (%s)",
        name, rc, lio_error_name(rc));
  rc = lio_register_buffers(io, NULL, 0);
  CHECK(rc == ((features & LIO_FEATURE_FIXED_BUFFERS) ? 0 : -LIO_EOPNOTSUPP),
        "%s: register_buffers(none) = %d (%s)", name, rc, lio_error_name(rc));
  static char group_memory[4 * 64];
  rc = lio_add_buffer_group(io, 7, group_memory, 4, 64);
  CHECK(rc == ((features & LIO_FEATURE_BUFFER_GROUPS) ? 0 : -LIO_EOPNOTSUPP), "%s: add_buffer_group = %d (%s)",
        name, rc, lio_error_name(rc));
  rc = lio_remove_buffer_group(io, 7);
  CHECK(rc == ((features & LIO_FEATURE_BUFFER_GROUPS) ? 0 : -LIO_EOPNOTSUPP), "%s: remove_buffer_group = %d (%s)",
        name, rc, lio_error_name(rc));
  CHECK(lio_register_files(NULL, NULL, 0) == -LIO_EINVAL, "%s: register_files(NULL instance)", name);

  lio_close(io);
  printf("%s: nop, file read, cancel, wake, 1.1 feature calls: ok\n", name);
}

static void open_errors(void) {
  char why[512];
  lio_instance* io = NULL;
  int rc = lio_open("no_such_backend", 8, NULL, &io, why, sizeof why);
  CHECK(rc == -LIO_ENOENT, "lio_open(no_such_backend) = %d (%s)", rc, lio_error_name(rc));
  CHECK(strstr(why, "unknown backend 'no_such_backend'") != NULL, "error text: %s", why);
  CHECK(io == NULL, "out set on failure");

  rc = lio_open("poller", 0, NULL, &io, why, sizeof why);
  CHECK(rc == -LIO_EINVAL, "lio_open(capacity 0) = %d (%s)", rc, lio_error_name(rc));
  CHECK(strstr(why, "capacity") != NULL, "error text: %s", why);

  /* A small buffer gets a truncated, terminated sentence. */
  char tiny[8];
  rc = lio_open("no_such_backend", 8, NULL, &io, tiny, sizeof tiny);
  CHECK(rc == -LIO_ENOENT && strlen(tiny) == sizeof tiny - 1, "truncated text '%s' (rc %d)", tiny, rc);
  rc = lio_open("no_such_backend", 8, NULL, &io, NULL, 0);
  CHECK(rc == -LIO_ENOENT, "lio_open with no error buffer = %d", rc);

  /* A NULL instance is refused, not a crash. */
  const lio_completion* done = NULL;
  lio_op nop = lio_op_nop();
  CHECK(lio_push(NULL, 1, &nop) == -LIO_EINVAL, "push(NULL)");
  CHECK(lio_flush(NULL) == -LIO_EINVAL, "flush(NULL)");
  CHECK(lio_wait(NULL, 0, &done) == -LIO_EINVAL, "wait(NULL)");
  CHECK(lio_cancel(NULL, 1) == -LIO_EINVAL, "cancel(NULL)");
  CHECK(lio_wake(NULL) == -LIO_EINVAL, "wake(NULL)");
  lio_close(NULL);
  printf("lio_open errors, NULL instance: ok\n");
}

int main(int argc, char** argv) {
  char path[4096] = "";
  for (int i = 1; i < argc; ++i) {
    char copy[4096];
    char dir[4096];
    snprintf(copy, sizeof copy, "%s", argv[i]);
    if (realpath(dirname(copy), dir) == NULL) {
      fprintf(stderr, "FAIL: no directory for %s\n", argv[i]);
      return 1;
    }
    size_t used = strlen(path);
    int wrote = snprintf(path + used, sizeof path - used, "%s%s", used ? ":" : "", dir);
    if (wrote < 0 || (size_t)wrote >= sizeof path - used) {
      fprintf(stderr, "FAIL: plugin directories longer than %zu bytes\n", sizeof path);
      return 1;
    }
  }
  if (argc > 1) setenv("LIO_PLUGIN_PATH", path, 1);

  exercise("io_uring");
  exercise("poller");
  open_errors();
  printf("%s\n", failures == 0 ? "PASS" : "FAILED");
  return failures == 0 ? 0 : 1;
}
