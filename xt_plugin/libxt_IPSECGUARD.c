// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * IPSECGUARD: hand packets to ipsecguardd without a kernel module of our
 * own.  The target is an alias of the kernel's NFQUEUE (revision 3, or 2
 * on kernels without CPU fanout): what the kernel stores is an ordinary
 * NFQUEUE rule, and iptables -L / iptables-save show it as one.
 *
 * Two things differ from a bare -j NFQUEUE:
 *  - fail-open by default: --queue-bypass is implied, so a gateway keeps
 *    forwarding while the daemon is down.  --fail-closed drops instead.
 *  - --role: the tap's role, encoded in the queue number (the kernel keeps
 *    no other free bits in NFQUEUE's data); see kmod-free/packet/tap_role.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <xtables.h>
#include <linux/netfilter/xt_NFQUEUE.h>

#include "packet/tap_role.h"

enum {
	O_QUEUE_NUM = 0,
	O_QUEUE_BALANCE,
	O_QUEUE_BYPASS,
	O_QUEUE_CPU_FANOUT,
	O_FAIL_CLOSED,
	O_ROLE,
	F_QUEUE_NUM		= 1 << O_QUEUE_NUM,
	F_QUEUE_BALANCE		= 1 << O_QUEUE_BALANCE,
	F_QUEUE_BYPASS		= 1 << O_QUEUE_BYPASS,
	F_FAIL_CLOSED		= 1 << O_FAIL_CLOSED,
};

/* What the options said, kept until x6_fcheck places the role's block. */
struct igd_xt_udata {
	uint32_t base;
	uint32_t width;
	unsigned int role;
};

static const struct xt_option_entry igd_xt_opts[] = {
	{.name = "queue-num", .id = O_QUEUE_NUM, .type = XTTYPE_UINT16,
	 .excl = F_QUEUE_BALANCE},
	{.name = "queue-balance", .id = O_QUEUE_BALANCE,
	 .type = XTTYPE_UINT16RC, .excl = F_QUEUE_NUM},
	{.name = "queue-bypass", .id = O_QUEUE_BYPASS, .type = XTTYPE_NONE,
	 .excl = F_FAIL_CLOSED},
	{.name = "queue-cpu-fanout", .id = O_QUEUE_CPU_FANOUT,
	 .type = XTTYPE_NONE, .also = F_QUEUE_BALANCE},
	{.name = "fail-closed", .id = O_FAIL_CLOSED, .type = XTTYPE_NONE,
	 .excl = F_QUEUE_BYPASS},
	{.name = "role", .id = O_ROLE, .type = XTTYPE_STRING},
	XTOPT_TABLEEND,
};

static void igd_xt_help(void)
{
	printf(
"IPSECGUARD target options (an alias of NFQUEUE that feeds ipsecguardd):\n"
"  --queue-num N               base queue of the daemon (default 0)\n"
"  --queue-balance A:B         balance flows over queues A..B\n"
"  --queue-cpu-fanout          pick the queue by CPU (needs --queue-balance)\n"
"  --queue-bypass              accept packets while no daemon listens\n"
"                              (the default: gateways fail open)\n"
"  --fail-closed               drop packets while no daemon listens\n"
"  --role ROLE                 what the rule matched; the daemon cannot see it\n"
"       auto       nothing; the daemon uses the hook and conntrack (default)\n"
"       in-ipsec   decapsulated packets   (-m policy --dir in --pol ipsec)\n"
"       in-clear   arrived without IPsec  (-m policy --dir in --pol none)\n"
"       out-ipsec  will be transformed    (-m policy --dir out --pol ipsec)\n"
"       out-clear  will leave in clear    (-m policy --dir out --pol none)\n"
"The role lives in the queue number: with base B and W queues (W = 1 for\n"
"--queue-num), role R uses queues B+R*W .. B+R*W+W-1, roles numbered in\n"
"the order above from 0.  The kernel stores an NFQUEUE rule, so listings\n"
"and iptables-save show it as -j NFQUEUE with the resulting queue, which\n"
"restores to the same rule:\n"
"  -j IPSECGUARD --role out-clear  is saved as\n"
"  -j NFQUEUE --queue-num 4 --queue-bypass\n");
}

