/* The daemon's judgement on hand-built queued packets and a hand-built SPD: the NAT
 * guard across its two taps, inbound checks of cleartext and decapsulated packets
 * (whose reqid our prerouting rule carries in the mark), sp-miss-out, MSS clamping,
 * suspects whose pre-NAT source comes from the prenat map (its lookup faked). */
#include <errno.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/xfrm.h>
#include "packet/csum.h"
#include "judge.h"
#include "tap.h"
#include "pkt_build.h"

#define MASK 0x00ff0000u

static struct igd_judge_cfg cfg;
static struct igd_judge jg;
static struct igd_spd *spd;
static struct igd_localaddr local;

static void a4(union igd_addr *a, const char *s)
{
	memset(a, 0, sizeof(*a));
	inet_pton(AF_INET, s, &a->in);
}

static void sp_add(uint32_t index, int dir, const char *src, int sl, const char *dst, int dl,
		   uint32_t reqid, int optional)
{
	struct igd_sp sp = { .index = index, .dir = (uint8_t)dir, .ntmpl = 1 };

	sp.sel.family = 4;
	a4(&sp.sel.saddr, src);
	a4(&sp.sel.daddr, dst);
	sp.sel.plen_s = (uint8_t)sl;
	sp.sel.plen_d = (uint8_t)dl;
	sp.tmpl[0] = (struct igd_tmpl){ .proto = IPPROTO_ESP, .mode = XFRM_MODE_TUNNEL,
					.reqid = reqid, .optional = (uint8_t)optional,
					.family = 4 };
	is_int(igd_spd_add(spd, &sp), 0, "SP %u added", index);
}

/* A SYN src:40000 -> dst:22 with MSS 1460. */
static void syn(struct pb *k, const char *src, const char *dst)
{
	pb_v4_syn(k, 1460, 0);
	inet_pton(AF_INET, src, k->b + 12);
	inet_pton(AF_INET, dst, k->b + 16);
	pb_done(k);
}

static void judge(struct pb *k, unsigned int hook, uint32_t mark, struct igd_judgement *jd,
		  struct igd_pkt *p)
{
	struct igd_qpkt qp = { .data = k->b, .len = (uint32_t)k->n, .orig_len = (uint32_t)k->n,
			       .hook = (uint8_t)hook, .mark = mark, .hw_proto = 0x0800 };

	igd_judge_packet(&jg, &qp, p, jd);
}

static void setup(enum igd_mode mode)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.mode = mode;
	cfg.mark_mask = MASK;
	is_int(igd_judge_init(&jg, &cfg), 0, "judge initialised (mode %d)", (int)mode);
	jg.spd = spd;
	jg.out.spd = spd;
	jg.local = &local;
}

