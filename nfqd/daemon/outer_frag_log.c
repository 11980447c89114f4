/* outer-frag events: ESP and IKE datagrams arriving in fragments, arriving without
 * their first fragment, and leaving larger than the path to the peer carries; the
 * frag_out chain's rules.  See outer.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/xfrm.h>
#include "judge/sp_json.h"
#include "outer.h"
#include "outer_int.h"
#include "localaddr.h"
#include "verdict_log.h"
#include "mtu/esp_mtu.h"
#include "nft/setelem_get.h"
#include "outer/outer_frag.h"
#include "util/clock.h"

#define ORPHAN_WAIT_MS	1000	/* a reordered first fragment comes within this;
				 * IGD_GUARD_FRAG_FIRST_MS keeps it longer */

/* One line per flow, kind and direction per 10 s. */
static bool frag_rl(struct igd_outer *o, const struct igd_outer_frag *f, uint8_t dir,
		    uint64_t *suppressed)
{
	struct { union igd_addr s, d; uint32_t spi; uint16_t sp, dp; uint8_t kind, dir; } key;

	memset(&key, 0, sizeof(key));
	key.s = f->src;
	key.d = f->dst;
	key.spi = f->spi;
	key.sp = f->sport;
	key.dp = f->dport;
	key.kind = (uint8_t)f->kind;
	key.dir = dir;
	return outer_rl(o, &key, sizeof(key), suppressed);
}

/* The event's opening: dir, kind, the endpoints, ports and SPI. */
static void frag_begin(struct igd_outer *o, struct igd_json *j, const char *dir,
		       const struct igd_outer_frag *f)
{
	char a[IGD_ADDRSTRLEN];

	igd_event_begin(j, o->line, sizeof(o->line), "outer-frag");
	igd_json_str(j, "dir", dir);
	igd_json_str(j, "kind", igd_outer_frag_kind_str(f->kind));
	igd_json_uint(j, "family", f->family);
	igd_json_str(j, "src", igd_addr_str(f->family, &f->src, a, sizeof(a)));
	igd_json_str(j, "dst", igd_addr_str(f->family, &f->dst, a, sizeof(a)));
	if (f->kind == IGD_OFRAG_UDP_ESP || f->kind == IGD_OFRAG_IKE) {
		igd_json_uint(j, "sport", f->sport);
		igd_json_uint(j, "dport", f->dport);
	}
	if (f->spi)
		igd_json_hex32(j, "spi", f->spi);
}

static const char *frag_ike_hint(void)
{
	return "enable IKEv2 fragmentation (strongSwan: fragmentation = yes; libreswan: "
	       "fragmentation=yes) so IKE splits its messages itself";
}

void outer_on_frag(struct igd_outer *o, const struct igd_nflog_pkt *c,
		   const struct igd_sad *sad)
{
	struct igd_outer_frag f;
	const struct igd_sa *sa;
	struct igd_esp_params ep;
	struct igd_outer_peer *peer;
	struct igd_json j;
	uint64_t suppressed;
	char a[IGD_ADDRSTRLEN], e[320];

	o->st.frag_copies++;
	if (igd_outer_frag_parse(c->data, c->len, o->ports, &f)) {
		o->st.unread++;
		return;
	}
	peer = outer_peer(o, f.family, &f.src);
	peer->frag_datagrams++;
	if (!peer->frag_bytes_min || f.frag_len < peer->frag_bytes_min)
		peer->frag_bytes_min = f.frag_len;
	if (!frag_rl(o, &f, 0, &suppressed))
		return;
	o->st.frag_events++;
	sa = outer_sa(sad, f.family, &f.src, &f.dst, f.spi);
	frag_begin(o, &j, "in", &f);
	igd_json_uint(&j, "fragment_bytes", f.frag_len);
	if (sa)
		igd_json_sa(&j, "sa", sa, NULL, NULL, IGD_JSON_BRIEF);
	if (sa && f.kind != IGD_OFRAG_IKE && !igd_esp_params_from_sa(sa, &ep) &&
	    igd_esp_inner_mtu(&ep, f.frag_len))
		igd_json_uint(&j, "inner_mtu", igd_esp_inner_mtu(&ep, f.frag_len));
	snprintf(e, sizeof(e), "%s from %s arrives in fragments of at most %u bytes: every "
		 "fragment must arrive and be reassembled before it is decrypted (a lost one "
		 "loses the whole packet; NAT devices and firewalls often drop fragments)",
		 f.kind == IGD_OFRAG_IKE ? "IKE" : "ESP",
		 igd_addr_str(f.family, &f.src, a, sizeof(a)), f.frag_len);
	igd_json_str(&j, "effect", e);
	igd_json_str(&j, "hint", f.kind == IGD_OFRAG_IKE ? frag_ike_hint() :
		     "lower the peer's inner MTU or clamp TCP MSS so that ESP packets fit "
		     "(inner_mtu: the largest inner packet that fits in one fragment's size)");
	outer_end(o, &j, suppressed);
}

