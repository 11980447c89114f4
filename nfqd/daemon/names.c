/* Tunnel names; see names.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "judge.h"
#include "names.h"

static void *namesd_main(void *arg)
{
	struct igd_namesd *n = arg;
	struct timespec t;

	pthread_mutex_lock(&n->mu);
	while (!n->stop) {
		struct igd_names *tmp;
		int e;

		pthread_mutex_unlock(&n->mu);
		e = igd_names_fetch(n->src, n->vici, n->next);
		pthread_mutex_lock(&n->mu);
		if (e < 0)
			n->next->n = 0;
		tmp = n->cur;		/* a failed fetch empties the table: stale names lie */
		n->cur = n->next;
		n->next = tmp;
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_sec += IGD_NAMESD_PERIOD_S;
		while (!n->stop && pthread_cond_timedwait(&n->cv, &n->mu, &t) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&n->mu);
	return NULL;
}

int igd_namesd_start(struct igd_namesd *n, int src, const char *vici)
{
	int e;

	memset(n, 0, sizeof(*n));
	n->src = src;
	if (src == IGD_NAMES_OFF)
		return 0;
	snprintf(n->vici, sizeof(n->vici), "%s", vici ? vici : "");
	n->cur = calloc(1, sizeof(*n->cur));
	n->next = calloc(1, sizeof(*n->next));
	if (!n->cur || !n->next) {
		free(n->cur);
		free(n->next);
		n->cur = n->next = NULL;
		return -ENOMEM;
	}
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->cv, NULL);
	e = pthread_create(&n->th, NULL, namesd_main, n);
	if (e) {
		free(n->cur);
		free(n->next);
		n->cur = n->next = NULL;
		return -e;
	}
	n->running = true;
	return 0;
}

void igd_namesd_stop(struct igd_namesd *n)
{
	if (!n->running)
		return;
	pthread_mutex_lock(&n->mu);
	n->stop = true;
	pthread_cond_signal(&n->cv);
	pthread_mutex_unlock(&n->mu);
	pthread_join(n->th, NULL);
	n->running = false;
	free(n->cur);
	free(n->next);
	n->cur = n->next = NULL;
}

bool igd_namesd_lookup(struct igd_namesd *n, uint32_t spi, uint32_t reqid, char *conn,
		       char *child)
{
	const struct igd_name_ent *e;
	bool found = false;

	conn[0] = child[0] = '\0';
	if (!n->running)
		return false;
	pthread_mutex_lock(&n->mu);
	e = igd_names_find(n->cur, spi, reqid);
	if (e) {
		memcpy(conn, e->conn, IGD_NAME_LEN);
		memcpy(child, e->child, IGD_NAME_LEN);
		found = true;
	}
	pthread_mutex_unlock(&n->mu);
	return found;
}

void igd_namesd_name_sa(struct igd_namesd *n, struct igd_judgement *jd, char *conn,
			char *child)
{
	if (!jd->sa && !jd->in_reqid)
		return;
	if (igd_namesd_lookup(n, jd->sa ? jd->sa->spi : 0,
			      jd->sa ? jd->sa->reqid : jd->in_reqid, conn, child)) {
		jd->sa_conn = conn;
		jd->sa_child = child;
	}
}
