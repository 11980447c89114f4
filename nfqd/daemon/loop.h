/* The daemon's event loop: a registry of file descriptors with callbacks, signals
 * delivered through a self-pipe (the handler only writes the signal number), and a
 * single periodic tick.  One loop per daemon; nothing here allocates after init. */
#ifndef IGD_LOOP_H
#define IGD_LOOP_H
#include <stdbool.h>
#include <stdint.h>

#define IGD_LOOP_MAX_FDS 32

struct igd_loop;
/* Called when @fd is readable.  Returns 0, or -errno to stop the loop with an error. */
typedef int (*igd_loop_fd_cb)(int fd, void *arg);
/* Called in the loop (not in the signal handler) for each delivered signal. */
typedef void (*igd_loop_sig_cb)(int signo, void *arg);
/* Called about every tick_ms milliseconds. */
typedef void (*igd_loop_tick_cb)(void *arg);

struct igd_loop *igd_loop_new(void);
/* A loop that takes no signals (a queue thread's): the process's signals stay with
 * the loop made by igd_loop_new(). */
struct igd_loop *igd_loop_new_nosig(void);
void igd_loop_free(struct igd_loop *l);
int igd_loop_add_fd(struct igd_loop *l, int fd, igd_loop_fd_cb cb, void *arg);
/* Stops watching @fd (it may be called from @fd's own callback); the caller closes
 * it. */
void igd_loop_del_fd(struct igd_loop *l, int fd);
/* Routes @signo through the self-pipe to @cb.  SIGPIPE is always ignored. */
int igd_loop_add_signal(struct igd_loop *l, int signo, igd_loop_sig_cb cb, void *arg);
void igd_loop_set_tick(struct igd_loop *l, unsigned int tick_ms, igd_loop_tick_cb cb,
		       void *arg);
/* Called after every iteration that dispatched a callback or ticked. */
void igd_loop_set_after(struct igd_loop *l, igd_loop_tick_cb cb, void *arg);
/* Runs until igd_loop_stop() or a callback fails; returns 0 or that -errno. */
int igd_loop_run(struct igd_loop *l);
void igd_loop_stop(struct igd_loop *l);
/* Increments once per loop iteration that dispatched at least one callback. */
uint64_t igd_loop_progress(const struct igd_loop *l);
#endif
