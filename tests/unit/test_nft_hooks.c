/* kmod-free/nft: nft_hooks, nft_batch, nft_expr without a kernel: the messages a
 * transaction carries, how they parse back, and how acks become error text. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <libmnl/libmnl.h>
#include <libnftnl/rule.h>
#include <libnftnl/expr.h>

#include "nft/nft_batch.h"
#include "nft/nft_expr.h"
#include "nft/nft_hooks.h"
#include "tap.h"

#define PORTID	4242

/* A queue rule ([ct state new] counter queue) in every base chain of both families,
 * built from the library's pieces: the batch these tests take apart. */
static int put_queue_rules(struct igd_nft_batch *b, const struct igd_hooks_cfg *c,
			   enum igd_hooks_queue q)
{
	static const uint32_t fam[] = { NFPROTO_IPV4, NFPROTO_IPV6 };
	unsigned int i, h;
	int ret = 0;

	for (i = 0; i < 2; i++)
		for (h = 0; h < IGD_HOOK_MAX && !ret; h++) {
			struct nftnl_rule *r = igd_nft_rule_new(fam[i], igd_hooks_table(c),
								igd_hook_spec_get(h)->chain);

			if (!r)
				return -ENOMEM;
			if (!c->all_packets)
				ret = igd_nft_expr_ct_state(r, NF_CT_STATE_BIT(IP_CT_NEW));
			ret = ret ?: igd_hooks_put_queue(r, c, q) ?:
			      igd_nft_batch_rule(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, r);
			nftnl_rule_free(r);
		}
	return ret;
}

/* The i-th message of a wire image (0 = BATCH_BEGIN). */
static const struct nlmsghdr *wire_msg(const void *wire, size_t len, unsigned int i)
{
	const struct nlmsghdr *nlh = wire;
	int left = (int)len;

	while (mnl_nlmsg_ok(nlh, left)) {
		if (i-- == 0)
			return nlh;
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	return NULL;
}

static unsigned int wire_count(const void *wire, size_t len)
{
	unsigned int n = 0;

	while (wire_msg(wire, len, n))
		n++;
	return n;
}

static void test_specs(void)
{
	const struct igd_hook_spec *s;

	s = igd_hook_spec_get(IGD_HOOK_PREROUTING);
	ok(s && !strcmp(s->chain, "prerouting") && s->hooknum == NF_INET_PRE_ROUTING &&
	   s->priority == -150, "prerouting at mangle (-150)");
	s = igd_hook_spec_get(IGD_HOOK_FORWARD);
	ok(s && !strcmp(s->chain, "forward") && s->hooknum == NF_INET_FORWARD &&
	   s->priority == 0, "forward at filter (0)");
	s = igd_hook_spec_get(IGD_HOOK_OUTPUT);
	ok(s && !strcmp(s->chain, "output") && s->hooknum == NF_INET_LOCAL_OUT &&
	   s->priority == 0, "output at filter (0)");
	s = igd_hook_spec_get(IGD_HOOK_POSTROUTING);
	ok(s && !strcmp(s->chain, "postrouting") && s->hooknum == NF_INET_POST_ROUTING &&
	   s->priority == 101, "postrouting at srcnat + 1 (101)");
	ok(igd_hook_spec_get(IGD_HOOK_MAX) == NULL, "no spec past the last hook");
}

static void test_cfg(void)
{
	char longname[300];
	struct igd_hooks_cfg c = { 0 };

	is_str(igd_hooks_table(&c), "ipsecguard", "default table name");
	is_int(igd_hooks_cfg_check(&c), 0, "zeroed cfg is valid");
	is_int(igd_hooks_cfg_check(NULL), -EINVAL, "NULL cfg refused");
	c.queue_num = 65535;
	is_int(igd_hooks_cfg_check(&c), 0, "queue 65535 alone fits");
	c.queue_total = 2;
	is_int(igd_hooks_cfg_check(&c), -ERANGE, "queue 65535 + 2 overflows");
	c.queue_num = 65534;
	is_int(igd_hooks_cfg_check(&c), 0, "queues 65534-65535 fit");
	c.table = "";
	is_int(igd_hooks_cfg_check(&c), -EINVAL, "empty table name refused");
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	c.table = longname;
	is_int(igd_hooks_cfg_check(&c), -EINVAL, "over-long table name refused");
}

/* The expression names of rule message @nlh, space separated, into @buf. */
static int rule_exprs_cb(struct nftnl_expr *e, void *data)
{
	char *buf = data;

	if (buf[0])
		strcat(buf, " ");
	strcat(buf, nftnl_expr_get_str(e, NFTNL_EXPR_NAME));
	return 0;
}

static struct nftnl_rule *rule_parse(const struct nlmsghdr *nlh)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (r && nftnl_rule_nlmsg_parse(nlh, r) < 0) {
		nftnl_rule_free(r);
		return NULL;
	}
	return r;
}

