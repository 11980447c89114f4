#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "nl/ct_nl.h"
#include "fixer.h"

struct igd_fixer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	struct igd_sp req[IGD_FIXER_RING];	/* loop -> thread */
	unsigned int req_head, req_n;
	struct igd_fix_result res[IGD_FIXER_RING];	/* thread -> loop */
	unsigned int res_head, res_n;
	int pipe[2];				/* one byte per result */
};

/* The work itself, on the thread: the flush that lets the selector's flows bind
 * again without NAT (the exemption is in already). */
static void fixer_do(const struct igd_sp *sp, struct igd_fix_result *r)
{
	memset(r, 0, sizeof(*r));
	r->sp = *sp;
	r->flush_err = igd_ct_flush_selector(&sp->sel, &r->flushed, r->flush_msg,
					     sizeof(r->flush_msg));
	if (r->flush_err > 0)
		r->flush_err = 0;
}

static void *fixer_main(void *arg)
{
	struct igd_fixer *f = arg;
	struct igd_fix_result *r = malloc(sizeof(*r));	/* the thread's own, once */
	struct igd_sp sp;
	char one = 1;

	pthread_mutex_lock(&f->lock);
	while (r) {
		while (!f->stop && !f->req_n)
			pthread_cond_wait(&f->wake, &f->lock);
		if (f->stop)
			break;		/* what is queued is dropped: the daemon exits */
		sp = f->req[f->req_head];
		f->req_head = (f->req_head + 1) % IGD_FIXER_RING;
		f->req_n--;
		pthread_mutex_unlock(&f->lock);
		fixer_do(&sp, r);
		pthread_mutex_lock(&f->lock);
		/* the loop reads results before it submits more than the ring holds */
		if (f->res_n < IGD_FIXER_RING) {
			f->res[(f->res_head + f->res_n) % IGD_FIXER_RING] = *r;
			f->res_n++;
			if (write(f->pipe[1], &one, 1) < 0) {
				/* the loop drains on every wake-up; a full pipe still wakes it */
			}
		}
	}
	pthread_mutex_unlock(&f->lock);
	free(r);
	return NULL;
}

int igd_fixer_start(struct igd_fixer **fp)
{
	struct igd_fixer *f = calloc(1, sizeof(*f));
	sigset_t all, old;
	int e;

	*fp = NULL;
	if (!f)
		return -ENOMEM;
	if (pipe2(f->pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		e = -errno;
		free(f);
		return e;
	}
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->wake, NULL);
	/* signals are the loop's (self-pipe): the thread never takes one */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = -pthread_create(&f->thread, NULL, fixer_main, f);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		close(f->pipe[0]);
		close(f->pipe[1]);
		free(f);
		return e;
	}
	*fp = f;
	return 0;
}

int igd_fixer_fd(const struct igd_fixer *f)
{
	return f->pipe[0];
}

bool igd_fixer_submit(struct igd_fixer *f, const struct igd_sp *sp)
{
	bool ok;

	pthread_mutex_lock(&f->lock);
	/* room for its result too: in flight never exceeds the result ring */
	ok = f->req_n + f->res_n < IGD_FIXER_RING - 1;
	if (ok) {
		f->req[(f->req_head + f->req_n) % IGD_FIXER_RING] = *sp;
		f->req_n++;
		pthread_cond_signal(&f->wake);
	}
	pthread_mutex_unlock(&f->lock);
	return ok;
}

bool igd_fixer_result(struct igd_fixer *f, struct igd_fix_result *out)
{
	char buf[64];
	bool ok;

	while (read(f->pipe[0], buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&f->lock);
	ok = f->res_n > 0;
	if (ok) {
		*out = f->res[f->res_head];
		f->res_head = (f->res_head + 1) % IGD_FIXER_RING;
		f->res_n--;
	}
	pthread_mutex_unlock(&f->lock);
	return ok;
}

void igd_fixer_stop(struct igd_fixer *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	f->stop = true;
	pthread_cond_signal(&f->wake);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->thread, NULL);
	pthread_cond_destroy(&f->wake);
	pthread_mutex_destroy(&f->lock);
	close(f->pipe[0]);
	close(f->pipe[1]);
	free(f);
}
