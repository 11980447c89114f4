/* One-way tunnel detector: samples of SA counters in, ONEWAY / RECOVERED events out.
 *
 * Each sample is sorted by (family, proto, local, remote, reqid, dir, spi), so the SAs
 * of one endpoint pair are contiguous and the previous sample, sorted the same way, is
 * matched by a merge.  Tunnels are built from the sorted SAs in key order and matched
 * against the previous sample's tunnels by a merge too: no hash, no allocation. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "util/event.h"
#include "util/json.h"
#include "xfrm/oneway.h"

struct ow_sa {
	struct igd_ow_sa s;
	union igd_addr local, remote;
	uint64_t first_seen;
	uint64_t grow_pk, grow_by;	/* since the previous sample */
	bool by_reqid;
};

struct ow_key {
	union igd_addr local, remote;
	uint32_t reqid;
	uint8_t family, proto;
	bool by_reqid;
};

struct ow_tun {
	struct ow_key k;
	/* this sample */
	bool has_out, has_in, out_grew, in_grew;
	uint64_t out_pk, out_by, in_pk;		/* growth */
	uint64_t best_out_pk;			/* growth of out_spi's SA */
	uint64_t in_first_seen, in_total;	/* of in_spi's SA */
	uint32_t out_spi, in_spi;
	uint16_t encap_sport, encap_dport;
	/* carried between samples */
	bool active, alarmed;
	uint64_t out_first, out_last;
	uint64_t ep_pk, ep_by;
};

struct igd_ow {
	struct ow_sa *sa[2];
	struct ow_tun *tun[2];
	unsigned int nsa[2], ntun[2];
	unsigned int cur;		/* index of the sample being built */
	unsigned int max;
	uint64_t hold, now;
	bool primed;
	struct igd_ow_stats st;
};

/* --- ordering ------------------------------------------------------------------------ */

