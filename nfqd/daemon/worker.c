/* The queue threads.  See worker.h. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include "daemon.h"
#include "diag.h"
#include "worker.h"
#include "route/tunnels_nl.h"
#include "util/counter.h"
#include "util/clock.h"
#include "util/ratelimit.h"

/* Reads of the XFRM events (each up to the mirror's batch) before a batch is judged. */
#define WORKER_XFRM_READS	16

unsigned int igd_workers_count(const struct igd_daemon *d)
{
	unsigned int nq = d->opts.queue_hi - d->opts.queue_lo + 1;

	/* the pre-NAT tap's token is taken on one queue and redeemed on another, and
	 * the user's own rules may do the same: one thread holds the tokens */
	if (d->opts.pre_nat_tap == IGD_PRE_NAT_TAP_ON || d->opts.no_hooks)
		return 1;
	return nq;
}

/* --- on the queue thread --------------------------------------------------------- */

static bool worker_push(struct igd_worker *w, uint8_t type, const void *data, size_t len)
{
	if (igd_ring_put(&w->ring, type, data, len)) {
		w->pushed = true;
		return true;
	}
	igd_counter_inc(&w->ring_full);
	return false;
}

/* A generation as a bit of gen_in_use. */
static unsigned int gen_bit(unsigned int gen)
{
	return gen < IGD_NATGUARD_GENS ? 1u << gen : 0;
}

/* gen_in_use gains the generations a thread takes while it answers a read of its
 * queues (a burst's verdicts wait in the send buffer until the read ends) and drops
 * all but the one in use once they are sent.  It is written by its thread alone. */
static void worker_gen_add(struct igd_worker *w, unsigned int gen)
{
	unsigned int bits = atomic_load_explicit(&w->gen_in_use, memory_order_relaxed);

	atomic_store_explicit(&w->gen_in_use, bits | gen_bit(gen), memory_order_release);
}

static void worker_gen_settle(struct igd_worker *w)
{
	atomic_store_explicit(&w->gen_in_use, gen_bit(w->judge.guard.gen), memory_order_release);
}

/* The judge pointed at what this thread holds now.  The view's generation is taken
 * only with @caught_up, an SPD and routes at least as new as what it was chosen for;
 * otherwise the thread keeps marking with the one it had, which at worst has a flow
 * judged again. */
static void worker_point(struct igd_worker *w, bool caught_up)
{
	struct igd_judge *j = &w->judge;
	const struct igd_judge_view *v = w->view;

	j->spd = igd_xfrm_mirror_spd(w->mirror);
	j->sad = igd_xfrm_mirror_sad(w->mirror);
	j->out.spd = j->spd;
	j->out.memory = &w->memory;
	j->out.protect = v->protect;
	j->out.nprotect = v->nprotect;
	j->out.drop_uncovered = v->drop_uncovered;
	j->local = &v->local;
	j->noxfrm = &v->noxfrm;
	j->ike_ports = &v->ike_ports;
	j->tunnels = w->tunnels;
	j->cfg.mode = (enum igd_mode)v->mode;
	if (caught_up && j->guard.gen != v->gen)
		igd_natguard_set_gen(&j->guard, v->gen);
	worker_gen_add(w, j->guard.gen);
}

/* A reload changed --mss: the clamp of the queues the user's rules feed follows. */
static void worker_mss(struct igd_worker *w)
{
	const struct igd_judge_view *v = w->view;
	struct igd_mss m;

	if ((int)w->mss.mode == v->mss_mode && w->mss.fixed == v->mss)
		return;
	if (igd_mss_init(&m, (enum igd_mss_mode)v->mss_mode, v->mss))
		return;		/* the reload said so on the loop thread: keep the old */
	igd_mss_close(&w->mss);
	w->mss = m;
}

/* The remembered protections of the view, live or not by this thread's own SPD and
 * tunnels: an SP the kernel removed is held here as soon as this thread has read the
 * removal, whenever the loop thread reads it. */