static void check_nat(void)
{
	struct igd_judgement jd;
	struct igd_pkt p;
	struct pb k;
	uint32_t tok;

	setup(IGD_MODE_AUDIT);
	syn(&k, "10.0.2.33", "192.168.1.10");
	judge(&k, NF_INET_FORWARD, 0, &jd, &p);
	is_int(jd.reason, IGD_R_PASS, "forward: a protected flow head passes");
	ok(jd.sp && jd.sp->index == 1, "forward: it matched out SP 1");
	ok(jd.set_mark && (jd.mark & MASK), "forward: it leaves with a token");
	tok = jd.mark;
	/* MASQUERADE rewrote the source */
	inet_pton(AF_INET, "172.16.0.1", k.b + 12);
	pb_done(&k);
	judge(&k, NF_INET_POST_ROUTING, tok, &jd, &p);
	is_int(jd.reason, IGD_R_NAT_BEFORE_IPSEC, "postrouting: translated out of the SP");
	is_int(jd.verdict, NF_REPEAT, "audit accepts, the chain running again to tag the ct mark");
	is_int(jd.mark & MASK, MASK, "audit tags the flow with the flag");
	ok(jd.pre && jd.pre->saddr.a4 == htonl(0x0a000221), "the pre-NAT tuple comes back");
	judge(&k, NF_INET_POST_ROUTING, tok, &jd, &p);
	is_int(jd.reason, IGD_R_UNJUDGED, "a token is good once: a second use is unjudged");
	is_int(jd.mark & MASK, MASK, "audit flags an unjudged suspect");

	setup(IGD_MODE_ENFORCE);
	syn(&k, "10.0.2.33", "192.168.1.10");
	judge(&k, NF_INET_FORWARD, 0x7, &jd, &p);
	tok = jd.mark;
	is_int(tok & ~MASK, 0x7, "the packet's own mark bits are kept");
	inet_pton(AF_INET, "172.16.0.9", k.b + 12);	/* into SP 2 */
	pb_done(&k);
	judge(&k, NF_INET_POST_ROUTING, tok, &jd, &p);
	is_int(jd.reason, IGD_R_NAT_CHANGED_SP, "translated into another SP");
	is_int(jd.verdict, NF_DROP, "enforce drops");
	ok(jd.nat_sp && jd.nat_sp->index == 2, "names the SP it fell into");

	syn(&k, "10.0.2.33", "192.168.1.10");
	judge(&k, NF_INET_FORWARD, 0, &jd, &p);
	judge(&k, NF_INET_POST_ROUTING, jd.mark, &jd, &p);
	is_int(jd.reason, IGD_R_PASS, "untranslated: nothing to say");
	is_int(jd.mark & MASK, igd_natguard_ok(&jg.guard), "the token becomes the healthy mark");
	is_int(jd.verdict, NF_REPEAT, "which the chain takes into the ct mark");

	setup(IGD_MODE_FIX);
	syn(&k, "10.0.2.33", "192.168.1.10");
	judge(&k, NF_INET_FORWARD, 0, &jd, &p);
	tok = jd.mark;
	inet_pton(AF_INET, "172.16.0.1", k.b + 12);
	pb_done(&k);
	judge(&k, NF_INET_POST_ROUTING, tok, &jd, &p);
	ok(jd.want_fix && jd.verdict == NF_DROP, "fix: drop the revealing packet, ask for the fix");

	setup(IGD_MODE_AUDIT);
	syn(&k, "10.0.9.9", "203.0.113.5");
	judge(&k, NF_INET_FORWARD, 0, &jd, &p);
	ok(jd.reason == IGD_R_PASS && jd.set_mark &&
	   (jd.mark & MASK) == igd_natguard_ok(&jg.guard) && jd.verdict == NF_ACCEPT,
	   "unprotected traffic: no token, the healthy mark travels to postrouting");
}

/* Where the queue attaches the conntrack entry, postrouting judges without a token. */
static void ct_set(struct igd_qpkt *qp, const char *osrc, const char *odst, const char *rdst)
{
	qp->has_ct = true;
	qp->ct.family = 4;
	qp->ct.has_reply = true;
	qp->ct.orig.proto = qp->ct.reply.proto = IPPROTO_TCP;
	qp->ct.orig.has_ports = qp->ct.reply.has_ports = true;
	a4(&qp->ct.orig.src, osrc);
	a4(&qp->ct.orig.dst, odst);
	qp->ct.orig.sport = 40000;
	qp->ct.orig.dport = 22;
	a4(&qp->ct.reply.src, odst);
	a4(&qp->ct.reply.dst, rdst);
	qp->ct.reply.sport = 22;
	qp->ct.reply.dport = 40000;
}

static void judge_ct(struct pb *k, const char *osrc, const char *rdst, uint32_t mark,
		     struct igd_judgement *jd, struct igd_pkt *p)
{
	struct igd_qpkt qp = { .data = k->b, .len = (uint32_t)k->n, .orig_len = (uint32_t)k->n,
			       .hook = NF_INET_POST_ROUTING, .mark = mark, .hw_proto = 0x0800 };

	ct_set(&qp, osrc, "192.168.1.10", rdst);
	igd_judge_packet(&jg, &qp, p, jd);
}

