/* Test driver for the check-only nf_tables probes (kmod-free/nft/nft_hooks.h,
 * guard_probe.c), run inside a test's namespace:
 *
 *   probe_tool guard    what scope "protected" needs and this kernel refuses:
 *                       "missing=" and the names, "" when none
 *   probe_tool refuse   three rules, the middle ones with keys no kernel has
 *                       (rt key 0x7f, meta key 0xff): "results=0,-95,-95"
 *
 * Exit 0, or 1 with the error on stderr. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "guard/guard_rules.h"
#include "nft/nft_expr.h"
#include <linux/netfilter/nf_tables.h>

static int refuse_rule(struct nftnl_rule *r, unsigned int i, void *arg)
{
	(void)arg;
	switch (i) {
	case 0: return igd_nft_expr_rt(r, NFT_RT_XFRM, NFT_REG32_00);
	case 1: return igd_nft_expr_rt(r, 0x7f, NFT_REG32_00);
	case 2: return igd_nft_expr_meta(r, 0xff, NFT_REG32_00);
	}
	return igd_nft_expr_counter(r);
}

int main(int argc, char **argv)
{
	char names[128];
	unsigned int missing;
	int res[IGD_GUARD_NEEDS], ret;

	if (argc == 2 && !strcmp(argv[1], "guard")) {
		ret = igd_guard_probe(&missing);
		if (ret) {
			fprintf(stderr, "probe: %s\n", strerror(-ret));
			return 1;
		}
		printf("missing=%s\n", igd_guard_missing_str(missing, names, sizeof(names)));
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "refuse")) {
		ret = igd_hooks_probe_rules(refuse_rule, IGD_GUARD_NEEDS, NULL, res);
		if (ret) {
			fprintf(stderr, "probe: %s\n", strerror(-ret));
			return 1;
		}
		printf("results=%d,%d,%d,%d,%d\n", res[0], res[1], res[2], res[3], res[4]);
		printf("missing=%s\n", igd_guard_missing_str(igd_guard_missing_of(res), names,
							     sizeof(names)));
		return 0;
	}
	fprintf(stderr, "usage: probe_tool guard|refuse\n");
	return 2;
}