static void worker_memory_sync(struct igd_worker *w)
{
	const struct igd_judge_view *v = w->view;

	memcpy(w->memory.v, v->mem, v->nmem * sizeof(v->mem[0]));
	w->memory.n = v->nmem;
	w->memory.hold_s = v->hold_s;
	igd_memory_sync(&w->memory, w->judge.spd, w->tunnels, (uint64_t)time(NULL));
}

/* Before a batch is judged: the XFRM and route notifications this thread has not
 * read yet, and a newer view.  The kernel tells of a policy or a route it adds or
 * removes (XFRM_MSG_*POLICY, RTM_*ROUTE) in the call that changes it, so what is read
 * here is the SPD and the routes the kernel had when it queued the batch: a flow of an
 * SP removed, or towards a network whose route into a tunnel went, a moment ago
 * (translated: a suspect by the protected set; untranslated: by the tunnelled set) is
 * judged tunnel-down at once rather than as things stood before. */
static void worker_catch_up(void *arg)
{
	struct igd_worker *w = arg;
	bool resync = false;
	const struct igd_spd *spd;
	struct igd_judge_view *t;
	bool caught_up;
	int e, i;

	/* The view first, then the kernel's events: the loop thread published a
	 * generation only after it had read the SPD change that brought it, and the
	 * kernel put that change on this thread's sockets in the same call.  So once
	 * every event waiting here is read, the SPD judged with is not older than the
	 * generation marked with.  A newer SPD under an older generation has the flow
	 * judged again when the generation changes; a change the loop thread read whole
	 * within one read (an SP gone and back) changes no generation, and a flow this
	 * thread judged in between keeps that verdict. */
	if (igd_view_read(w->d->view_pub, &w->view_seq, w->spare)) {
		t = w->view;
		w->view = w->spare;
		w->spare = t;
		resync = true;
		/* at once: reading the events below may take long (a re-dump), and the
		 * sweep must not pick it meanwhile */
		worker_gen_add(w, w->view->gen);
		if (w->view->fixes_reverted != w->spare->fixes_reverted)
			w->last_fix = 0;	/* a revert may have taken it out */
		worker_mss(w);
	}
	/* everything waiting, not one read's worth (bounded: a storm of SA events must
	 * not keep the queue unanswered) */
	for (i = 0; i < WORKER_XFRM_READS; i++) {
		e = igd_xfrm_mirror_process(w->mirror);
		if (e || igd_xfrm_mirror_timeout_ms(w->mirror) != 0)
			break;
	}
	if (e)
		fprintf(stderr, "ipsecguardd: queue thread %u: xfrm mirror: %s\n", w->idx,
			strerror(-e));
	caught_up = !e && igd_xfrm_mirror_synced(w->mirror) &&
		    igd_xfrm_mirror_timeout_ms(w->mirror) != 0;
	e = w->tunnels_nl ? igd_tunnels_nl_process(w->tunnels_nl) : 0;
	if (e < 0)
		fprintf(stderr, "ipsecguardd: queue thread %u: tunnel interfaces and routes: "
			"%s\n", w->idx, strerror(-e));
	worker_point(w, caught_up && e >= 0);
	spd = w->judge.spd;
	if (resync || spd != w->spd_seen || igd_spd_generation(spd) != w->spd_gen ||
	    (w->tunnels && w->tunnels->generation != w->tunnels_gen)) {
		w->spd_seen = spd;
		w->spd_gen = igd_spd_generation(spd);
		w->tunnels_gen = w->tunnels ? w->tunnels->generation : 0;
		worker_memory_sync(w);
	}
}