static void check_suspects(void)
{
	static const uint8_t twice[] = { 2, 4, 5, 0xb4, 2, 4, 5, 0xb4 };
	struct igd_judgement jd;
	struct igd_pkt p;
	struct pb k;

	setup(IGD_MODE_ENFORCE);
	syn(&k, "172.16.0.1", "192.168.1.10");	/* as it leaves, after MASQUERADE */
	judge_ct(&k, "10.0.2.33", "172.16.0.1", 0, &jd, &p);
	is_int(jd.reason, IGD_R_NAT_BEFORE_IPSEC, "ct: the pre-NAT tuple from conntrack");
	is_int(jd.verdict, NF_DROP, "ct: enforce drops the leak");
	ok(jd.pre && jd.pre->saddr.a4 == htonl(0x0a000221), "ct: and logs the pre-NAT source");

	syn(&k, "10.0.2.33", "192.168.1.10");
	judge_ct(&k, "10.0.2.33", "10.0.2.33", 0, &jd, &p);
	is_int(jd.reason, IGD_R_PASS, "ct: an untranslated protected flow is healthy");
	ok(jd.verdict == NF_REPEAT && (jd.mark & MASK) == igd_natguard_ok(&jg.guard),
	   "ct: remembered healthy in the ct mark");

	/* a SYN with its MSS option twice: our parser distrusts it, conntrack does not */
	pb_ip4(&k, IPPROTO_TCP, NULL, 0, 0x4000);
	pb_tcp(&k, 40000, 22, 0x02, twice, sizeof(twice));
	inet_pton(AF_INET, "172.16.0.1", k.b + 12);
	inet_pton(AF_INET, "192.168.1.10", k.b + 16);
	pb_done(&k);
	judge_ct(&k, "10.0.2.33", "172.16.0.1", 0, &jd, &p);
	ok(jd.parse_err != IGD_PKT_OK, "ct: our parser distrusts a SYN with two MSS options");
	is_int(jd.reason, IGD_R_NAT_BEFORE_IPSEC, "ct: a distrusted SYN is judged on conntrack's tuple");
	is_int(jd.verdict, NF_DROP, "ct: and dropped when it leaks");

	judge(&k, NF_INET_POST_ROUTING, 0, &jd, &p);
	is_int(jd.verdict, NF_DROP, "no ct, no token: a distrusted suspect is dropped in enforce");
	syn(&k, "172.16.0.1", "192.168.1.10");
	judge(&k, NF_INET_POST_ROUTING, 0, &jd, &p);
	is_int(jd.reason, IGD_R_UNJUDGED, "no ct, no token: unjudged");
	is_int(jd.verdict, NF_DROP, "and dropped in enforce");
	setup(IGD_MODE_FIX);
	judge(&k, NF_INET_POST_ROUTING, 0, &jd, &p);
	is_int(jd.verdict, NF_DROP, "and in fix mode");
}

/* The prenat map's lookup, faked: what the kernel's map would hold, and what it
 * was asked. */
static struct {
	bool have;
	struct igd_prenat v;
	uint8_t key[IGD_PRENAT_KEY_MAX];
	unsigned int asked;
} fake_map;

static int fake_lookup(void *arg, int family, const uint8_t *key, struct igd_prenat *out)
{
	(void)arg;
	fake_map.asked++;
	memcpy(fake_map.key, key, igd_prenat_key_len(family));
	if (!fake_map.have)
		return -ENOENT;
	*out = fake_map.v;
	return 0;
}

