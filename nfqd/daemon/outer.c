/* outer-nat events, what a one-way tunnel's cause is; see outer.h (outer-frag:
 * outer_frag_log.c). */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <libmnl/libmnl.h>
#include "judge/sp_json.h"
#include "outer.h"
#include "outer_int.h"
#include "verdict_log.h"
#include "ruleset/filter_predict.h"
#include "mtu/esp_mtu.h"
#include "mtu/route_mtu.h"
#include "guard/guard_rules.h"
#include "nl/ct_nl.h"
#include "outer/outer_frag.h"
#include "packet/pkt.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/proto.h"

#define OUTER_CT_WAIT_MS	200

int igd_outer_init(struct igd_outer *o, struct igd_logdest *log,
		   const struct igd_outer_ports *ports)
{
	struct timeval tv = { .tv_usec = OUTER_CT_WAIT_MS * 1000 };
	int e;

	memset(o, 0, sizeof(*o));
	o->log = log;
	o->ports = ports;
	e = igd_rl_new(&o->rl, &(struct igd_rl_cfg){ .keys = 1024 });
	if (e)
		return e;
	o->ct_nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!o->ct_nl || mnl_socket_bind(o->ct_nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    setsockopt(mnl_socket_get_fd(o->ct_nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		e = -errno;
		igd_outer_free(o);
		return e ? e : -ENOMEM;
	}
	o->rtnl_ok = !igd_rtnl_open(&o->rtnl);	/* without: no frag_out rules */
	return 0;
}

void igd_outer_free(struct igd_outer *o)
{
	if (o->ct_nl)
		mnl_socket_close(o->ct_nl);
	if (o->rtnl_ok)
		igd_rtnl_close(&o->rtnl);
	o->rtnl_ok = false;
	igd_rl_free(o->rl);
	o->ct_nl = NULL;
	o->rl = NULL;
}

/* The SA between @a and @b (either way), preferring @spi when given. */
const struct igd_sa *outer_sa(const struct igd_sad *sad, int family,
				     const union igd_addr *a, const union igd_addr *b,
				     uint32_t spi)
{
	const struct igd_sa *sa = NULL, *found = NULL;
	size_t alen = family == 6 ? 16 : 4;

	while (sad && (sa = igd_sad_next(sad, sa))) {
		bool ab = !memcmp(&sa->saddr, a, alen) && !memcmp(&sa->daddr, b, alen);
		bool ba = !memcmp(&sa->saddr, b, alen) && !memcmp(&sa->daddr, a, alen);

		if (sa->family != family || !(ab || ba))
			continue;
		if (spi && sa->spi == spi)
			return sa;
		if (!found && !spi)
			found = sa;
	}
	return found;
}

static void outer_tuple(struct igd_json *j, const char *key, int family,
			const union igd_addr *s, const union igd_addr *d, uint16_t sp,
			uint16_t dp, bool ports)
{
	char a[IGD_ADDRSTRLEN];

	igd_json_obj_open(j, key);
	igd_json_str(j, "src", igd_addr_str(family, s, a, sizeof(a)));
	igd_json_str(j, "dst", igd_addr_str(family, d, a, sizeof(a)));
	if (ports) {
		igd_json_uint(j, "sport", sp);
		igd_json_uint(j, "dport", dp);
	}
	igd_json_obj_close(j);
}

void outer_end(struct igd_outer *o, struct igd_json *j, uint64_t suppressed)
{
	if (suppressed)
		igd_json_uint(j, "suppressed", suppressed);
	igd_json_obj_close(j);
	if (igd_json_finish(j))
		igd_logdest_line(o->log, o->line, igd_json_len(j));
}

bool outer_rl(struct igd_outer *o, const void *key, size_t len, uint64_t *suppressed)
{
	return igd_rl_check(o->rl, igd_rl_hash(key, len, 0x6f75746572), igd_now_ms(), suppressed);
}

/* What the translation does to the tunnel, and what fixes it. */
static void outer_nat_effect(struct igd_json *j, unsigned int what, const struct igd_ct *ct,
			     const struct igd_sa *sa)
{
	char e[320], a[IGD_ADDRSTRLEN], b[IGD_ADDRSTRLEN];

	if (what & IGD_ONAT_ESP_SNAT) {
		snprintf(e, sizeof(e), "ESP leaves as %s but the SA's source is %s: the peer "
			 "has no SA for that address and drops it",
			 igd_addr_str(ct->family, &ct->reply.dst, a, sizeof(a)),
			 sa ? igd_addr_str(sa->family, &sa->saddr, b, sizeof(b)) : "?");
		igd_json_str(j, "effect", e);
		igd_json_str(j, "hint", "exempt ESP from the source NAT: a rule such as "
			     "`meta l4proto esp accept` (nft) or `-p esp -j RETURN` (iptables) "
			     "before the masquerade in the nat postrouting chain");
		return;
	}
	if (what & IGD_ONAT_PORT_MAP) {
		snprintf(e, sizeof(e), "udp port %u is mapped to %u: IKE establishes, but the "
			 "UDP-encapsulated ESP the peer sends to the port it learned may meet no "
			 "mapping, or one to another port: the tunnel is up and carries nothing",
			 ct->orig.dport, ct->reply.sport);
		igd_json_str(j, "effect", e);
		igd_json_str(j, "hint", "map the IKE and NAT-T ports to the same ports inside "
			     "(e.g. udp 4500 -> 4500), or make the VPN server listen on the "
			     "outside port");
		return;
	}
	snprintf(e, sizeof(e), "IKE's source port %u is rewritten to %u: NAT detection and "
		 "the peers' port floating expect the port it was sent from",
		 ct->orig.sport, ct->reply.dport);
	igd_json_str(j, "effect", e);
	igd_json_str(j, "hint", "keep the port of udp 500/4500 when translating (no "
		     "--random/--random-fully, `masquerade` without `random`), or exempt the "
		     "gateway's own IKE from the translation");
}

/* The peer's counters, a slot taken from the longest quiet one when new. */
struct igd_outer_peer *outer_peer(struct igd_outer *o, int family,
					 const union igd_addr *a)
{
	struct igd_outer_stats *st = &o->st;
	struct igd_outer_peer *p = NULL;
	unsigned int i;

	for (i = 0; i < st->npeers; i++) {
		if (st->peers[i].family == family && !memcmp(&st->peers[i].addr, a, sizeof(*a)))
			break;
		if (!p || st->peers[i].last_ms < p->last_ms)
			p = &st->peers[i];
	}
	if (i < st->npeers)
		p = &st->peers[i];
	else if (st->npeers < IGD_OUTER_PEERS)
		p = &st->peers[st->npeers++];
	if (i == st->npeers || p->family != family || memcmp(&p->addr, a, sizeof(*a))) {
		memset(p, 0, sizeof(*p));
		p->family = (uint8_t)family;
		p->addr = *a;
	}
	p->last_ms = igd_now_ms();
	return p;
}

/* The entry found for a waiting copy: judged, and its event written. */
static void outer_judge_nat(struct igd_outer *o, const struct igd_ct *ct,
			    const struct igd_sad *sad)
{
	const struct igd_sa *sa;
	struct igd_json j;
	uint64_t suppressed;
	unsigned int what;
	char names[48];
	bool ports;

	what = igd_outer_nat_classify(ct, o->ports);
	sa = outer_sa(sad, ct->family, &ct->orig.src, &ct->orig.dst, 0) ?:
	     outer_sa(sad, ct->family, &ct->reply.dst, &ct->orig.dst, 0);
	if (what == IGD_ONAT_ESP_SNAT && sa &&
	    !memcmp(&sa->saddr, &ct->reply.dst, ct->family == 6 ? 16 : 4))
		what = 0;	/* translated to the SA's own address */
	if (what == IGD_ONAT_ESP_SNAT && !sa)
		what = 0;	/* a NAT in front of another box's tunnel: NAT-T's job */
	if (!what || !outer_rl(o, &ct->orig, sizeof(ct->orig), &suppressed))
		return;
	o->st.nat_events++;
	/* the far end: the destination of an outbound flow, the source of a DNAT'd one */
	outer_peer(o, ct->family, igd_ct_dnat(ct) ? &ct->orig.src : &ct->orig.dst)->nat_events++;
	ports = ct->orig.has_ports;
	igd_event_begin(&j, o->line, sizeof(o->line), "outer-nat");
	igd_json_str(&j, "what", igd_outer_nat_str(what, names, sizeof(names)));
	igd_json_str(&j, "proto", ct->orig.proto == IPPROTO_ESP ? "esp" : "udp");
	igd_json_uint(&j, "family", ct->family);
	outer_tuple(&j, "orig", ct->family, &ct->orig.src, &ct->orig.dst, ct->orig.sport,
		    ct->orig.dport, ports);
	outer_tuple(&j, "nat", ct->family, &ct->reply.dst, &ct->reply.src, ct->reply.dport,
		    ct->reply.sport, ports);
	if (sa)
		igd_json_sa(&j, "sa", sa, NULL, NULL, IGD_JSON_BRIEF);
	outer_nat_effect(&j, what, ct, sa);
	outer_end(o, &j, suppressed);
}

static bool ct_tuple_eq(const struct igd_ct_tuple *a, const struct igd_ct_tuple *b)
{
	return !memcmp(&a->src, &b->src, sizeof(a->src)) &&
	       !memcmp(&a->dst, &b->dst, sizeof(a->dst)) && a->proto == b->proto &&
	       a->has_ports == b->has_ports && a->sport == b->sport && a->dport == b->dport;
}

static void outer_on_nat(struct igd_outer *o, const struct igd_nflog_pkt *c)
{
	struct igd_outer_pending *w;
	struct igd_ct_tuple t;
	struct igd_pkt p;
	unsigned int i;

	igd_pkt_parse_cap(&p, c->data, c->len, igd_pkt_copy_len(c->data, c->len));
	if ((p.family != 4 && p.family != 6) || (p.proto == IPPROTO_UDP &&
						 !(p.flags & IGD_PKT_F_PORTS))) {
		o->st.unread++;
		return;
	}
	/* the copy is the translated packet: its entry answers to the inverse */
	memset(&t, 0, sizeof(t));
	t.src = p.dst;
	t.dst = p.src;
	t.proto = p.proto;
	t.has_ports = p.proto == IPPROTO_UDP;
	t.sport = p.dport;
	t.dport = p.sport;
	for (i = 0; i < o->npending; i++)
		if (o->pending[i].family == p.family && ct_tuple_eq(&o->pending[i].reply, &t))
			return;		/* another packet of a flow already waiting */
	if (o->npending == IGD_OUTER_PENDING) {
		o->st.overflow++;
		return;
	}
	w = &o->pending[o->npending++];
	w->family = p.family;
	w->since_ms = igd_now_ms();
	w->reply = t;
}

void igd_outer_tick(struct igd_outer *o, const struct igd_sad *sad)
{
	uint64_t now = igd_now_ms();
	unsigned int i, keep = 0;
	struct igd_ct ct;
	int e;

	for (i = 0; i < o->npending; i++) {
		struct igd_outer_pending *w = &o->pending[i];

		e = igd_ct_get(o->ct_nl, w->family, &w->reply, true, &ct);
		if (e == -ENOENT && now - w->since_ms < 1000) {
			o->pending[keep++] = *w;	/* not confirmed yet */
			continue;
		}
		if (e || !ct.has_reply) {
			o->st.unread++;
		} else {
			o->st.nat_copies++;
			outer_judge_nat(o, &ct, sad);
		}
	}
	o->npending = keep;
	outer_orphans_tick(o, sad);
}

bool igd_outer_busy(const struct igd_outer *o)
{
	return o->npending || o->norphans;
}

void igd_outer_on_copy(struct igd_outer *o, const struct igd_nflog_pkt *c,
		       const struct igd_sad *sad)
{
	if (!o->ct_nl)
		return;		/* not watching (a table left by another run copies) */
	if (!strcmp(c->prefix, IGD_GUARD_OUTER_NAT_PREFIX))
		outer_on_nat(o, c);
	else if (!strcmp(c->prefix, IGD_GUARD_OUTER_FRAG_PREFIX))
		outer_on_frag(o, c, sad);
	else if (!strcmp(c->prefix, IGD_GUARD_OUTER_FRAG_OUT_PREFIX))
		outer_on_frag_out(o, c, sad);
	else if (!strcmp(c->prefix, IGD_GUARD_OUTER_ORPHAN_PREFIX))
		outer_on_orphan(o, c);
}

/* An IKE or NAT-T conntrack entry between the tunnel's endpoints, either way: the
 * ports the SA encapsulates with first, then 4500 and 500. */
static void seen_ike(struct igd_outer *o, const struct igd_ow_event *ev, struct igd_ow_seen *s)
{
	const uint16_t pairs[][2] = {
		{ ev->encap_sport, ev->encap_dport }, { 4500, 4500 }, { 500, 500 },
	};
	struct igd_ct_tuple t = { .proto = IPPROTO_UDP, .has_ports = true };
	unsigned int i, way;
	struct igd_ct ct;

	s->ike_checked = true;
	for (i = 0; i < 3; i++) {
		if (!pairs[i][0])
			continue;
		for (way = 0; way < 2; way++) {
			t.src = way ? ev->remote : ev->local;
			t.dst = way ? ev->local : ev->remote;
			t.sport = way ? pairs[i][1] : pairs[i][0];
			t.dport = way ? pairs[i][0] : pairs[i][1];
			if (!igd_ct_get(o->ct_nl, ev->family, &t, false, &ct)) {
				s->ike_alive = true;
				s->ike_sport = t.sport;
				s->ike_dport = t.dport;
				return;
			}
		}
	}
}

/* This gateway's input filter for the tunnel's inbound packets (nf_tables only: the
 * legacy tables would take running a program). */
static void seen_filter(const struct igd_ow_event *ev, struct igd_ow_seen *s)
{
	uint8_t buf[IGD_RTNL_BUF_SIZE];
	struct igd_route_query q = { .family = ev->family, .dst = ev->remote };
	struct igd_filter_finding ff[8];
	char ifname[IF_NAMESIZE] = "", err[160];
	struct igd_nat_ctx c = { .iifname = ifname, .nft_only = true };
	struct igd_route_mtu r;
	struct igd_rtnl rt;
	struct igd_sel sel;
	int n, i;

	if (!igd_rtnl_open(&rt)) {
		if (!igd_route_mtu_get(&rt, &q, &r, buf, sizeof(buf)) && r.oif &&
		    !if_indextoname(r.oif, ifname))
			ifname[0] = '\0';
		igd_rtnl_close(&rt);
	}
	memset(&sel, 0, sizeof(sel));
	sel.family = ev->family;
	sel.saddr = ev->remote;
	sel.daddr = ev->local;
	sel.plen_s = sel.plen_d = ev->family == 6 ? 128 : 32;
	sel.proto = ev->encap_dport ? IPPROTO_UDP : ev->proto;
	if (ev->encap_dport) {
		sel.sport = ev->encap_dport;	/* the peer sends from its end */
		sel.dport = ev->encap_sport;
		sel.sport_mask = sel.dport_mask = 0xffff;
	}
	c.sel = &sel;
	n = igd_filter_predict(&c, NF_INET_LOCAL_IN, ff, 8, err, sizeof(err));
	if (n < 0)
		return;
	s->filter_checked = true;
	for (i = 0; i < n; i++) {
		bool sure = ff[i].blocked == IGD_TRI_ALWAYS;

		if (s->dropped || (s->may_drop && !sure))
			continue;
		s->dropped = sure;
		s->may_drop = !sure;
		if (ff[i].handle)
			snprintf(s->dropped_by, sizeof(s->dropped_by), "nft %s %.48s %.48s handle %llu",
				 ff[i].family, ff[i].table, ff[i].chain,
				 (unsigned long long)ff[i].handle);
		else
			snprintf(s->dropped_by, sizeof(s->dropped_by), "nft %s %.48s %.48s policy drop",
				 ff[i].family, ff[i].table, ff[i].chain);
	}
}

/* The iptables-legacy tables of @family in use that can drop (the kernel lists the
 * legacy tables in /proc/net/ip_tables_names; nat cannot drop): their rules are not
 * read here, reading them takes running iptables-legacy.  Whether there is one. */
static bool seen_legacy_tables(int family)
{
	FILE *f = fopen(family == 6 ? "/proc/net/ip6_tables_names" : "/proc/net/ip_tables_names",
			"re");
	char line[64];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strcmp(line, "nat\n") != 0;
	fclose(f);
	return found;
}

void igd_outer_oneway_seen(void *arg, const struct igd_ow_event *ev, struct igd_ow_seen *s)
{
	struct igd_outer *o = arg;
	const char *what = ev->encap_dport ? "UDP-encapsulated ESP" : "ESP";
	char a[IGD_ADDRSTRLEN];

	igd_addr_str(ev->family, &ev->remote, a, sizeof(a));
	if (o->ct_nl)
		seen_ike(o, ev, s);
	seen_filter(ev, s);
	s->legacy_unread = !s->dropped && !s->may_drop && seen_legacy_tables(ev->family);
	if (s->dropped || s->may_drop)
		snprintf(s->cause, sizeof(s->cause), "this gateway's input filter %s the tunnel's "
			 "%s from %s (%.120s): it arrives and is dropped before decryption",
			 s->dropped ? "drops" : "may drop", what, a, s->dropped_by);
	else if (s->ike_alive)
		snprintf(s->cause, sizeof(s->cause), "IKE passes both ways (a conntrack entry "
			 "udp %u -> %u is alive) while %s from %s does not arrive: something on "
			 "the path passes IKE but not %s (a firewall, NAT or load balancer), or "
			 "the peer sends through another SA", s->ike_sport, s->ike_dport, what,
			 a, what);
	else if (s->legacy_unread)
		snprintf(s->cause, sizeof(s->cause), "this gateway's nf_tables input filter %s "
			 "%s from %s and no IKE flow with it is seen; its iptables-legacy tables "
			 "are not read here (`ipsecguard doctor` reads the filter table): they, "
			 "the path, or the peer not sending it", s->filter_checked ?
			 "does not drop" : "could not be read for", what, a);
	else
		snprintf(s->cause, sizeof(s->cause), "nothing on this gateway drops %s from %s "
			 "and no IKE flow with it is seen: the path drops it, or the peer does not "
			 "send it (its SA or policy)", what, a);
}
