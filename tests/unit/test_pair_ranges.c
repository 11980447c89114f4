/* Boxes of address pairs made disjoint for the kernel's set of concatenated ranges:
 * random prefix boxes (nested, crossing, equal, apart) against a brute-force
 * membership test on points in and around every box. */
#include <errno.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include "nft/pair_ranges.h"
#include "tap.h"

#define N 12

static uint32_t rnd_state = 12345;

static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

/* A prefix of 10.x within a small space, so that boxes meet often. */
static void rnd_prefix(union igd_addr *lo, union igd_addr *hi)
{
	static const unsigned int plens[] = { 8, 12, 16, 20, 24, 28, 32 };
	union igd_addr a = { 0 };
	uint32_t v = 0x0a000000u | (rnd() & 0x00ff00ffu);

	v = htonl(v);
	memcpy(a.b, &v, 4);
	igd_prefix_range(4, &a, plens[rnd() % 7], lo, hi);
}

static uint32_t a4(const union igd_addr *a)
{
	uint32_t v;

	memcpy(&v, a->b, 4);
	return ntohl(v);
}

static bool in_box(const struct igd_decap_elem *e, uint32_t s, uint32_t d, uint32_t r, bool reqid)
{
	return s >= a4(&e->s_lo) && s <= a4(&e->s_hi) && d >= a4(&e->d_lo) && d <= a4(&e->d_hi) &&
	       (!reqid || (r >= e->reqid_lo && r <= e->reqid_hi));
}

static int count_in(const struct igd_decap_elem *v, size_t n, uint32_t s, uint32_t d, uint32_t r,
		    bool reqid)
{
	int c = 0;
	size_t i;

	for (i = 0; i < n; i++)
		c += in_box(&v[i], s, d, r, reqid);
	return c;
}

static bool disjoint(const struct igd_decap_elem *v, size_t n, bool reqid)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (a4(&v[i].s_lo) > a4(&v[i].s_hi) || a4(&v[i].d_lo) > a4(&v[i].d_hi))
			return false;
		for (j = i + 1; j < n; j++)
			if (igd_pair_meet(&v[i], &v[j], 4, reqid))
				return false;
	}
	return true;
}

/* Points at and beside every corner of every input box. */
static bool same_points(const struct igd_decap_elem *in, size_t n, const struct igd_decap_elem *out,
			size_t m, int want_cmp, bool reqid)
{
	size_t i;
	int ds, dd;

	for (i = 0; i < n; i++)
		for (ds = -1; ds <= 1; ds++)
			for (dd = -1; dd <= 1; dd++) {
				uint32_t ss[2] = { a4(&in[i].s_lo) + (uint32_t)ds, a4(&in[i].s_hi) + (uint32_t)ds };
				uint32_t dds[2] = { a4(&in[i].d_lo) + (uint32_t)dd, a4(&in[i].d_hi) + (uint32_t)dd };
				int x, y;

				for (x = 0; x < 2; x++)
					for (y = 0; y < 2; y++) {
						bool a = count_in(in, n, ss[x], dds[y], in[i].reqid_lo, reqid) > 0;
						int b = count_in(out, m, ss[x], dds[y], in[i].reqid_lo, reqid);

						if (b > 1)
							return false;
						if (want_cmp == 0 && a != (b == 1))
							return false;
						if (want_cmp > 0 && a && b != 1)
							return false;	/* hull: more, never less */
						if (want_cmp < 0 && !a && b)
							return false;	/* dropped: less, never more */
					}
			}
	return true;
}

int main(void)
{
	struct igd_decap_elem in[N], work[N], out[4 * N + 64];
	bool meets[N];
	int round, bad_union = 0, bad_hull = 0, bad_drop = 0, full = 0, rounds = 400;

	for (round = 0; round < rounds; round++) {
		size_t n = 2 + rnd() % (N - 1), i, m;
		bool reqid = round % 2;
		int got;

		for (i = 0; i < n; i++) {
			memset(&in[i], 0, sizeof(in[i]));
			in[i].family = 4;
			rnd_prefix(&in[i].s_lo, &in[i].s_hi);
			rnd_prefix(&in[i].d_lo, &in[i].d_hi);
			in[i].reqid_lo = in[i].reqid_hi = reqid ? 1 + rnd() % 2 : 0;
		}
		got = igd_pair_union(in, n, 4, reqid, out, sizeof(out) / sizeof(out[0]));
		if (got == -EINVAL && reqid) {
			full++;		/* boxes that meet with other reqids: the caller's */
		} else if (got < 0 || !disjoint(out, (size_t)got, reqid) ||
			   !same_points(in, n, out, (size_t)got, 0, reqid)) {
			bad_union++;
		}
		memcpy(work, in, n * sizeof(in[0]));
		m = igd_pair_hull(work, n, 4);
		if (!disjoint(work, m, false) || !same_points(in, n, work, m, 1, false))
			bad_hull++;
		memcpy(work, in, n * sizeof(in[0]));
		m = igd_pair_drop_meeting(work, n, 4, reqid, meets);
		if (!disjoint(work, m, reqid) || !same_points(in, n, work, m, -1, reqid))
			bad_drop++;
	}
	is_int(bad_union, 0, "union: disjoint, and holds exactly the points of the boxes (%d rounds)", rounds);
	ok(full < rounds / 2, "union: boxes of other reqids that meet are refused, not merged (%d)", full);
	is_int(bad_hull, 0, "hull: disjoint, and holds every point of the boxes");
	is_int(bad_drop, 0, "dropping those that meet: disjoint, and no point of no box");

	/* the shapes of a gateway: a box inside another, two that cross */
	memset(in, 0, sizeof(in));
	for (round = 0; round < 3; round++)
		in[round].family = 4;
	{
		union igd_addr a = { 0 };
		uint32_t v;

		v = htonl(0x0a000200u);	/* 10.0.2.0/24 -> 192.168.0.0/16 */
		memcpy(a.b, &v, 4);
		igd_prefix_range(4, &a, 24, &in[0].s_lo, &in[0].s_hi);
		v = htonl(0xc0a80000u);
		memcpy(a.b, &v, 4);
		igd_prefix_range(4, &a, 16, &in[0].d_lo, &in[0].d_hi);
		in[1] = in[0];		/* 10.0.2.0/24 -> 192.168.1.0/24 */
		v = htonl(0xc0a80100u);
		memcpy(a.b, &v, 4);
		igd_prefix_range(4, &a, 24, &in[1].d_lo, &in[1].d_hi);
		in[2] = in[1];		/* 10.0.0.0/8 -> 192.168.1.0/24 */
		v = htonl(0x0a000000u);
		memcpy(a.b, &v, 4);
		igd_prefix_range(4, &a, 8, &in[2].s_lo, &in[2].s_hi);
	}
	is_int(igd_pair_union(in, 3, 4, false, out, 64), 3,
	       "nested and crossing: the outer box and the two pieces of the crossing one");
	ok(a4(&out[1].s_hi) == 0x0a0001ffu || a4(&out[2].s_hi) == 0x0a0001ffu,
	   "one piece ends below 10.0.2.0");
	is_int(igd_pair_union(in, 3, 4, false, out, 2), -ENOSPC, "no room: said so");
	return tap_done();
}
