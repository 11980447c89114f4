/* SP lookup latency at 10, 1k, 10k and 100k policies.
 *
 * The mix: site-to-site /24 pairs, /16 pairs, host /32 pairs, any:any policies that
 * differ only in protocol and port (a quarter of the table), any->/24 and /24->any,
 * and IPv6 /64 pairs; priorities spread over 0-999 with ties.  Flows: half aimed at a
 * random policy, half random.  Each lookup is timed alone with CLOCK_MONOTONIC; the
 * timer's own cost (median of empty measurements) is subtracted.
 *
 * Usage: bench_spd [lookups-per-size]     (default 200000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "xfrm/spd.h"

static uint64_t rs = 88172645463325252ull;

static uint32_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (uint32_t)rs;
}

static uint64_t ns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void v4(union igd_addr *a, uint32_t host)
{
	memset(a, 0, sizeof(*a));
	a->a4 = htonl(host);
}

static void make_sp(struct igd_sp *p, unsigned int i)
{
	unsigned int kind = rnd() % 100;

	memset(p, 0, sizeof(*p));
	p->sel.family = 4;
	p->dir = IGD_DIR_OUT;
	p->index = i * 8 + 1;
	p->priority = rnd() % 4 ? rnd() % 1000 : 100;
	p->ntmpl = 1;
	p->tmpl[0].reqid = i + 1;
	p->tmpl[0].proto = IPPROTO_ESP;
	if (kind < 35) {
		v4(&p->sel.saddr, 0x0a000000 | (rnd() & 0xffff) << 8);
		v4(&p->sel.daddr, 0xac100000 | (rnd() & 0xfffff) << 8);
		p->sel.plen_s = 24;
		p->sel.plen_d = 24;
	} else if (kind < 45) {
		v4(&p->sel.saddr, 0x0a000000 | (rnd() & 0xff) << 16);
		v4(&p->sel.daddr, 0xc0a80000 | (rnd() & 0xff) << 16);
		p->sel.plen_s = 16;
		p->sel.plen_d = 16;
	} else if (kind < 55) {
		v4(&p->sel.saddr, 0x0a000000 | (rnd() & 0xffffff));
		v4(&p->sel.daddr, 0xac100000 | (rnd() & 0xfffff));
		p->sel.plen_s = 32;
		p->sel.plen_d = 32;
	} else if (kind < 80) {
		/* any:any, ports only */
		p->sel.proto = rnd() % 3 ? IPPROTO_TCP : IPPROTO_UDP;
		p->sel.dport = (uint16_t)(1 + rnd() % 65535);
		p->sel.dport_mask = 0xffff;
		if (rnd() % 8 == 0) {
			p->sel.sport = (uint16_t)(1 + rnd() % 65535);
			p->sel.sport_mask = 0xffff;
		}
	} else if (kind < 90) {
		v4(&p->sel.daddr, 0xac100000 | (rnd() & 0xfffff) << 8);
		p->sel.plen_d = 24;
	} else if (kind < 95) {
		v4(&p->sel.saddr, 0x0a000000 | (rnd() & 0xffff) << 8);
		p->sel.plen_s = 24;
	} else {
		p->sel.family = 6;
		p->sel.saddr.a6[0] = htonl(0x20010db8);
		p->sel.saddr.a6[1] = rnd();
		p->sel.daddr.a6[0] = htonl(0x20010db8);
		p->sel.daddr.a6[1] = rnd();
		p->sel.plen_s = 64;
		p->sel.plen_d = 64;
	}
}