static bool same_addr(int family, const union igd_addr *a, const union igd_addr *b)
{
	return !memcmp(a, b, family == 6 ? 16 : 4);
}

/* The frag_out rule for @peer, NULL when none (rules replaced since). */
static const struct igd_fragout_rule *fragout_rule(const struct igd_outer *o, int family,
						   const union igd_addr *peer)
{
	size_t i;

	for (i = 0; i < o->nfragout; i++)
		if (o->fragout[i].family == family &&
		    same_addr(family, &o->fragout[i].peer, peer))
			return &o->fragout[i];
	return NULL;
}

void outer_on_frag_out(struct igd_outer *o, const struct igd_nflog_pkt *c,
		       const struct igd_sad *sad)
{
	const struct igd_fragout_rule *rule;
	struct igd_outer_frag f;
	const struct igd_sa *sa;
	struct igd_esp_params ep;
	struct igd_json j;
	uint64_t suppressed;
	unsigned int mtu;
	bool esp_params;
	char a[IGD_ADDRSTRLEN], e[400], m[48];

	o->st.frag_out_copies++;
	if (igd_outer_whole_parse(c->data, c->len, o->ports, &f)) {
		o->st.unread++;
		return;
	}
	outer_peer(o, f.family, &f.dst)->frag_out++;
	if (!frag_rl(o, &f, 1, &suppressed))
		return;
	o->st.frag_out_events++;
	rule = fragout_rule(o, f.family, &f.dst);
	mtu = rule ? rule->mtu : 0;
	sa = outer_sa(sad, f.family, &f.src, &f.dst, f.spi);
	esp_params = sa && f.kind != IGD_OFRAG_IKE && !igd_esp_params_from_sa(sa, &ep);
	frag_begin(o, &j, "out", &f);
	igd_json_uint(&j, "outer_bytes", f.frag_len);
	if (mtu) {
		igd_json_uint(&j, "path_mtu", mtu);
		igd_json_str(&j, "path_mtu_source",
			     igd_mtu_source_str((enum igd_mtu_source)rule->source));
	}
	if (f.df)
		igd_json_bool(&j, "df", true);
	if (sa)
		igd_json_sa(&j, "sa", sa, NULL, NULL, IGD_JSON_BRIEF);
	/* the inner packet, to the cipher's block: its padding hides the exact size */
	if (esp_params && igd_esp_inner_mtu(&ep, f.frag_len))
		igd_json_uint(&j, "inner_bytes", igd_esp_inner_mtu(&ep, f.frag_len));
	if (esp_params && mtu && igd_esp_inner_mtu(&ep, mtu))
		igd_json_uint(&j, "inner_mtu", igd_esp_inner_mtu(&ep, mtu));
	igd_addr_str(f.family, &f.dst, a, sizeof(a));
	snprintf(m, sizeof(m), mtu ? "the %u the path carries" : "what the path carries", mtu);
	if (f.df)
		snprintf(e, sizeof(e), "%s to %s of %u bytes is larger than %s and may not be "
			 "fragmented (DF): unless the kernel was told to ignore DF for it, it is "
			 "dropped and the sender told the MTU", f.kind == IGD_OFRAG_IKE ? "IKE" :
			 "ESP", a, f.frag_len, m);
	else
		snprintf(e, sizeof(e), "%s to %s leaves as %u-byte packets, larger than %s: the "
			 "kernel sends each in fragments, which the peer must reassemble before "
			 "it decrypts (a lost fragment loses the packet; NAT devices and "
			 "firewalls often drop fragments)",
			 f.kind == IGD_OFRAG_IKE ? "IKE" : "ESP", a, f.frag_len, m);
	igd_json_str(&j, "effect", e);
	igd_json_str(&j, "hint", f.kind == IGD_OFRAG_IKE ? frag_ike_hint() :
		     "clamp TCP MSS to what the tunnel carries (ipsecguardd --mss auto) and "
		     "lower the MTU of the traffic the tunnel carries to inner_mtu, so that "
		     "ESP packets fit the path");
	outer_end(o, &j, suppressed);
}

