/* Reference for million_timers: libuv's own million-timers benchmark
 * (test/benchmark-million-timers.c), with libxev's count: `n` uv_timer_t,
 * timer i due after (i / 1000) + 1 ms, started in order, then uv_run until
 * all have fired. Reports the process CPU time and the wall time of start +
 * run (not of allocating the handles or closing them). */
#ifndef LIO_BENCH_REF_UV_TIMERS_H_
#define LIO_BENCH_REF_UV_TIMERS_H_

#ifdef __cplusplus
extern "C" {
#endif

struct uv_timers_result {
  double cpu_seconds;
  double wall_seconds;
  int fired;
  int error;
};

int uv_million_timers(int n, struct uv_timers_result* out);

#ifdef __cplusplus
}
#endif

#endif