static void check_prenat_map(void)
{
	static const uint8_t twice[] = { 2, 4, 5, 0xb4, 2, 4, 5, 0xb4 };
	uint8_t want[IGD_PRENAT_KEY_MAX];
	struct igd_judgement jd;
	union igd_addr s, d;
	uint8_t th[4] = { 0x9c, 0x40, 0, 22 };	/* 40000 -> 22 */
	struct igd_prefix pfx;
	uint32_t tr, plain;
	struct igd_pkt p;
	struct pb k;

	setup(IGD_MODE_ENFORCE);
	jg.cfg.prenat_lookup = fake_lookup;
	tr = igd_natguard_translated(&jg.guard);
	plain = igd_natguard_plain(&jg.guard);
	fake_map.have = true;
	a4(&fake_map.v.saddr, "10.0.2.33");
	fake_map.v.sport = 40000;
	syn(&k, "172.16.0.1", "192.168.1.10");	/* after MASQUERADE */
	judge(&k, NF_INET_POST_ROUTING, tr | 0x7, &jd, &p);
	is_int(jd.reason, IGD_R_NAT_BEFORE_IPSEC, "map: the pre-NAT source from the prenat map");
	is_int(jd.verdict, NF_DROP, "map: enforce drops the leak");
	ok(jd.pre && jd.pre->saddr.a4 == htonl(0x0a000221) && jd.pre->sport == 40000,
	   "map: and logs the pre-NAT source and port");
	ok(jd.set_mark && jd.mark == 0x7, "map: the marker leaves the mark, the rest stays");
	a4(&s, "172.16.0.1");
	a4(&d, "192.168.1.10");
	igd_prenat_key(want, 4, &s, &d, IPPROTO_TCP, th);
	ok(!memcmp(fake_map.key, want, igd_prenat_key_len(4)),
	   "map: asked with the post-NAT addresses, protocol and ports");

	/* a SYN our parser distrusts: the key from what it read all the same */
	pb_ip4(&k, IPPROTO_TCP, NULL, 0, 0x4000);
	pb_tcp(&k, 40000, 22, 0x02, twice, sizeof(twice));
	inet_pton(AF_INET, "172.16.0.1", k.b + 12);
	inet_pton(AF_INET, "192.168.1.10", k.b + 16);
	pb_done(&k);
	judge(&k, NF_INET_POST_ROUTING, tr, &jd, &p);
	is_int(jd.reason, IGD_R_NAT_BEFORE_IPSEC, "map: a distrusted SYN is judged too");
	is_int(jd.verdict, NF_DROP, "map: and dropped");

	fake_map.have = false;
	syn(&k, "172.16.0.1", "192.168.1.10");
	judge(&k, NF_INET_POST_ROUTING, tr, &jd, &p);
	is_int(jd.reason, IGD_R_UNJUDGED, "map: no element (map full, timed out): unjudged");
	is_int(jd.verdict, NF_DROP, "map: and dropped in enforce");
	ok(jg.prenat_missed == 1, "map: counted as missed");

	fake_map.asked = 0;
	syn(&k, "10.0.2.33", "192.168.1.10");
	judge(&k, NF_INET_POST_ROUTING, plain, &jd, &p);
	is_int(jd.reason, IGD_R_TUNNEL_DOWN,
	       "plain: untransformed, and SP 1 requires ESP of it: the kernel no longer had the SP");
	is_int(jd.verdict, NF_DROP, "plain: enforce drops it");
	ok(jd.sp && jd.sp->index == 1, "plain: naming the SP the daemon still had");
	ok(fake_map.asked == 0, "map: a plain suspect is judged on its own tuple, without the map");
	is_int((int)jg.sp_unapplied, 1, "plain: counted");
	syn(&k, "10.0.5.7", "192.168.1.10");
	judge(&k, NF_INET_POST_ROUTING, plain, &jd, &p);
	is_int(jd.reason, IGD_R_PASS, "plain: SP 5's optional template lets cleartext out");
	pb_ip4(&k, IPPROTO_ESP, NULL, 0, 0);
	pb_u32(&k, 0x1001);	/* SPI, sequence number */
	pb_u32(&k, 1);
	inet_pton(AF_INET, "10.0.2.33", k.b + 12);
	inet_pton(AF_INET, "192.168.1.10", k.b + 16);
	pb_done(&k);
	judge(&k, NF_INET_POST_ROUTING, plain, &jd, &p);
	is_int(jd.reason, IGD_R_PASS, "plain: ESP itself leaves outside the SPs");
	{
		struct igd_outer_ports ports;
		struct igd_qpkt qp;

		igd_outer_ports_default(&ports);
		jg.ike_ports = &ports;
		pb_ip4(&k, IPPROTO_TCP, NULL, 0, 0x4000);
		pb_tcp(&k, 4500, 443, 0x02, NULL, 0);
		inet_pton(AF_INET, "10.0.2.33", k.b + 12);
		inet_pton(AF_INET, "192.168.1.10", k.b + 16);
		pb_done(&k);
		qp = (struct igd_qpkt){ .data = k.b, .len = (uint32_t)k.n, .orig_len = (uint32_t)k.n,
					.hook = NF_INET_POST_ROUTING, .mark = plain,
					.hw_proto = 0x0800, .indev = 2 };
		igd_judge_packet(&jg, &qp, &p, &jd);
		is_int(jd.reason, IGD_R_TUNNEL_DOWN,
		       "plain: a forwarded TCP flow from port 4500 is no key exchange");
		qp.indev = 0;
		igd_judge_packet(&jg, &qp, &p, &jd);
		is_int(jd.reason, IGD_R_PASS, "plain: this machine's own, on an IKE port, is (ESP in TCP)");
		jg.ike_ports = NULL;
	}
	syn(&k, "10.0.2.33", "192.168.1.10");
	judge(&k, NF_INET_POST_ROUTING, 0, &jd, &p);
	is_int(jd.reason, IGD_R_UNJUDGED, "map: an unmarked suspect is unjudged");
	syn(&k, "10.0.9.9", "192.168.1.10");	/* no SP covers the source */
	pfx.family = 4;
	pfx.plen = 16;
	a4(&pfx.addr, "192.168.0.0");
	jg.out.protect = &pfx;
	jg.out.nprotect = 1;
	judge(&k, NF_INET_POST_ROUTING, plain, &jd, &p);
	is_int(jd.reason, IGD_R_SP_MISS_OUT, "map: a plain suspect no SP covers is sp-miss-out");
	judge(&k, NF_INET_POST_ROUTING, 0, &jd, &p);
	is_int(jd.reason, IGD_R_UNJUDGED, "map: an unmarked suspect (destination NAT) is unjudged");
}