static void rule_exprs(const struct nlmsghdr *nlh, char *buf)
{
	struct nftnl_rule *r = rule_parse(nlh);

	buf[0] = '\0';
	if (r)
		nftnl_expr_foreach(r, rule_exprs_cb, buf);
	nftnl_rule_free(r);
}

static int rule_target_cb(struct nftnl_expr *e, void *data)
{
	struct xt_NFQ_info_v3 *out = data;
	const void *info;
	uint32_t len;

	if (strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "target"))
		return 0;
	info = nftnl_expr_get(e, NFTNL_EXPR_TG_INFO, &len);
	if (len == 8 && nftnl_expr_get_u32(e, NFTNL_EXPR_TG_REV) == 3 &&
	    !strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME), "NFQUEUE"))
		memcpy(out, info, sizeof(*out));
	return 0;
}

static void test_install_batch(void)
{
	struct igd_hooks_cfg c = { .queue_num = 5, .queue_total = 2, .bypass = true,
				   .fanout = true };
	struct igd_nft_batch *b = igd_nft_batch_alloc();
	const struct nlmsghdr *nlh;
	struct xt_NFQ_info_v3 info = { 0 };
	struct nftnl_rule *r;
	char names[256];
	const void *wire;
	unsigned int i, acked = 0;
	size_t len;

	is_int(igd_hooks_put_tables(b, &c), 0, "tables put");
	is_int(put_queue_rules(b, &c, IGD_HOOKS_QUEUE_XT), 0, "rules put");
	is_int(igd_nft_batch_count(b), 22, "2 x (3 table + 4 chain) + 8 rule messages");
	is_str(igd_nft_batch_what(b, 0), "add table ip ipsecguard", "msg 0");
	is_str(igd_nft_batch_what(b, 1), "delete table ip ipsecguard", "msg 1: stale one goes");
	is_str(igd_nft_batch_what(b, 2), "add table ip ipsecguard", "msg 2: fresh table");
	is_str(igd_nft_batch_what(b, 3), "add chain ip ipsecguard prerouting", "msg 3");
	is_str(igd_nft_batch_what(b, 6), "add chain ip ipsecguard postrouting", "msg 6");
	is_str(igd_nft_batch_what(b, 7), "add table ip6 ipsecguard", "msg 7: ip6 family");
	is_str(igd_nft_batch_what(b, 14), "add rule ip ipsecguard prerouting", "msg 14");
	is_str(igd_nft_batch_what(b, 21), "add rule ip6 ipsecguard postrouting", "msg 21");
	ok(igd_nft_batch_what(b, 22) == NULL, "no msg 22");

	wire = igd_nft_batch_wire(b, true, &len);
	is_int(wire_count(wire, len), 24, "wire: begin + 22 + end");
	nlh = wire_msg(wire, len, 0);
	is_int(nlh->nlmsg_type, NFNL_MSG_BATCH_BEGIN, "wire starts with BATCH_BEGIN");
	is_int(wire_msg(wire, len, 23)->nlmsg_type, NFNL_MSG_BATCH_END, "ends with BATCH_END");
	for (i = 1; i <= 22; i++) {
		const struct nlmsghdr *m = wire_msg(wire, len, i);

		acked += (m->nlmsg_flags & (NLM_F_ACK | NLM_F_REQUEST)) ==
			 (NLM_F_ACK | NLM_F_REQUEST) && m->nlmsg_seq == nlh->nlmsg_seq + i;
	}
	is_int(acked, 22, "every message asks for an ack, seqs consecutive");
	is_int(wire_msg(wire, len, 2)->nlmsg_type,
	       (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELTABLE, "msg 1 is DELTABLE");

	rule_exprs(wire_msg(wire, len, 15), names);
	is_str(names, "ct bitwise cmp counter target", "flow-head rule, xt target");
	r = rule_parse(wire_msg(wire, len, 15));
	if (r)
		nftnl_expr_foreach(r, rule_target_cb, &info);
	nftnl_rule_free(r);
	ok(info.queuenum == 5 && info.queues_total == 2 && info.flags == 3,
	   "NFQUEUE v3 info: num 5, total 2, bypass|fanout");

	wire = igd_nft_batch_wire(b, false, &len);
	is_int(wire_count(wire, len), 23, "check-only wire has no BATCH_END");
	igd_nft_batch_free(b);
}

static void test_native_all(void)
{
	struct igd_hooks_cfg c = { .all_packets = true };
	struct igd_nft_batch *b = igd_nft_batch_alloc();
	const void *wire;
	char names[256];
	size_t len;

	is_int(put_queue_rules(b, &c, IGD_HOOKS_QUEUE_NATIVE), 0, "native put");
	wire = igd_nft_batch_wire(b, true, &len);
	rule_exprs(wire_msg(wire, len, 1), names);
	is_str(names, "counter queue", "every-packet rule, native queue");
	igd_nft_batch_free(b);

	b = igd_nft_batch_alloc();
	is_int(igd_hooks_put_remove(b, NULL, 0), 0, "remove put");
	is_int(igd_nft_batch_count(b), 4, "remove: add+delete per family");
	is_str(igd_nft_batch_what(b, 3), "delete table ip6 ipsecguard", "remove msg 3");
	igd_nft_batch_free(b);
}

/* Appends to @buf an ack for @seq with @error and, if @msg, extended-ack TLVs. */
static size_t ack_put(char *buf, size_t off, uint32_t seq, int error,
		      const char *msg, int attr_off)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + off);
	struct nlmsgerr *e;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_pid = PORTID;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_flags = NLM_F_CAPPED;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = error;
	e->msg.nlmsg_len = sizeof(struct nlmsghdr);
	e->msg.nlmsg_seq = seq;
	e->msg.nlmsg_pid = PORTID;
	if (msg) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
		if (attr_off >= 0)
			mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, (uint32_t)attr_off);
	}
	return off + nlh->nlmsg_len;
}