static void worker_on_packet(const struct igd_qpkt *qp, struct igd_qverdict *v, void *arg)
{
	struct igd_worker *w = arg;
	struct igd_judgement jd;
	uint64_t suppressed;
	struct igd_pkt p;
	int n;

	igd_judge_packet(&w->judge, qp, &p, &jd);
	v->verdict = jd.verdict;
	v->mangled = jd.mss_to != 0;
	v->set_mark = jd.set_mark;
	v->mark = jd.mark;
	if (jd.want_fix && jd.sp && w->d->fixes.worker && jd.sp->index != w->last_fix &&
	    worker_push(w, IGD_WREC_FIX, jd.sp, sizeof(*jd.sp)))
		w->last_fix = jd.sp->index;
	if (jd.reason == IGD_R_PASS && !w->view->log_pass)
		return;
	if (!igd_log_rl_ok(w->rl, qp->hook, &jd, &suppressed))
		return;
	igd_namesd_name_sa(&w->d->names, &jd, w->sa_conn, w->sa_child);
	n = igd_verdict_line(w->line, sizeof(w->line), qp, &p, &jd, suppressed);
	if (n > 0)
		worker_push(w, IGD_WREC_LINE, w->line, (size_t)n);
}

static void worker_wake_writer(struct igd_worker *w)
{
	uint64_t one = 1;

	if (!w->pushed)
		return;
	w->pushed = false;
	if (write(w->d->workers_fd, &one, sizeof(one)) < 0) {
		/* the counter is full: the writer has a wake-up pending anyway */
	}
}

static int worker_on_queue(int fd, void *arg)
{
	struct igd_queue *q = arg;
	struct igd_worker *w = igd_queue_arg(q);
	int err;

	(void)fd;
	atomic_store_explicit(&w->busy_since_ms, igd_now_ms(), memory_order_relaxed);
	err = igd_queue_process(q);
	worker_gen_settle(w);		/* its verdicts are sent */
	atomic_store_explicit(&w->busy_since_ms, 0, memory_order_relaxed);
	worker_wake_writer(w);
	return err == -ENOBUFS ? 0 : err;
}

/* Notifications read while no packet waits: the socket never fills with them. */
static int worker_on_notify(int fd, void *arg)
{
	(void)fd;
	worker_catch_up(arg);
	worker_gen_settle(arg);		/* no verdict waits */
	return 0;
}

static void worker_on_tick(void *arg)
{
	worker_catch_up(arg);
	worker_gen_settle(arg);
}

static int worker_on_stop(int fd, void *arg)
{
	struct igd_worker *w = arg;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0) {
		/* spurious: the loop ends all the same */
	}
	igd_loop_stop(w->loop);
	return 0;
}

static void *worker_main(void *arg)
{
	struct igd_worker *w = arg;
	char name[16];
	unsigned int i;
	int e;

	/* `top -H`, `ps -L`: which queue a thread answers */
	snprintf(name, sizeof(name), "igd-queue-%u", igd_queue_num(w->queues[0]));
	pthread_setname_np(pthread_self(), name);
	e = igd_loop_run(w->loop);
	if (e)
		fprintf(stderr, "ipsecguardd: queue thread %u: %s\n", w->idx, strerror(-e));
	/* the hooks are gone or kept: answer what is still queued */
	for (i = 0; i < w->nqueues; i++)
		igd_queue_process(w->queues[i]);
	if (e && !__atomic_load_n(&w->d->workers_stopping, __ATOMIC_ACQUIRE))
		__atomic_store_n(&w->d->workers_failed, true, __ATOMIC_RELEASE);
	w->pushed = true;	/* the loop thread looks: a failure ends the daemon */
	worker_wake_writer(w);
	return NULL;
}

/* --- on the loop thread -------------------------------------------------------- */

static int worker_open_queues(struct igd_daemon *d, char *err, size_t errlen)
{
	struct igd_queue_cfg cfg = {
		.maxlen = d->opts.maxlen, .copy_range = d->opts.copy_range,
		.rcvbuf = d->opts.rcvbuf,
		/* enforce and fix: a full queue drops (suspects only meet it) */
		.fail_open = d->opts.mode == IGD_MODE_AUDIT && !d->opts.fail_closed,
		/* the policy and route changes made before the packets were queued */
		.before_batch = worker_catch_up,
	};
	struct igd_worker *w;
	uint32_t n;
	int e;

	for (n = d->opts.queue_lo; n <= d->opts.queue_hi; n++) {
		w = &d->workers[d->nqueues % d->nworkers];
		cfg.num = (uint16_t)n;
		e = igd_queue_open(&d->queues[d->nqueues], &cfg, worker_on_packet, w, err,
				   errlen);
		if (e)
			return e;
		w->queues[w->nqueues++] = d->queues[d->nqueues++];
	}
	return 0;
}