static void check_inbound(void)
{
	struct igd_judgement jd;
	struct igd_pkt p;
	uint32_t secreq;
	struct pb k;

	setup(IGD_MODE_AUDIT);
	syn(&k, "192.168.1.10", "10.0.2.33");
	judge(&k, NF_INET_PRE_ROUTING, 0, &jd, &p);
	is_int(jd.reason, IGD_R_TMPL_MISMATCH, "cleartext on a fwd SP requiring ESP");
	ok(jd.sp && jd.sp->index == 3, "names fwd SP 3");
	secreq = igd_natguard_secreq(&jg.guard);
	judge(&k, NF_INET_PRE_ROUTING, secreq | 5, &jd, &p);
	is_int(jd.reason, IGD_R_PASS, "decrypted by an SA of reqid 5, the SP's own: fine");
	ok(jd.set_mark && jd.mark == igd_natguard_decap_ok(&jg.guard),
	   "the carried reqid leaves the mark; the connection is marked as checked");
	is_int(jd.verdict, NF_REPEAT, "by the chain's first rule, run again");
	judge(&k, NF_INET_PRE_ROUTING, secreq | 6, &jd, &p);
	is_int(jd.reason, IGD_R_TMPL_MISMATCH, "decrypted by reqid 6: the other tunnel (asymmetric tunnels)");
	is_int(jd.in_reqid, 6, "names the reqid that decrypted it");
	ok(jd.rev_sp && jd.rev_sp->index == 1, "and the out SP of the reverse tuple");
	syn(&k, "198.51.100.1", "10.0.2.33");
	judge(&k, NF_INET_PRE_ROUTING, igd_natguard_secpath(&jg.guard), &jd, &p);
	is_int(jd.reason, IGD_R_SP_MISS_IN, "decapsulated, and no in/fwd SP accepts it");
	syn(&k, "192.168.1.10", "10.0.2.1");
	judge(&k, NF_INET_PRE_ROUTING, 0, &jd, &p);
	ok(jd.sp && jd.sp->index == 4, "to a local address the in SP applies");
	is_int(jd.reason, IGD_R_PASS, "whose optional template lets cleartext in");
}