void outer_on_orphan(struct igd_outer *o, const struct igd_nflog_pkt *c)
{
	struct igd_outer_orphan *w;
	struct igd_outer_frag f;

	o->st.orphan_copies++;
	if (igd_outer_later_parse(c->data, c->len, &f)) {
		o->st.unread++;
		return;
	}
	if (o->norphans == IGD_OUTER_ORPHANS) {
		o->st.overflow++;
		return;
	}
	w = &o->orphans[o->norphans++];
	memset(w, 0, sizeof(*w));
	w->src = f.src;
	w->dst = f.dst;
	w->family = f.family;
	w->frag_id = f.frag_id;
	w->offset = f.offset;
	w->frag_len = f.frag_len;
	w->kind = (uint8_t)f.kind;
	w->since_ms = igd_now_ms();
}

/* Whether the first fragment of @w's datagram came after all (reordered): the
 * kernel's frag_first set holds every first fragment of ESP and UDP for 3 s.
 * 1 yes, 0 no, -errno when it could not be asked. */
static int orphan_first_came(struct igd_outer *o, const struct igd_outer_orphan *w)
{
	uint8_t key[20];
	uint16_t klen;
	int e;

	memset(key, 0, sizeof(key));
	if (w->family == 6) {
		memcpy(key, w->src.b, 16);
		key[16] = (uint8_t)(w->frag_id >> 24), key[17] = (uint8_t)(w->frag_id >> 16);
		key[18] = (uint8_t)(w->frag_id >> 8), key[19] = (uint8_t)w->frag_id;
		klen = 20;
	} else {	/* the 16-bit id first in its zero-padded 4 bytes */
		memcpy(key, &w->src.a4, 4);
		key[4] = (uint8_t)(w->frag_id >> 8), key[5] = (uint8_t)w->frag_id;
		klen = 8;
	}
	e = igd_nft_setelem_get(o->ct_nl, o->buf, sizeof(o->buf), o->table, w->family,
				IGD_GUARD_FRAG_FIRST_SET, key, klen, NULL, NULL);
	return !e ? 1 : e == -ENOENT ? 0 : e;
}

/* Whether @a is a tunnel endpoint this gateway knows: an SA's or a frag_out rule's. */
static bool orphan_from_tunnel(const struct igd_outer *o, const struct igd_sad *sad,
			       const struct igd_outer_orphan *w)
{
	return outer_sa(sad, w->family, &w->src, &w->dst, 0) ||
	       fragout_rule(o, w->family, &w->src);
}

static void orphan_event(struct igd_outer *o, const struct igd_outer_orphan *w,
			 const struct igd_sad *sad)
{
	struct igd_outer_frag f = {
		.src = w->src, .dst = w->dst, .family = w->family,
		.kind = (enum igd_outer_frag_kind)w->kind,
	};
	const struct igd_sa *sa;
	struct igd_json j;
	uint64_t suppressed;
	char a[IGD_ADDRSTRLEN], e[512];

	outer_peer(o, w->family, &w->src)->orphans++;
	if (!frag_rl(o, &f, 2, &suppressed))
		return;
	o->st.orphan_events++;
	sa = outer_sa(sad, w->family, &w->src, &w->dst, 0);
	frag_begin(o, &j, "in", &f);
	igd_json_bool(&j, "orphan", true);
	igd_json_uint(&j, "frag_id", w->frag_id);
	igd_json_uint(&j, "offset", w->offset);
	igd_json_uint(&j, "fragment_bytes", w->frag_len);
	if (sa)
		igd_json_sa(&j, "sa", sa, NULL, NULL, IGD_JSON_BRIEF);
	snprintf(e, sizeof(e), "fragments of %s datagrams from %s arrive without their first "
		 "fragment (id %u, offset %u): the kernel cannot reassemble them and drops the "
		 "rest when reassembly times out, so every packet of the tunnel that needs "
		 "fragments is lost.  The first fragment is the largest: a hop with a smaller "
		 "MTU that may not fragment it again, or a filter or NAT device that drops "
		 "it, loses it on the way", w->kind == IGD_OFRAG_ESP ? "ESP" : "UDP",
		 igd_addr_str(w->family, &w->src, a, sizeof(a)), w->frag_id, w->offset);
	igd_json_str(&j, "effect", e);
	igd_json_str(&j, "hint", "find where the first fragments are lost (the path MTU "
		     "between the peers, filters and NAT devices on it); keep the tunnel's "
		     "packets under the path MTU: clamp TCP MSS, lower the inner MTU, enable "
		     "IKE fragmentation");
	outer_end(o, &j, suppressed);
}