int igd_workers_open(struct igd_daemon *d, char *err, size_t errlen)
{
	unsigned int i, n = igd_workers_count(d);

	d->workers = calloc(n, sizeof(*d->workers));
	if (!d->workers) {
		snprintf(err, errlen, "queue threads: out of memory");
		return -ENOMEM;
	}
	d->nworkers = n;
	for (i = 0; i < n; i++) {
		d->workers[i].d = d;
		d->workers[i].idx = i;
		d->workers[i].stop_fd = -1;
	}
	d->view_pub = calloc(1, sizeof(*d->view_pub));
	d->view_next = malloc(sizeof(*d->view_next));
	d->workers_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!d->view_pub || !d->view_next || d->workers_fd < 0) {
		snprintf(err, errlen, "queue threads: %s", strerror(errno ? errno : ENOMEM));
		return -ENOMEM;
	}
	return worker_open_queues(d, err, errlen);
}

static int worker_open_prenat(struct igd_worker *w)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };

	w->prenat_nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!w->prenat_nl || mnl_socket_bind(w->prenat_nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(w->prenat_nl), SOL_SOCKET, SO_RCVTIMEO, &tv,
		       sizeof(tv)) < 0)
		return -errno;
	return 0;
}

/* The judge's way into the prenat map: one request on the packet thread, answered by
 * the kernel at once (bounded by the socket's receive timeout), on this thread's own
 * socket (only queue threads judge queued packets). */
static int worker_prenat_lookup(void *arg, int family, const uint8_t *key,
				struct igd_prenat *out)
{
	struct igd_worker *w = arg;

	return igd_prenat_lookup(w->prenat_nl, w->prenat_buf, sizeof(w->prenat_buf),
				 w->d->opts.table, family, key, out);
}

static int worker_add_fds(struct igd_worker *w)
{
	unsigned int i;
	int e;

	e = igd_loop_add_fd(w->loop, w->stop_fd, worker_on_stop, w) ?:
	    igd_loop_add_fd(w->loop, igd_xfrm_mirror_fd(w->mirror), worker_on_notify, w);
	if (!e && w->tunnels_nl)
		e = igd_loop_add_fd(w->loop, igd_tunnels_nl_fd(w->tunnels_nl),
				    worker_on_notify, w);
	for (i = 0; !e && i < w->nqueues; i++)
		e = igd_loop_add_fd(w->loop, igd_queue_fd(w->queues[i]), worker_on_queue,
				    w->queues[i]);
	return e;
}