static void check_miss_out_and_mss(void)
{
	struct igd_prefix prot = { .plen = 16, .family = 4 };
	struct igd_mss mss = { .mode = IGD_MSS_FIXED, .fixed = 1300 };
	struct igd_judgement jd;
	struct igd_pkt p, q;
	struct pb k;

	a4(&prot.addr, "192.168.0.0");
	setup(IGD_MODE_ENFORCE);
	jg.out.protect = &prot;
	jg.out.nprotect = 1;
	syn(&k, "10.0.3.5", "192.168.1.10");
	judge(&k, NF_INET_FORWARD, 0, &jd, &p);
	is_int(jd.reason, IGD_R_SP_MISS_OUT, "an uncovered source towards a protected prefix");
	is_int(jd.verdict, NF_DROP, "enforce drops it");

	setup(IGD_MODE_AUDIT);
	jg.mss = &mss;
	syn(&k, "10.0.2.33", "192.168.1.10");
	judge(&k, NF_INET_FORWARD, 0, &jd, &p);
	ok(jd.mss_to == 0 && jd.reason == IGD_R_PASS,
	   "with its own tables the daemon leaves the SYN to the mss chain's rule");
	jg.cfg.no_hooks = true;	/* rules of the user's feed the queue: the daemon clamps */
	syn(&k, "10.0.2.33", "192.168.1.10");
	judge(&k, NF_INET_FORWARD, 0, &jd, &p);
	is_int(jd.reason, IGD_R_MSS_CLAMP, "the SYN of a protected flow is clamped");
	is_int(jd.mss_from, 1460, "from 1460");
	is_int(jd.mss_to, 1300, "to 1300");
	ok(igd_pkt_parse(&q, k.b, k.n) == IGD_PKT_OK && q.mss == 1300, "the packet says 1300");
	is_int(igd_l4_csum_verify(k.b, k.n, &q), 0, "and its checksum is right");
	mss.fixed = 1500;
	syn(&k, "10.0.2.33", "192.168.1.10");
	judge(&k, NF_INET_FORWARD, 0, &jd, &p);
	ok(jd.mss_to == 0 && jd.reason == IGD_R_PASS, "an MSS is never raised");
	mss.fixed = 1300;
	syn(&k, "192.168.1.10", "10.0.2.33");
	k.b[33] = 0x12;		/* SYN/ACK */
	pb_done(&k);
	judge(&k, NF_INET_FORWARD, 0, &jd, &p);
	is_int(jd.mss_to, 1300, "the far side's SYN/ACK is clamped too");
	ok(jd.sp && jd.sp->index == 1, "by the out SP of the reverse tuple");
}

int main(void)
{
	is_int(igd_spd_new(&spd), 0, "new SPD");
	sp_add(1, IGD_DIR_OUT, "10.0.2.0", 24, "192.168.0.0", 16, 5, 0);
	sp_add(2, IGD_DIR_OUT, "172.16.0.8", 29, "192.168.0.0", 16, 6, 0);
	sp_add(3, IGD_DIR_FWD, "192.168.0.0", 16, "10.0.2.0", 24, 5, 0);
	sp_add(4, IGD_DIR_IN, "192.168.0.0", 16, "10.0.2.1", 32, 5, 1);
	sp_add(5, IGD_DIR_OUT, "10.0.5.0", 24, "192.168.0.0", 16, 9, 1);
	local.n = 1;
	local.addr[0].family = 4;
	a4(&local.addr[0].a, "10.0.2.1");
	check_nat();
	check_prenat_map();
	check_inbound();
	check_miss_out_and_mss();
	check_suspects();
	igd_spd_free(spd);
	return tap_done();
}