static void igd_xt_init(struct xt_entry_target *t)
{
	struct xt_NFQ_info_v3 *info = (void *)t->data;

	info->queuenum = 0;
	info->queues_total = 1;
	info->flags = NFQ_FLAG_BYPASS;
}

static void igd_xt_parse_balance(struct xt_option_call *cb)
{
	struct igd_xt_udata *ud = cb->udata;
	const uint16_t *r = cb->val.u16_range;

	if (cb->nvals != 2)
		xtables_error(PARAMETER_PROBLEM,
			      "IPSECGUARD: bad queue range \"%s\"", cb->arg);
	if (r[0] >= r[1])
		xtables_error(PARAMETER_PROBLEM,
			      "IPSECGUARD: %u should be less than %u",
			      r[0], r[1]);
	if (r[1] - r[0] + 1 > UINT16_MAX)
		xtables_error(PARAMETER_PROBLEM,
			      "IPSECGUARD: at most 65535 queues in a range");
	ud->base = r[0];
	ud->width = r[1] - r[0] + 1;
}

static void igd_xt_parse_role(struct xt_option_call *cb)
{
	struct igd_xt_udata *ud = cb->udata;
	int role = igd_tap_role_parse(cb->arg);

	if (role < 0)
		xtables_error(PARAMETER_PROBLEM,
			      "IPSECGUARD: unknown role \"%s\" (auto, in-ipsec, "
			      "in-clear, out-ipsec, out-clear)", cb->arg);
	ud->role = role;
}

static void igd_xt_parse(struct xt_option_call *cb)
{
	struct xt_NFQ_info_v3 *info = cb->data;
	struct igd_xt_udata *ud = cb->udata;

	xtables_option_parse(cb);
	switch (cb->entry->id) {
	case O_QUEUE_NUM:
		ud->base = cb->val.u16;
		break;
	case O_QUEUE_BALANCE:
		igd_xt_parse_balance(cb);
		break;
	case O_QUEUE_BYPASS:
		info->flags |= NFQ_FLAG_BYPASS;
		break;
	case O_QUEUE_CPU_FANOUT:
		info->flags |= NFQ_FLAG_CPU_FANOUT;
		break;
	case O_FAIL_CLOSED:
		info->flags &= ~NFQ_FLAG_BYPASS;
		break;
	case O_ROLE:
		igd_xt_parse_role(cb);
		break;
	}
}

/* Revision 2 has the same layout but no CPU fanout. */
static void igd_xt_parse_v2(struct xt_option_call *cb)
{
	if (cb->entry->id == O_QUEUE_CPU_FANOUT)
		xtables_error(PARAMETER_PROBLEM, "IPSECGUARD: --queue-cpu-fanout "
			      "needs NFQUEUE revision 3 (kernel too old)");
	igd_xt_parse(cb);
}

static void igd_xt_check(struct xt_fcheck_call *cb)
{
	struct xt_NFQ_info_v3 *info = cb->data;
	const struct igd_xt_udata *ud = cb->udata;
	uint32_t width = ud->width ? ud->width : 1;
	uint32_t first = igd_tap_role_queue(ud->base, width, ud->role);

	if (first + width - 1 > UINT16_MAX)
		xtables_error(PARAMETER_PROBLEM,
			      "IPSECGUARD: role %s needs queues %u..%u, beyond "
			      "65535", igd_tap_role_names[ud->role], first,
			      first + width - 1);
	info->queuenum = first;
	info->queues_total = width;
}

/* The listed form is NFQUEUE's, byte for byte: see the help text. */
static const char *igd_xt_alias(const struct xt_entry_target *t)
{
	return "NFQUEUE";
}