static int ow_cmp_u(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int ow_cmp_path(const struct ow_sa *a, const struct ow_sa *b)
{
	int r;

	if ((r = ow_cmp_u(a->s.family, b->s.family)) || (r = ow_cmp_u(a->s.proto, b->s.proto)))
		return r;
	if ((r = memcmp(a->local.b, b->local.b, 16)))
		return r;
	return memcmp(a->remote.b, b->remote.b, 16);
}

static int ow_cmp_sa(const struct ow_sa *a, const struct ow_sa *b)
{
	int r;

	if ((r = ow_cmp_path(a, b)) || (r = ow_cmp_u(a->s.reqid, b->s.reqid)) ||
	    (r = ow_cmp_u(a->s.dir, b->s.dir)))
		return r;
	return ow_cmp_u(a->s.spi, b->s.spi);
}

static int ow_cmp_key(const struct ow_key *a, const struct ow_key *b)
{
	int r;

	if ((r = ow_cmp_u(a->family, b->family)) || (r = ow_cmp_u(a->proto, b->proto)))
		return r;
	if ((r = memcmp(a->local.b, b->local.b, 16)) ||
	    (r = memcmp(a->remote.b, b->remote.b, 16)))
		return r;
	if ((r = ow_cmp_u(a->by_reqid, b->by_reqid)))
		return r;
	return ow_cmp_u(a->reqid, b->reqid);
}

static void ow_swap(struct ow_sa *a, struct ow_sa *b)
{
	struct ow_sa t = *a;

	*a = *b;
	*b = t;
}

static void ow_sift(struct ow_sa *v, unsigned int root, unsigned int n)
{
	unsigned int child;

	while ((child = 2 * root + 1) < n) {
		if (child + 1 < n && ow_cmp_sa(&v[child], &v[child + 1]) < 0)
			child++;
		if (ow_cmp_sa(&v[root], &v[child]) >= 0)
			return;
		ow_swap(&v[root], &v[child]);
		root = child;
	}
}

/* Heapsort: in place, no allocation, O(n log n) whatever the input. */
static void ow_sort(struct ow_sa *v, unsigned int n)
{
	unsigned int i;

	for (i = n / 2; i-- > 0;)
		ow_sift(v, i, n);
	for (i = n; i-- > 1;) {
		ow_swap(&v[0], &v[i]);
		ow_sift(v, 0, i);
	}
}

/* --- life cycle -------------------------------------------------------------------- */

int igd_ow_new(struct igd_ow **owp, const struct igd_ow_cfg *cfg)
{
	unsigned int max = cfg && cfg->max_sas ? cfg->max_sas : IGD_OW_DEFAULT_MAX_SAS;
	struct igd_ow *ow;
	int i;

	if (max > (1u << 22))
		return -EINVAL;
	ow = calloc(1, sizeof(*ow));
	if (!ow)
		return -ENOMEM;
	ow->max = max;
	ow->hold = cfg && cfg->hold_ms ? cfg->hold_ms : IGD_OW_DEFAULT_HOLD_MS;
	for (i = 0; i < 2; i++) {
		ow->sa[i] = calloc(max, sizeof(*ow->sa[i]));
		ow->tun[i] = calloc(max, sizeof(*ow->tun[i]));
		if (!ow->sa[i] || !ow->tun[i]) {
			igd_ow_free(ow);
			return -ENOMEM;
		}
	}
	*owp = ow;
	return 0;
}

void igd_ow_free(struct igd_ow *ow)
{
	int i;

	if (!ow)
		return;
	for (i = 0; i < 2; i++) {
		free(ow->sa[i]);
		free(ow->tun[i]);
	}
	free(ow);
}

const struct igd_ow_stats *igd_ow_stats(const struct igd_ow *ow)
{
	return &ow->st;
}

/* --- input ------------------------------------------------------------------------- */

void igd_ow_begin(struct igd_ow *ow, uint64_t now_ms)
{
	ow->now = now_ms;
	ow->nsa[ow->cur] = 0;
}

int igd_ow_add(struct igd_ow *ow, const struct igd_ow_sa *sa)
{
	struct ow_sa *e;
	bool out = sa->dir == IGD_OW_DIR_OUT;

	if ((sa->dir != IGD_OW_DIR_OUT && sa->dir != IGD_OW_DIR_IN) ||
	    (sa->family != 4 && sa->family != 6)) {
		ow->st.sas_dropped++;
		return -EINVAL;
	}
	if (ow->nsa[ow->cur] >= ow->max) {
		ow->st.sas_dropped++;
		return -ENOSPC;
	}
	e = &ow->sa[ow->cur][ow->nsa[ow->cur]++];
	memset(e, 0, sizeof(*e));
	e->s = *sa;
	e->local = out ? sa->saddr : sa->daddr;
	e->remote = out ? sa->daddr : sa->saddr;
	return 0;
}

int igd_ow_add_sa(struct igd_ow *ow, const struct igd_sa *sa, enum igd_ow_dir dir)
{
	struct igd_ow_sa o = {
		.saddr = sa->saddr, .daddr = sa->daddr, .spi = sa->spi, .reqid = sa->reqid,
		.packets = sa->cur.packets, .bytes = sa->cur.bytes,
		.family = sa->family, .proto = sa->proto, .dir = (uint8_t)dir,
	};

	if (sa->encap_type) {
		o.encap_sport = sa->encap_sport;
		o.encap_dport = sa->encap_dport;
	}
	return igd_ow_add(ow, &o);
}

/* --- one sample -------------------------------------------------------------------- */

/* Growth of each SA against the previous sample (both sorted). */
static void ow_match_sas(struct igd_ow *ow)
{
	const struct ow_sa *prev = ow->sa[!ow->cur];
	struct ow_sa *cur = ow->sa[ow->cur];
	unsigned int i, j = 0, np = ow->nsa[!ow->cur];
	int r = 1;

	for (i = 0; i < ow->nsa[ow->cur]; i++) {
		while (j < np && (r = ow_cmp_sa(&prev[j], &cur[i])) < 0)
			j++;
		if (j < np && r == 0) {
			cur[i].first_seen = prev[j].first_seen;
			cur[i].grow_pk = cur[i].s.packets >= prev[j].s.packets ?
				cur[i].s.packets - prev[j].s.packets : cur[i].s.packets;
			cur[i].grow_by = cur[i].s.bytes >= prev[j].s.bytes ?
				cur[i].s.bytes - prev[j].s.bytes : cur[i].s.bytes;
			j++;
		} else {
			/* new since the last sample: all of its packets are recent */
			cur[i].first_seen = ow->now;
			cur[i].grow_pk = ow->primed ? cur[i].s.packets : 0;
			cur[i].grow_by = ow->primed ? cur[i].s.bytes : 0;
		}
		r = 1;
	}
}

/* Rule 1: a non-zero reqid present in both directions of the path pairs by reqid. */
static void ow_mark_pairs(struct ow_sa *v, unsigned int a, unsigned int b)
{
	unsigned int r = a, s, i;
	bool out, in;

	while (r < b) {
		out = in = false;
		for (s = r; s < b && v[s].s.reqid == v[r].s.reqid; s++) {
			out |= v[s].s.dir == IGD_OW_DIR_OUT;
			in |= v[s].s.dir == IGD_OW_DIR_IN;
		}
		for (i = r; i < s; i++)
			v[i].by_reqid = out && in && v[r].s.reqid;
		r = s;
	}
}

static void ow_tun_add(struct ow_tun *t, const struct ow_sa *e)
{
	if (e->s.dir == IGD_OW_DIR_OUT) {
		t->has_out = true;
		t->out_pk += e->grow_pk;
		t->out_by += e->grow_by;
		if (e->grow_pk && (!t->out_grew || e->grow_pk > t->best_out_pk)) {
			t->best_out_pk = e->grow_pk;
			t->out_spi = e->s.spi;
			t->encap_sport = e->s.encap_sport;
			t->encap_dport = e->s.encap_dport;
		} else if (!t->out_spi) {
			t->out_spi = e->s.spi;
			t->encap_sport = e->s.encap_sport;
			t->encap_dport = e->s.encap_dport;
		}
		t->out_grew |= e->grow_pk > 0;
		return;
	}
	if (!t->has_in || e->first_seen > t->in_first_seen ||
	    (e->first_seen == t->in_first_seen && e->s.packets > t->in_total)) {
		t->in_spi = e->s.spi;
		t->in_first_seen = e->first_seen;
		t->in_total = e->s.packets;
	}
	t->has_in = true;
	t->in_pk += e->grow_pk;
	t->in_grew |= e->grow_pk > 0;
}

static struct ow_tun *ow_tun_open(struct igd_ow *ow, const struct ow_sa *e, bool by_reqid)
{
	struct ow_tun *t = &ow->tun[ow->cur][ow->ntun[ow->cur]++];

	memset(t, 0, sizeof(*t));
	t->k.family = e->s.family;
	t->k.proto = e->s.proto;
	t->k.local = e->local;
	t->k.remote = e->remote;
	t->k.by_reqid = by_reqid;
	t->k.reqid = by_reqid ? e->s.reqid : 0;
	return t;
}

/* The tunnels of one path [a, b): the fallback one first, then one per paired reqid,
 * which is the tunnels' sort order. */
static void ow_build_path(struct igd_ow *ow, unsigned int a, unsigned int b)
{
	struct ow_sa *v = ow->sa[ow->cur];
	struct ow_tun *t = NULL;
	unsigned int i;

	ow_mark_pairs(v, a, b);
	for (i = a; i < b; i++) {
		if (v[i].by_reqid)
			continue;
		if (!t)
			t = ow_tun_open(ow, &v[i], false);
		ow_tun_add(t, &v[i]);
	}
	t = NULL;
	for (i = a; i < b; i++) {
		if (!v[i].by_reqid)
			continue;
		if (!t || t->k.reqid != v[i].s.reqid)
			t = ow_tun_open(ow, &v[i], true);
		ow_tun_add(t, &v[i]);
	}
}

static void ow_build_tunnels(struct igd_ow *ow)
{
	struct ow_sa *v = ow->sa[ow->cur];
	unsigned int a = 0, b, n = ow->nsa[ow->cur];

	ow->ntun[ow->cur] = 0;
	while (a < n) {
		for (b = a + 1; b < n && !ow_cmp_path(&v[a], &v[b]); b++)
			;
		ow_build_path(ow, a, b);
		a = b;
	}
}

static void ow_carry(struct ow_tun *t, const struct ow_tun *p)
{
	t->active = p->active;
	t->alarmed = p->alarmed;
	t->out_first = p->out_first;
	t->out_last = p->out_last;
	t->ep_pk = p->ep_pk;
	t->ep_by = p->ep_by;
}

/* Carries each tunnel's episode state from the previous sample (both sorted). */
static void ow_match_tunnels(struct igd_ow *ow)
{
	const struct ow_tun *prev = ow->tun[!ow->cur];
	struct ow_tun *cur = ow->tun[ow->cur];
	unsigned int i, j = 0, np = ow->ntun[!ow->cur];
	int r = 1;

	for (i = 0; i < ow->ntun[ow->cur]; i++) {
		while (j < np && (r = ow_cmp_key(&prev[j].k, &cur[i].k)) < 0)
			j++;
		if (j < np && r == 0)
			ow_carry(&cur[i], &prev[j++]);
		r = 1;
	}
}

static void ow_emit(const struct igd_ow *ow, const struct ow_tun *t,
		    enum igd_ow_event_type type, igd_ow_cb cb, void *data)
{
	struct igd_ow_event ev = {
		.type = type, .family = t->k.family, .proto = t->k.proto,
		.local = t->k.local, .remote = t->k.remote, .reqid = t->k.reqid,
		.by_reqid = t->k.by_reqid, .out_spi = t->out_spi, .in_spi = t->in_spi,
		.encap_sport = t->encap_sport, .encap_dport = t->encap_dport,
		.since_ms = t->out_first, .duration_ms = ow->now - t->out_first,
		.out_packets = t->ep_pk, .out_bytes = t->ep_by,
		.in_packets = type == IGD_OW_ONEWAY ? t->in_total : t->in_pk,
	};

	if (cb)
		cb(&ev, data);
}

static void ow_judge(struct igd_ow *ow, struct ow_tun *t, igd_ow_cb cb, void *data)
{
	if (!t->has_out || !t->has_in) {
		/* half a tunnel: nothing to compare */
		t->active = t->alarmed = false;
		return;
	}
	if (t->in_grew) {
		if (t->alarmed)
			ow_emit(ow, t, IGD_OW_RECOVERED, cb, data);
		t->active = t->alarmed = false;
		return;
	}
	if (!t->out_grew)
		return;
	if (!t->active || (!t->alarmed && ow->now - t->out_last > ow->hold)) {
		t->active = true;
		t->out_first = ow->now;
		t->ep_pk = t->ep_by = 0;
	}
	t->out_last = ow->now;
	t->ep_pk += t->out_pk;
	t->ep_by += t->out_by;
	if (!t->alarmed && ow->now - t->out_first >= ow->hold) {
		t->alarmed = true;
		ow_emit(ow, t, IGD_OW_ONEWAY, cb, data);
	}
}

void igd_ow_end(struct igd_ow *ow, igd_ow_cb cb, void *data)
{
	unsigned int i, oneway = 0;

	ow_sort(ow->sa[ow->cur], ow->nsa[ow->cur]);
	ow_match_sas(ow);
	ow_build_tunnels(ow);
	ow_match_tunnels(ow);
	for (i = 0; i < ow->ntun[ow->cur]; i++) {
		ow_judge(ow, &ow->tun[ow->cur][i], cb, data);
		oneway += ow->tun[ow->cur][i].alarmed;
	}
	ow->st.samples++;
	ow->st.tunnels = ow->ntun[ow->cur];
	ow->st.oneway = oneway;
	ow->primed = true;
	ow->cur = !ow->cur;
}

void igd_ow_sample(struct igd_ow *ow, uint64_t now_ms, const struct igd_ow_sa *sas,
		   unsigned int n, igd_ow_cb cb, void *data)
{
	unsigned int i;

	igd_ow_begin(ow, now_ms);
	for (i = 0; i < n; i++)
		igd_ow_add(ow, &sas[i]);
	igd_ow_end(ow, cb, data);
}

/* --- output ------------------------------------------------------------------------ */

const char *igd_ow_causes(const struct igd_ow_event *ev)
{
	if (ev->encap_sport || ev->encap_dport)
		return "UDP-encapsulated ESP (NAT-T, usually port 4500) from the peer does not "
		       "come back: a firewall or security group blocking UDP 4500 inbound, a "
		       "NAT or load balancer whose mapping expired or changed (keepalives too "
		       "rare), or the peer sending from another address or port. If "
		       "XfrmInNoStates or XfrmInStateProtoError rise here meanwhile, packets do "
		       "arrive and the two ends disagree on the SA (SPI or keys)";
	return "ESP (IP protocol 50) from the peer does not come back: a firewall, security "
	       "group or load balancer passing protocol 50 in one direction only, or NAT on "
	       "the path that cannot carry plain ESP (enable NAT-T / forced UDP "
	       "encapsulation). If XfrmInNoStates or XfrmInStateProtoError rise here "
	       "meanwhile, packets do arrive and the two ends disagree on the SA (SPI or keys)";
}

static void ow_json_addr(struct igd_json *j, const char *key, int family,
			 const union igd_addr *a)
{
	char buf[IGD_ADDRSTRLEN];

	igd_json_str(j, key, igd_addr_str(family, a, buf, sizeof(buf)));
}

static void ow_json_body(struct igd_json *j, const struct igd_ow_event *ev)
{
	igd_json_uint(j, "family", ev->family);
	igd_json_str(j, "proto", igd_xfrm_proto_str(ev->proto));
	ow_json_addr(j, "local", ev->family, &ev->local);
	ow_json_addr(j, "remote", ev->family, &ev->remote);
	igd_json_uint(j, "reqid", ev->reqid);
	igd_json_str(j, "paired_by", ev->by_reqid ? "reqid" : "endpoints");
	igd_json_hex32(j, "out_spi", ev->out_spi);
	igd_json_hex32(j, "in_spi", ev->in_spi);
	if (ev->encap_sport || ev->encap_dport) {
		igd_json_obj_open(j, "encap");
		igd_json_uint(j, "sport", ev->encap_sport);
		igd_json_uint(j, "dport", ev->encap_dport);
		igd_json_obj_close(j);
	}
	igd_json_uint(j, "duration_ms", ev->duration_ms);
	igd_json_uint(j, "out_packets", ev->out_packets);
	igd_json_uint(j, "out_bytes", ev->out_bytes);
	igd_json_uint(j, "in_packets", ev->in_packets);
}

int igd_ow_json(char *buf, size_t size, const char *ts, const struct igd_ow_event *ev)
{
	struct igd_json j;

	igd_json_init(&j, buf, size);
	igd_event_open(&j, ts, ev->type == IGD_OW_ONEWAY ? "oneway" : "oneway_recovered");
	ow_json_body(&j, ev);
	if (ev->type == IGD_OW_ONEWAY)
		igd_json_str(&j, "causes", igd_ow_causes(ev));
	if (ev->type == IGD_OW_ONEWAY && ev->seen) {
		const struct igd_ow_seen *s = ev->seen;

		igd_json_obj_open(&j, "seen");
		if (s->ike_checked) {
			igd_json_bool(&j, "ike_conntrack", s->ike_alive);
			if (s->ike_alive) {
				igd_json_uint(&j, "ike_sport", s->ike_sport);
				igd_json_uint(&j, "ike_dport", s->ike_dport);
			}
		}
		if (s->filter_checked)
			igd_json_str(&j, "input_filter", s->dropped ? "drops" :
				     s->may_drop ? "may-drop" : "accepts");
		if (s->dropped_by[0])
			igd_json_str(&j, "dropped_by", s->dropped_by);
		if (s->legacy_unread)
			igd_json_bool(&j, "legacy_filter_unread", true);
		igd_json_obj_close(&j);
		if (s->cause[0])
			igd_json_str(&j, "cause", s->cause);
	}
	igd_json_obj_close(&j);
	if (!igd_json_finish(&j))
		return -ENOSPC;
	return (int)igd_json_len(&j);
}

void igd_ow_foreach(const struct igd_ow *ow, void (*cb)(const struct igd_ow_tunnel *t, void *data),
		    void *data)
{
	unsigned int last, i;

	if (!ow || !ow->primed)
		return;
	last = !ow->cur;	/* igd_ow_end() moved on to the next sample */
	for (i = 0; i < ow->ntun[last]; i++) {
		const struct ow_tun *t = &ow->tun[last][i];
		struct igd_ow_tunnel o = {
			.family = t->k.family, .proto = t->k.proto, .local = t->k.local,
			.remote = t->k.remote, .reqid = t->k.reqid, .out_spi = t->out_spi,
			.in_spi = t->in_spi, .oneway = t->alarmed,
		};

		cb(&o, data);
	}
}