/* Byte offset, inside rule message @nlh, of its @n-th expression (1-based). */
static int expr_offset(const struct nlmsghdr *nlh, unsigned int n)
{
	const struct nlattr *a, *e;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFTA_RULE_EXPRESSIONS)
			continue;
		mnl_attr_for_each_nested(e, a) {
			if (--n == 0)
				return (int)((const char *)e - (const char *)nlh) + 4;
		}
	}
	return -1;
}

static void test_acks(void)
{
	struct igd_hooks_cfg c = { 0 };
	struct igd_nft_batch *b = igd_nft_batch_alloc();
	char *acks = calloc(1, 65536), err[256];
	const void *wire;
	uint32_t seq0;
	size_t len, off = 0;
	unsigned int i;

	is_int(igd_hooks_put_tables(b, &c), 0, "acks: tables and base chains put");
	is_int(put_queue_rules(b, &c, IGD_HOOKS_QUEUE_NATIVE), 0, "acks: queue rules put");
	wire = igd_nft_batch_wire(b, true, &len);
	seq0 = wire_msg(wire, len, 0)->nlmsg_seq;

	for (i = 0; i < 22; i++)
		off = ack_put(acks, off, seq0 + 1 + i, 0, NULL, -1);
	is_int(igd_nft_batch_parse_acks(b, acks, off, PORTID), 22, "22 acks read");
	is_int(igd_nft_batch_error(b, err, sizeof(err)), 0, "all acked: no error");
	is_int(igd_nft_batch_result(b, 21), 0, "last message ok");

	off = 0;
	for (i = 0; i < 22; i++)
		off = ack_put(acks, off, seq0 + 1 + i, i == 14 ? -ENOENT : 0,
			      i == 14 ? "no such expression" : NULL,
			      i == 14 ? expr_offset(wire_msg(wire, len, 15), 5) : -1);
	is_int(igd_nft_batch_parse_acks(b, acks, off, PORTID), 22, "acks with a failure");
	is_int(igd_nft_batch_result(b, 14), -ENOENT, "msg 14 failed");
	is_int(igd_nft_batch_error(b, err, sizeof(err)), -ENOENT, "first error returned");
	is_str(err, "nft: add rule ip ipsecguard prerouting: No such file or directory"
	       " (expression 5 (queue): no such expression)",
	       "error names the message, the expression and the kernel's text");

	igd_nft_batch_free(b);
	b = igd_nft_batch_alloc();
	is_int(igd_hooks_put_remove(b, NULL, 0), 0, "acks: table removal put");
	wire = igd_nft_batch_wire(b, true, &len);
	seq0 = wire_msg(wire, len, 0)->nlmsg_seq;
	off = ack_put(acks, 0, seq0 + 1, 0, NULL, -1);
	off = ack_put(acks, off, seq0, -EBUSY, NULL, -1);
	is_int(igd_nft_batch_parse_acks(b, acks, off, PORTID), 1, "commit error is no ack");
	is_int(igd_nft_batch_error(b, err, sizeof(err)), -EBUSY, "commit error returned");
	is_str(err, "nft: commit: Device or resource busy", "commit error text");
	is_int(igd_nft_batch_parse_acks(b, acks, off, PORTID + 1), -ESRCH,
	       "ack from another port id refused");
	is_int(igd_nft_batch_parse_acks(b, acks, off - 4, PORTID), -EBADMSG,
	       "truncated ack refused");
	off = ack_put(acks, 0, seq0 + 1000, -EPERM, NULL, -1);
	is_int(igd_nft_batch_parse_acks(b, acks, off, PORTID), 0, "foreign seq ignored");
	igd_nft_batch_free(b);
	igd_nft_batch_free(NULL);
	free(acks);
}

int main(void)
{
	test_specs();
	test_cfg();
	test_install_batch();
	test_native_all();
	test_acks();
	return tap_done();
}
