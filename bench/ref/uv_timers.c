#include "bench/ref/uv_timers.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

#include "bench/ref/echo_client.h" /* bench_now_seconds */

static int fired;

static void on_timer(uv_timer_t* t) {
  (void)t;
  ++fired;
}

static void on_close(uv_handle_t* h) { (void)h; }

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
         (double)ru.ru_stime.tv_usec * 1e-6;
}

int uv_million_timers(int n, struct uv_timers_result* out) {
  memset(out, 0, sizeof *out);
  uv_loop_t loop;
  int error = uv_loop_init(&loop);
  if (error != 0) return out->error = error;
  uv_timer_t* timers = calloc((size_t)n, sizeof *timers);
  if (timers == NULL) return out->error = UV_ENOMEM;
  fired = 0;
  double cpu0 = cpu_seconds();
  double wall0 = bench_now_seconds();
  uv_update_time(&loop);
  uint64_t timeout = 0;
  for (int i = 0; i < n; ++i) {
    if (i % 1000 == 0) ++timeout;
    uv_timer_init(&loop, &timers[i]);
    uv_timer_start(&timers[i], on_timer, timeout, 0);
  }
  error = uv_run(&loop, UV_RUN_DEFAULT);
  out->wall_seconds = bench_now_seconds() - wall0;
  out->cpu_seconds = cpu_seconds() - cpu0;
  out->fired = fired;
  for (int i = 0; i < n; ++i) uv_close((uv_handle_t*)&timers[i], on_close);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  free(timers);
  out->error = error < 0 ? error : (fired == n ? 0 : UV_EIO);
  return out->error;
}