static void igd_xt_print(const void *ip, const struct xt_entry_target *t,
			 int numeric)
{
	const struct xt_NFQ_info_v3 *info = (const void *)t->data;

	if (info->queues_total > 1)
		printf(" NFQUEUE balance %u:%u", info->queuenum,
		       info->queuenum + info->queues_total - 1);
	else
		printf(" NFQUEUE num %u", info->queuenum);
	if (info->flags & NFQ_FLAG_BYPASS)
		printf(" bypass");
	if (info->flags & NFQ_FLAG_CPU_FANOUT)
		printf(" cpu-fanout");
}

static void igd_xt_save(const void *ip, const struct xt_entry_target *t)
{
	const struct xt_NFQ_info_v3 *info = (const void *)t->data;

	if (info->queues_total > 1)
		printf(" --queue-balance %u:%u", info->queuenum,
		       info->queuenum + info->queues_total - 1);
	else
		printf(" --queue-num %u", info->queuenum);
	if (info->flags & NFQ_FLAG_BYPASS)
		printf(" --queue-bypass");
	if (info->flags & NFQ_FLAG_CPU_FANOUT)
		printf(" --queue-cpu-fanout");
}

static int igd_xt_xlate(struct xt_xlate *xl,
			const struct xt_xlate_tg_params *params)
{
	const struct xt_NFQ_info_v3 *info = (const void *)params->target->data;
	const char *sep = " ";

	if (info->queues_total > 1)
		xt_xlate_add(xl, "queue num %u-%u", info->queuenum,
			     info->queuenum + info->queues_total - 1);
	else
		xt_xlate_add(xl, "queue num %u", info->queuenum);
	if (info->flags & NFQ_FLAG_BYPASS) {
		xt_xlate_add_nospc(xl, "%sbypass", sep);
		sep = ",";
	}
	if (info->flags & NFQ_FLAG_CPU_FANOUT)
		xt_xlate_add_nospc(xl, "%sfanout", sep);
	return 1;
}

/*
 * Not flagged XTABLES_EXT_ALIAS on purpose: the rule really is listed and
 * saved as NFQUEUE, and iptables says so once per rule on stderr.
 */
static struct xtables_target igd_xt_reg[] = {
	{
		.family		= NFPROTO_UNSPEC,
		.name		= "IPSECGUARD",
		.real_name	= "NFQUEUE",
		.revision	= 3,
		.version	= XTABLES_VERSION,
		.size		= XT_ALIGN(sizeof(struct xt_NFQ_info_v3)),
		.userspacesize	= XT_ALIGN(sizeof(struct xt_NFQ_info_v3)),
		.help		= igd_xt_help,
		.init		= igd_xt_init,
		.print		= igd_xt_print,
		.save		= igd_xt_save,
		.alias		= igd_xt_alias,
		.x6_parse	= igd_xt_parse,
		.x6_fcheck	= igd_xt_check,
		.x6_options	= igd_xt_opts,
		.xlate		= igd_xt_xlate,
		.udata_size	= sizeof(struct igd_xt_udata),
	},
	{
		.family		= NFPROTO_UNSPEC,
		.name		= "IPSECGUARD",
		.real_name	= "NFQUEUE",
		.revision	= 2,
		.version	= XTABLES_VERSION,
		.size		= XT_ALIGN(sizeof(struct xt_NFQ_info_v2)),
		.userspacesize	= XT_ALIGN(sizeof(struct xt_NFQ_info_v2)),
		.help		= igd_xt_help,
		.init		= igd_xt_init,
		.print		= igd_xt_print,
		.save		= igd_xt_save,
		.alias		= igd_xt_alias,
		.x6_parse	= igd_xt_parse_v2,
		.x6_fcheck	= igd_xt_check,
		.x6_options	= igd_xt_opts,
		.xlate		= igd_xt_xlate,
		.udata_size	= sizeof(struct igd_xt_udata),
	},
};

static __attribute__((constructor)) void igd_xt_register(void)
{
	xtables_register_targets(igd_xt_reg,
				 sizeof(igd_xt_reg) / sizeof(igd_xt_reg[0]));
}
