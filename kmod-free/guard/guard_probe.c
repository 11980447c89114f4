/* Whether this kernel takes the expressions that classify suspects in the kernel
 * (scope "protected"); see guard_rules.h.  Each one a rule of a check-only transaction:
 * nothing is created.  The kernel refuses a key its build lacks while creating the
 * expression (nft_rt and nft_meta without CONFIG_XFRM: -EOPNOTSUPP; an absent module:
 * -ENOENT), so a plain chain that no hook reaches is enough. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "guard/guard_rules.h"
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_conntrack_tuple_common.h>
#include "nft/nft_expr.h"

static const char *const guard_need_names[] = {
	"rt ipsec", "ct status", "ct original ip saddr", "meta secpath", "meta oifkind",
};

#define GUARD_NEEDS	(sizeof(guard_need_names) / sizeof(guard_need_names[0]))
_Static_assert(GUARD_NEEDS == IGD_GUARD_NEEDS, "a name for each probed expression");

static int guard_probe_rule(struct nftnl_rule *r, unsigned int i, void *arg)
{
	(void)arg;
	switch (i) {
	case 0: return igd_nft_expr_rt(r, NFT_RT_XFRM, NFT_REG32_00);
	case 1: return igd_nft_expr_ct(r, NFT_CT_STATUS, -1, NFT_REG32_00);
	case 2: return igd_nft_expr_ct(r, NFT_CT_SRC_IP, IP_CT_DIR_ORIGINAL, NFT_REG32_00);
	case 3: return igd_nft_expr_meta(r, NFT_META_SECPATH, NFT_REG32_00);
	case 4: return igd_nft_expr_meta(r, NFT_META_OIFKIND, NFT_REG_1);
	}
	return -EINVAL;
}

unsigned int igd_guard_missing_of(const int *results)
{
	unsigned int i, missing = 0;

	for (i = 0; i < GUARD_NEEDS; i++)
		if (results[i])
			missing |= 1u << i;
	return missing;
}

int igd_guard_probe(unsigned int *missing)
{
	int res[GUARD_NEEDS];
	int ret = igd_hooks_probe_rules(guard_probe_rule, GUARD_NEEDS, NULL, res);

	*missing = ret ? 0 : igd_guard_missing_of(res);
	return ret;
}

const char *igd_guard_missing_str(unsigned int missing, char *buf, size_t len)
{
	size_t o = 0;
	unsigned int i;

	if (len)
		buf[0] = '\0';
	for (i = 0; i < GUARD_NEEDS && o < len; i++)
		if (missing & (1u << i))
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "",
					      guard_need_names[i]);
	return buf;
}