/* This thread's own parts, made on the loop thread before it starts. */
static int worker_prepare(struct igd_worker *w, char *err, size_t errlen)
{
	struct igd_daemon *d = w->d;
	struct igd_xfrm_mirror_cfg mc = { 0 };
	struct igd_rl_cfg rc = { 0 };
	int e;

	w->judge = d->judge;
	igd_judge_clear_counts(&w->judge);
	w->memory.v = calloc(IGD_MEMORY_MAX, sizeof(*w->memory.v));
	w->memory.cap = IGD_MEMORY_MAX;		/* never grown on the packet path */
	w->view = malloc(sizeof(*w->view));
	w->spare = malloc(sizeof(*w->spare));
	w->loop = igd_loop_new_nosig();
	w->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!w->memory.v || !w->view || !w->spare || !w->loop || w->stop_fd < 0 ||
	    igd_ring_init(&w->ring, IGD_WORKER_RING) || igd_rl_new(&w->rl, &rc)) {
		snprintf(err, errlen, "queue thread %u: out of memory", w->idx);
		return -ENOMEM;
	}
	igd_view_build(d, w->view);
	e = igd_xfrm_mirror_open(&w->mirror, &mc);
	if (e) {
		snprintf(err, errlen, "queue thread %u: xfrm: read the SPD and SAD: %s",
			 w->idx, strerror(-e));
		return e;
	}
	if (d->tunnels_nl) {
		w->tunnels = calloc(1, sizeof(*w->tunnels));
		if (!w->tunnels)
			return -ENOMEM;
		igd_tunnels_init(w->tunnels);
		e = igd_tunnels_nl_open(&w->tunnels_nl, w->tunnels);
		if (e) {
			snprintf(err, errlen, "queue thread %u: tunnel interfaces and routes: %s",
				 w->idx, strerror(-e));
			return e;
		}
	}
	e = igd_mss_init(&w->mss, d->opts.mss_mode, d->opts.mss);
	if (e) {
		snprintf(err, errlen, "queue thread %u: rtnetlink for --mss auto: %s", w->idx,
			 strerror(-e));
		return e;
	}
	w->mss_open = true;
	w->judge.mss = &w->mss;
	if (d->guard.prenat_map) {
		e = worker_open_prenat(w);
		if (e) {
			snprintf(err, errlen, "queue thread %u: prenat map: netlink socket: %s",
				 w->idx, strerror(-e));
			return e;
		}
		w->judge.cfg.prenat_lookup = worker_prenat_lookup;
		w->judge.cfg.prenat_arg = w;
	}
	worker_point(w, true);		/* the mirror and the routes were just dumped */
	worker_memory_sync(w);
	w->spd_seen = w->judge.spd;
	w->spd_gen = igd_spd_generation(w->judge.spd);
	w->tunnels_gen = w->tunnels ? w->tunnels->generation : 0;
	/* a re-dump the mirror put off is tried again without waiting for a packet */
	igd_loop_set_tick(w->loop, 1000, worker_on_tick, w);
	e = worker_add_fds(w);
	if (e)
		snprintf(err, errlen, "queue thread %u: event loop: %s", w->idx, strerror(-e));
	return e;
}

int igd_workers_start(struct igd_daemon *d, char *err, size_t errlen)
{
	sigset_t all, old;
	unsigned int i;
	int e = 0;

	igd_workers_publish(d);
	for (i = 0; i < d->nworkers; i++) {
		e = worker_prepare(&d->workers[i], err, errlen);
		if (e)
			return e;
		d->workers[i].view_seq = atomic_load(&d->view_pub->seq);
	}
	/* the threads take no signals: the loop thread's self-pipe has them */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < d->nworkers && !e; i++) {
		e = -pthread_create(&d->workers[i].th, NULL, worker_main, &d->workers[i]);
		d->workers[i].started = !e;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e)
		snprintf(err, errlen, "queue thread: %s", strerror(-e));
	return e;
}

static bool workers_drain(struct igd_daemon *d);

void igd_workers_stop(struct igd_daemon *d)
{
	uint64_t one = 1;
	unsigned int i;

	__atomic_store_n(&d->workers_stopping, true, __ATOMIC_RELEASE);
	for (i = 0; i < d->nworkers; i++)
		if (d->workers[i].started && write(d->workers[i].stop_fd, &one, sizeof(one)) < 0)
			fprintf(stderr, "ipsecguardd: queue thread %u: %s\n", i, strerror(errno));
	for (i = 0; i < d->nworkers; i++) {
		if (d->workers[i].started)
			pthread_join(d->workers[i].th, NULL);
		d->workers[i].started = false;
	}
	/* the threads are gone: everything they wrote, before the rings are freed */
	while (workers_drain(d))
		;
}