void outer_orphans_tick(struct igd_outer *o, const struct igd_sad *sad)
{
	uint64_t now = igd_now_ms();
	unsigned int i, keep = 0;
	int came;

	for (i = 0; i < o->norphans; i++) {
		const struct igd_outer_orphan *w = &o->orphans[i];

		if (now - w->since_ms < ORPHAN_WAIT_MS)
			o->orphans[keep++] = *w;
		else if ((came = orphan_first_came(o, w)) < 0)
			o->st.unread++;
		else if (came)
			o->st.orphan_reordered++;
		else if (!orphan_from_tunnel(o, sad, w))
			o->st.orphan_other++;
		else
			orphan_event(o, w, sad);
	}
	o->norphans = keep;
}

static int fragout_cmp(const void *a, const void *b)
{
	const struct igd_fragout_rule *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(&x->peer, &y->peer, sizeof(x->peer));
}

/* @peer into @out unless there (a linear look: tunnel endpoints are few) */
static size_t fragout_push(struct igd_fragout_rule *out, size_t n, size_t max, int family,
			   const union igd_addr *local, const union igd_addr *peer)
{
	static const union igd_addr any;
	size_t i;

	if (family != 4 && family != 6)
		return n;
	for (i = 0; i < n; i++)
		if (out[i].family == family && same_addr(family, &out[i].peer, peer))
			return n;
	if (n == max || same_addr(family, peer, &any))
		return n;
	memset(&out[n], 0, sizeof(out[n]));	/* compared with memcmp */
	out[n].family = (uint8_t)family;
	memcpy(&out[n].peer, peer, family == 6 ? 16 : 4);
	memcpy(&out[n].local, local, family == 6 ? 16 : 4);
	return n + 1;
}

size_t igd_outer_fragout_rules(struct igd_outer *o, const struct igd_spd *spd,
			       const struct igd_sad *sad, const struct igd_localaddr *local,
			       struct igd_fragout_rule *out, size_t max)
{
	const struct igd_sa *sa = NULL;
	const struct igd_sp *sp;
	struct igd_route_mtu r;
	size_t n = 0, i, k = 0;

	if (!o->rtnl_ok)
		return 0;
	if (spd)
		igd_spd_for_each(spd, sp, IGD_DIR_OUT)
			if (sp->ntmpl && sp->tmpl[0].mode == XFRM_MODE_TUNNEL)
				n = fragout_push(out, n, max, sp->tmpl[0].family,
						 &sp->tmpl[0].saddr, &sp->tmpl[0].daddr);
	while (sad && (sa = igd_sad_next(sad, sa)))
		if (igd_localaddr_is_local(local, sa->family, &sa->saddr))
			n = fragout_push(out, n, max, sa->family, &sa->saddr, &sa->daddr);
	o->fragout_full = n == max;	/* endpoints past it, if any, are not watched */
	for (i = 0; i < n; i++) {
		/* from the tunnel's own address: source-based routing picks its path */
		struct igd_route_query q = {
			.family = out[i].family, .dst = out[i].peer, .src = out[i].local,
			.has_src = igd_localaddr_is_local(local, out[i].family, &out[i].local),
		};

		if (igd_route_mtu_get(&o->rtnl, &q, &r, o->rtbuf, sizeof(o->rtbuf)) ||
		    !r.mtu || r.mtu > 65535)
			continue;	/* no route: nothing leaves to it */
		out[k] = out[i];
		out[k].source = (uint8_t)r.source;
		out[k++].mtu = (uint16_t)r.mtu;
	}
	qsort(out, k, sizeof(out[0]), fragout_cmp);
	return k;
}
