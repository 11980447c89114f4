/* NAT exemptions: the entry points, nf_tables first, then iptables-legacy.
 * See natfix.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "natfix_int.h"

void natfix_res_add(struct igd_natfix_result *res, const struct igd_natfix_rule *r)
{
	if (res->n < IGD_NATFIX_RES_MAX)
		res->rules[res->n++] = *r;
}

int igd_natfix_apply(const struct igd_sel *sel, uint32_t sp_index,
		     struct igd_natfix_result *res, char *err, size_t errlen)
{
	struct igd_natfix_result local;
	struct igd_sel norm;
	int ret;

	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	if (errlen)
		err[0] = '\0';
	ret = igd_natfix_sel_norm(sel, &norm, err, errlen);
	if (ret < 0)
		return ret;
	ret = natfix_nft_apply(&norm, sp_index, res, err, errlen);
	if (ret < 0)
		return ret;
	ret = natfix_legacy_apply(&norm, sp_index, res, err, errlen);
	if (ret < 0)
		return ret;
	return (int)res->inserted;
}

int igd_natfix_list(igd_natfix_cb cb, void *data, char *err, size_t errlen)
{
	int n, m;

	if (errlen)
		err[0] = '\0';
	n = natfix_nft_list(cb, data, err, errlen);
	if (n < 0)
		return n;
	m = natfix_legacy_list(cb, data, err, errlen);
	if (m < 0)
		return m;
	return n + m;
}

int igd_natfix_revert(const uint32_t *sp, unsigned int *count, char *err, size_t errlen)
{
	unsigned int n = 0;
	int ret;

	if (errlen)
		err[0] = '\0';
	ret = natfix_nft_revert(sp, &n, err, errlen);
	if (!ret)
		ret = natfix_legacy_revert(sp, &n, err, errlen);
	if (count)
		*count = n;
	return ret;
}