static void make_flow(struct igd_flow *f, const struct igd_sp *pol, unsigned int n)
{
	memset(f, 0, sizeof(*f));
	f->proto = rnd() % 2 ? IPPROTO_TCP : IPPROTO_UDP;
	f->sport = (uint16_t)(1024 + rnd() % 60000);
	f->dport = (uint16_t)(1 + rnd() % 65535);
	if (rnd() % 2) {
		const struct igd_sp *p = &pol[rnd() % n];
		unsigned int i;

		f->family = p->sel.family;
		f->saddr = p->sel.saddr;
		f->daddr = p->sel.daddr;
		for (i = p->sel.family == 6 ? 2 : 0; i < 4; i++) {
			if (p->sel.family == 4 && i > 0)
				break;
			f->saddr.a6[i] ^= htonl(rnd() & 0xff) & (p->sel.plen_s < 32 ? ~0u : 0);
			f->daddr.a6[i] ^= htonl(rnd() & 0xff) & (p->sel.plen_d < 32 ? ~0u : 0);
		}
		if (p->sel.proto) {
			f->proto = p->sel.proto;
			f->dport = p->sel.dport;
			if (p->sel.sport_mask)
				f->sport = p->sel.sport;
		}
		if (p->sel.family == 4 && !p->sel.plen_s)
			v4(&f->saddr, 0x0a000000 | (rnd() & 0xffffff));
		if (p->sel.family == 4 && !p->sel.plen_d)
			v4(&f->daddr, 0xac100000 | (rnd() & 0xfffff));
	} else {
		f->family = 4;
		v4(&f->saddr, 0x0a000000 | (rnd() & 0xffffff));
		v4(&f->daddr, rnd() % 2 ? 0xac100000 | (rnd() & 0xfffff) : rnd());
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t timer_cost(uint64_t *t, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint64_t a = ns_now();

		t[i] = ns_now() - a;
	}
	qsort(t, n, sizeof(*t), cmp_u64);
	return t[n / 2];
}

static void bench(unsigned int n, unsigned int lookups, uint64_t *t, struct igd_flow *fl)
{
	struct igd_sp *pol = calloc(n, sizeof(*pol));
	struct igd_spd *spd;
	uint64_t t0, build, zero, hits = 0, sink = 0;
	unsigned int i;

	igd_spd_new(&spd);
	for (i = 0; i < n; i++)
		make_sp(&pol[i], i);
	t0 = ns_now();
	for (i = 0; i < n; i++)
		igd_spd_add(spd, &pol[i]);
	build = ns_now() - t0;
	for (i = 0; i < lookups; i++)
		make_flow(&fl[i], pol, n);
	for (i = 0; i < lookups; i++)	/* warm up */
		sink += (uintptr_t)igd_spd_lookup(spd, IGD_DIR_OUT, &fl[i]);
	for (i = 0; i < lookups; i++) {
		const struct igd_sp *sp;
		uint64_t a = ns_now();

		sp = igd_spd_lookup(spd, IGD_DIR_OUT, &fl[i]);
		t[i] = ns_now() - a;
		hits += sp != NULL;
	}
	qsort(t, lookups, sizeof(*t), cmp_u64);
	zero = timer_cost(t + lookups, 10000);
#define ADJ(x) ((x) > zero ? (x) - zero : 0)
	printf("%8u %10llu %10llu %10llu %8.1f%% %10.1f\n", n,
	       (unsigned long long)ADJ(t[lookups / 2]),
	       (unsigned long long)ADJ(t[lookups * 99 / 100]),
	       (unsigned long long)ADJ(t[lookups * 999 / 1000]),
	       100.0 * (double)hits / lookups, (double)build / 1e6);
	(void)sink;
	igd_spd_free(spd);
	free(pol);
}

int main(int argc, char **argv)
{
	static const unsigned int sizes[] = { 10, 1000, 10000, 100000 };
	unsigned long lookups = 200000;
	struct igd_flow *fl;
	uint64_t *t;
	unsigned int i;

	if (argc > 1) {
		char *end;

		lookups = strtoul(argv[1], &end, 10);
		if (*end || lookups < 1000 || lookups > 10000000) {
			fprintf(stderr, "bench_spd: lookups: 1000-10000000\n");
			return 2;
		}
	}
	t = calloc(lookups + 10000, sizeof(*t));
	fl = calloc(lookups, sizeof(*fl));
	if (!t || !fl)
		return 1;
	printf("SP lookup latency, ns (timer cost subtracted), %lu lookups per size\n",
	       lookups);
	printf("%8s %10s %10s %10s %9s %10s\n", "SPs", "p50", "p99", "p99.9", "matched",
	       "build ms");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		bench(sizes[i], (unsigned int)lookups, t, fl);
	free(t);
	free(fl);
	return 0;
}
