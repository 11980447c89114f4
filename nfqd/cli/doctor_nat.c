/* ipsecguard doctor: NAT before IPsec, predicted (kmod-free/ruleset/nat_predict.h). */
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include "doctor.h"
#include "ruleset/nat_predict.h"
#include "mtu/route_mtu.h"

#define DOCTOR_NAT_MAX	8	/* nat chains reported per SP */

static void nat_fix_cmd(char *out, size_t len, const struct igd_nat_finding *nf,
			const struct igd_sel *s)
{
	char a[IGD_ADDRSTRLEN], b[IGD_ADDRSTRLEN];
	const char *ip = s->family == 6 ? "ip6" : "ip";

	igd_addr_str(s->family, &s->saddr, a, sizeof(a));
	igd_addr_str(s->family, &s->daddr, b, sizeof(b));
	if (!strcmp(nf->backend, "nft"))
		snprintf(out, len, "nft insert rule %s %s %s %s saddr %s/%u %s daddr %s/%u return",
			 nf->family, nf->table, nf->chain, ip, a, s->plen_s, ip, b, s->plen_d);
	else
		snprintf(out, len, "%s%s -t nat -I POSTROUTING 1 -s %s/%u -d %s/%u -j RETURN",
			 s->family == 6 ? "ip6tables" : "iptables",
			 strcmp(nf->backend, "iptables-legacy") ? "" : "-legacy",
			 a, s->plen_s, b, s->plen_d);
	snprintf(out + strlen(out), len - strlen(out),
		 " (or: ipsecguard fixes apply --src %s/%u --dst %s/%u, which puts it in every "
		 "nat chain)", a, s->plen_s, b, s->plen_d);
}

int doctor_check_nat(struct doctor *d)
{
	struct igd_nat_finding nf[DOCTOR_NAT_MAX];
	const struct igd_sp *sp;
	char err[256], oifname[IF_NAMESIZE + 1] = "", sb[IGD_NATFIX_SEL_MAX + 64];
	struct igd_rtnl rt;
	bool rt_ok = igd_rtnl_open(&rt) == 0;
	int n, i, rc = 0;

	igd_spd_for_each(d->spd, sp, IGD_DIR_OUT) {
		struct igd_nat_ctx c = { .sel = &sp->sel, .oifname = oifname,
					 .transformed = doctor_sp_transformed(sp, d->sad) };
		struct doctor_finding *f;

		if (!igd_sp_protecting(sp))
			continue;
		c.oif = rt_ok ? doctor_route_dev(&rt, sp->sel.family, &sp->sel.daddr, oifname) : 0;
		n = igd_nat_predict(&c, nf, DOCTOR_NAT_MAX, err, sizeof(err));
		if (n < 0) {
			fprintf(stderr, "ipsecguard doctor: %s\n", err);
			rc = CLI_EXIT_FAIL;
			break;
		}
		for (i = 0; i < n; i++) {
			bool sure = nf[i].outcome == IGD_TRI_ALWAYS;

			f = doctor_add(d, sure ? DOCTOR_CRITICAL : DOCTOR_WARNING,
				       sure ? "nat-before-ipsec" : "nat-may-translate", sp);
			if (!f)
				break;
			if (nf[i].rule[0])
				snprintf(f->evidence, sizeof(f->evidence), "%s: %s nat %s rule %llu: %s",
					 doctor_sp_str(sp, sb, sizeof(sb)), nf[i].backend,
					 igd_nat_where(&nf[i]), (unsigned long long)nf[i].handle,
					 nf[i].rule);
			else
				snprintf(f->evidence, sizeof(f->evidence),
					 "%s: %s rule handle %llu in %s %s %s%s%s",
					 doctor_sp_str(sp, sb, sizeof(sb)), nf[i].backend,
					 (unsigned long long)nf[i].handle, nf[i].family, nf[i].table,
					 igd_nat_where(&nf[i]), sure ? "" : "; undecided: ",
					 sure ? "" : nf[i].why);
			snprintf(f->effect, sizeof(f->effect),
				 "the rule %s the SP's traffic%s%s before the policy lookup is "
				 "redone on the new source: its packets leave in clear (or through "
				 "another SP's tunnel)", sure ? "translates" : "may translate",
				 oifname[0] ? " leaving " : "", oifname);
			nat_fix_cmd(f->fix, sizeof(f->fix), &nf[i], &sp->sel);
		}
	}
	if (rt_ok)
		igd_rtnl_close(&rt);
	return rc;
}