void igd_workers_free(struct igd_daemon *d)
{
	struct igd_worker *w;
	unsigned int i;

	for (i = 0; d->workers && i < d->nworkers; i++) {
		w = &d->workers[i];
		igd_xfrm_mirror_close(w->mirror);
		igd_tunnels_nl_close(w->tunnels_nl);
		free(w->tunnels);
		if (w->mss_open)
			igd_mss_close(&w->mss);
		if (w->prenat_nl)
			mnl_socket_close(w->prenat_nl);
		igd_rl_free(w->rl);
		igd_ring_free(&w->ring);
		free(w->memory.v);
		free(w->view);
		free(w->spare);
		igd_loop_free(w->loop);
		if (w->stop_fd >= 0)
			close(w->stop_fd);
	}
	free(d->workers);
	d->workers = NULL;
	d->nworkers = 0;
	free(d->view_pub);
	free(d->view_next);
	d->view_pub = NULL;
	d->view_next = NULL;
	if (d->workers_fd >= 0)
		close(d->workers_fd);
	d->workers_fd = -1;
}

/* Records taken from each ring per call: a thread that keeps adding lines does not
 * keep the loop thread from its other work; what is left wakes it again. */
#define WORKER_DRAIN_MAX 2048

static bool workers_drain(struct igd_daemon *d)
{
	struct igd_worker *w;
	bool fixes = false, more = false;
	struct igd_sp sp;
	unsigned int i, k;
	uint8_t type;
	int n;

	for (i = 0; i < d->nworkers; i++) {
		w = &d->workers[i];
		for (k = 0; k < WORKER_DRAIN_MAX; k++) {
			n = igd_ring_get(&w->ring, &type, d->line, sizeof(d->line));
			if (n == -1)
				break;
			if (n >= 0 && type == IGD_WREC_LINE) {
				igd_logdest_line(d->log, d->line, (size_t)n);
			} else if (n == (int)sizeof(sp) && type == IGD_WREC_FIX) {
				memcpy(&sp, d->line, sizeof(sp));
				igd_fixes_request(&d->fixes, &sp);
				fixes = true;
			}
		}
		more = more || k == WORKER_DRAIN_MAX;
	}
	if (fixes && d->fixes.worker)
		igd_fixes_kick(&d->fixes);
	return more;
}

void igd_workers_drain(struct igd_daemon *d)
{
	uint64_t one = 1;

	if (workers_drain(d) && d->workers_fd >= 0 &&
	    write(d->workers_fd, &one, sizeof(one)) < 0) {
		/* the counter is full: a wake-up is pending anyway */
	}
}

bool igd_workers_gen_in_use(const struct igd_daemon *d, unsigned int gen)
{
	unsigned int i;

	for (i = 0; i < d->nworkers; i++)
		if (d->workers[i].started &&
		    (atomic_load_explicit(&d->workers[i].gen_in_use, memory_order_acquire) &
		     gen_bit(gen)))
			return true;
	return false;
}

bool igd_workers_healthy(const struct igd_daemon *d, uint64_t ms)
{
	uint64_t now = igd_now_ms(), since;
	unsigned int i;

	if (__atomic_load_n(&d->workers_failed, __ATOMIC_ACQUIRE))
		return false;
	for (i = 0; i < d->nworkers; i++) {
		since = atomic_load_explicit(&d->workers[i].busy_since_ms, memory_order_relaxed);
		if (since && now > since + ms)
			return false;
	}
	return true;
}

void igd_workers_publish(struct igd_daemon *d)
{
	if (!d->view_pub)
		return;
	igd_view_build(d, d->view_next);
	igd_view_publish(d->view_pub, d->view_next);
}

const struct igd_judge *igd_workers_judge(struct igd_daemon *d)
{
	unsigned int i;

	d->judge_total = d->judge;
	for (i = 0; i < d->nworkers; i++)
		igd_judge_add_counts(&d->judge_total, &d->workers[i].judge);
	return &d->judge_total;
}

uint64_t igd_workers_suppressed(const struct igd_daemon *d)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < d->nworkers; i++)
		if (d->workers[i].rl)
			n += igd_counter_read(&igd_rl_stats(d->workers[i].rl)->suppressed);
	return n;
}

uint64_t igd_workers_lines_lost(const struct igd_daemon *d)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < d->nworkers; i++)
		n += igd_counter_read(&d->workers[i].ring_full);
	return n;
}
