/* ipsecguard doctor: a static audit of the live gateway, no packet sent.  Each finding
 * has an id, a severity, the evidence (the SP, the rule, the setting), what will
 * happen to traffic, and the command that fixes it. */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <netinet/in.h>
#include <linux/xfrm.h>
#include "cli.h"
#include "doctor/nat_predict.h"
#include "mtu/route_mtu.h"
#include "natfix/natfix.h"

#define DOCTOR_MAX	256
#define DOCTOR_NAT_MAX	8	/* nat chains reported per SP */
#define DOCTOR_EXIT_WARNING	3
#define DOCTOR_EXIT_CRITICAL	4

enum severity { SEV_INFO, SEV_WARNING, SEV_CRITICAL };

static const char *const sev_names[] = { "info", "warning", "critical" };

struct finding {
	enum severity sev;
	const char *id;
	const struct igd_sp *sp;	/* NULL when not about one SP */
	char evidence[512];
	char effect[256];
	char fix[512];
};

struct doctor {
	struct finding f[DOCTOR_MAX];
	unsigned int n, dropped;
	bool json;
};

void cmd_doctor_help(FILE *f)
{
	fprintf(f,
		"NAME\n"
		"    ipsecguard doctor - find what will break IPsec on this gateway, before\n"
		"    traffic does\n"
		"\n"
		"SYNOPSIS\n"
		"    ipsecguard doctor [--json]\n"
		"\n"
		"DESCRIPTION\n"
		"    Reads the kernel's security policies and SAs, the nat rules (nf_tables:\n"
		"    native nft and iptables-nft; iptables-legacy) and the IPsec-related\n"
		"    settings, sends no packet, and reports:\n"
		"\n"
		"    nat-before-ipsec (critical)\n"
		"        a nat postrouting rule translates the traffic of a protecting out SP\n"
		"        before the kernel redoes the policy lookup on the new source: the\n"
		"        packets leave in clear, or through another tunnel.  Rules are walked\n"
		"        in order against the SP's selector, its route's output interface and\n"
		"        its tunnel (rt ipsec, -m policy --pol ipsec|none: transformed, unless\n"
		"        its templates are all optional and have no SA); an earlier accept or\n"
		"        return that covers the whole selector exempts it (the exemptions\n"
		"        `ipsecguard fixes` and `ipsecguardd --mode fix` insert count).\n"
		"    nat-may-translate (warning)\n"
		"        the same where a condition cannot be decided for every packet of the\n"
		"        selector (part of its prefix or ports, a set, a mark, a jump): the\n"
		"        finding names the condition.\n"
		"    ip-forward-off (critical)\n"
		"        forward policies exist but the kernel does not forward that family.\n"
		"    sa-missing (warning)\n"
		"        an out SP requires a template for which no SA exists: its traffic is\n"
		"        held or dropped until IKE negotiates one.\n"
		"    xfrm-disabled (warning)\n"
		"        disable_xfrm or disable_policy set on an interface: packets through\n"
		"        it skip IPsec processing.\n"
		"\n"
		"OPTIONS\n"
		"    --json         one JSON object: {\"findings\": [...], \"worst\": ...}\n"
		"    -h, --help     this text\n"
		"\n"
		"EXIT STATUS\n"
		"    0 nothing worse than info; 3 a warning; 4 a critical finding;\n"
		"    1 system error (needs CAP_NET_ADMIN); 2 bad usage.\n");
}

static struct finding *doctor_add(struct doctor *d, enum severity sev, const char *id,
				  const struct igd_sp *sp)
{
	struct finding *f;

	if (d->n == DOCTOR_MAX) {
		d->dropped++;
		return NULL;
	}
	f = &d->f[d->n++];
	memset(f, 0, sizeof(*f));
	f->sev = sev;
	f->id = id;
	f->sp = sp;
	return f;
}

static const char *sp_str(const struct igd_sp *sp, char *buf, size_t len)
{
	char sel[IGD_NATFIX_SEL_MAX];

	snprintf(buf, len, "out SP %u %s reqid %u", sp->index,
		 igd_natfix_sel_str(&sp->sel, sel, sizeof(sel)),
		 sp->ntmpl ? sp->tmpl[0].reqid : 0);
	return buf;
}

/* ---- SAs ---- */

static bool sa_for_tmpl(const struct igd_sad *sad, const struct igd_tmpl *t)
{
	const struct igd_sa *sa;

	for (sa = igd_sad_next(sad, NULL); sa; sa = igd_sad_next(sad, sa)) {
		if (sa->proto != t->proto || (t->reqid && sa->reqid != t->reqid) ||
		    (t->spi && sa->spi != t->spi))
			continue;
		if (t->mode == XFRM_MODE_TUNNEL && t->family &&
		    memcmp(&sa->daddr, &t->daddr, sizeof(sa->daddr)))
			continue;
		return true;
	}
	return false;
}

/* Whether the SP's packets are transformed when they flow: a required template
 * without SA holds them back (no leak); only templates that are all optional and
 * without SA let them leave untransformed. */
static bool sp_transformed(const struct igd_sp *sp, const struct igd_sad *sad)
{
	unsigned int i;

	for (i = 0; i < sp->ntmpl; i++)
		if (!sp->tmpl[i].optional || sa_for_tmpl(sad, &sp->tmpl[i]))
			return true;
	return false;
}

/* ---- nat before ipsec ---- */

/* The output interface the kernel's route gives the SP's destination. */
static void route_oif(const struct igd_sel *sel, char *name, uint32_t *oif)
{
	struct igd_route_query q = { .family = sel->family, .dst = sel->daddr };
	static uint8_t buf[IGD_RTNL_BUF_SIZE];
	struct igd_route_mtu r;
	struct igd_rtnl rt;

	name[0] = '\0';
	*oif = 0;
	if (igd_rtnl_open(&rt))
		return;
	if (!igd_route_mtu_get(&rt, &q, &r, buf, sizeof(buf)) && r.oif &&
	    if_indextoname(r.oif, name))
		*oif = r.oif;
	igd_rtnl_close(&rt);
}

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

static int check_nat(struct doctor *d, const struct igd_spd *spd, const struct igd_sad *sad)
{
	struct igd_nat_finding nf[DOCTOR_NAT_MAX];
	const struct igd_sp *sp;
	char err[256], oifname[IF_NAMESIZE + 1], sb[IGD_NATFIX_SEL_MAX + 64];
	int n, i;

	igd_spd_for_each(spd, sp, IGD_DIR_OUT) {
		struct igd_nat_ctx c = { .sel = &sp->sel, .oifname = oifname,
					 .transformed = sp_transformed(sp, sad) };
		struct finding *f;

		if (!igd_sp_protecting(sp))
			continue;
		route_oif(&sp->sel, oifname, &c.oif);
		n = igd_nat_predict(&c, nf, DOCTOR_NAT_MAX, err, sizeof(err));
		if (n < 0) {
			fprintf(stderr, "ipsecguard doctor: %s\n", err);
			return CLI_EXIT_FAIL;
		}
		for (i = 0; i < n; i++) {
			bool sure = nf[i].outcome == IGD_TRI_ALWAYS;

			f = doctor_add(d, sure ? SEV_CRITICAL : SEV_WARNING,
				       sure ? "nat-before-ipsec" : "nat-may-translate", sp);
			if (!f)
				break;
			if (nf[i].rule[0])
				snprintf(f->evidence, sizeof(f->evidence), "%s: %s nat %s rule %llu: %s",
					 sp_str(sp, sb, sizeof(sb)), nf[i].backend, nf[i].chain,
					 (unsigned long long)nf[i].handle, nf[i].rule);
			else
				snprintf(f->evidence, sizeof(f->evidence),
					 "%s: %s rule handle %llu in %s %s %s%s%s",
					 sp_str(sp, sb, sizeof(sb)), nf[i].backend,
					 (unsigned long long)nf[i].handle, nf[i].family, nf[i].table,
					 nf[i].chain, sure ? "" : "; undecided: ", sure ? "" : nf[i].why);
			snprintf(f->effect, sizeof(f->effect),
				 "the rule %s the SP's traffic%s%s before the policy lookup is "
				 "redone on the new source: its packets leave in clear (or through "
				 "another SP's tunnel)", sure ? "translates" : "may translate",
				 oifname[0] ? " leaving " : "", oifname);
			nat_fix_cmd(f->fix, sizeof(f->fix), &nf[i], &sp->sel);
		}
	}
	return 0;
}

/* ---- kernel settings ---- */

static int read_int(const char *path, int *v)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%d", v) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

static void check_forward(struct doctor *d, const struct igd_spd *spd)
{
	static const char *const paths[] = {
		"/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv6/conf/all/forwarding",
	};
	const struct igd_sp *sp;
	bool fwd[2] = { false, false };
	struct finding *f;
	int i, v;

	igd_spd_for_each(spd, sp, IGD_DIR_FWD)
		fwd[sp->sel.family == 6] = true;
	for (i = 0; i < 2; i++) {
		if (!fwd[i] || read_int(paths[i], &v) || v)
			continue;
		f = doctor_add(d, SEV_CRITICAL, "ip-forward-off", NULL);
		if (!f)
			return;
		snprintf(f->evidence, sizeof(f->evidence), "%s = 0 with IPv%d fwd policies present",
			 paths[i], i ? 6 : 4);
		snprintf(f->effect, sizeof(f->effect),
			 "the gateway forwards nothing of that family: decapsulated packets "
			 "never reach the protected network, nothing reaches the tunnel");
		snprintf(f->fix, sizeof(f->fix), "sysctl -w %s=1", i ?
			 "net.ipv6.conf.all.forwarding" : "net.ipv4.ip_forward");
	}
}

static void check_xfrm_disabled(struct doctor *d)
{
	static const char *const keys[] = { "disable_xfrm", "disable_policy" };
	char path[320];
	struct dirent *e;
	DIR *dir = opendir("/proc/sys/net/ipv4/conf");
	struct finding *f;
	unsigned int k;
	int v;

	if (!dir)
		return;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "lo") ||
		    !strcmp(e->d_name, "default"))
			continue;
		for (k = 0; k < 2; k++) {
			snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/%s", e->d_name,
				 keys[k]);
			if (read_int(path, &v) || !v)
				continue;
			f = doctor_add(d, SEV_WARNING, "xfrm-disabled", NULL);
			if (!f)
				break;
			snprintf(f->evidence, sizeof(f->evidence), "%s = %d", path, v);
			snprintf(f->effect, sizeof(f->effect), k ?
				 "packets arriving on %s skip the inbound policy check" :
				 "packets leaving through %s are never transformed", e->d_name);
			snprintf(f->fix, sizeof(f->fix), "sysctl -w net.ipv4.conf.%s.%s=0",
				 e->d_name, keys[k]);
		}
	}
	closedir(dir);
}

static void check_sa_missing(struct doctor *d, const struct igd_spd *spd,
			     const struct igd_sad *sad)
{
	const struct igd_sp *sp;
	char sb[IGD_NATFIX_SEL_MAX + 64];
	struct finding *f;
	unsigned int i;

	igd_spd_for_each(spd, sp, IGD_DIR_OUT) {
		for (i = 0; i < sp->ntmpl; i++) {
			if (sp->tmpl[i].optional || sa_for_tmpl(sad, &sp->tmpl[i]))
				continue;
			f = doctor_add(d, SEV_WARNING, "sa-missing", sp);
			if (!f)
				return;
			snprintf(f->evidence, sizeof(f->evidence), "%s: template %u (%s, reqid %u) "
				 "has no SA", sp_str(sp, sb, sizeof(sb)), i,
				 igd_xfrm_proto_str(sp->tmpl[i].proto), sp->tmpl[i].reqid);
			snprintf(f->effect, sizeof(f->effect),
				 "the SP's traffic is held or dropped until IKE negotiates an SA "
				 "(an ACQUIRE is pending, or the tunnel is down)");
			snprintf(f->fix, sizeof(f->fix),
				 "bring the tunnel up (swanctl --initiate ..., ipsec up ...) and read "
				 "`ipsecguard monitor` for ACQUIREs");
			break;
		}
	}
}

/* ---- output ---- */

static void print_text(const struct doctor *d)
{
	unsigned int i;

	for (i = 0; i < d->n; i++) {
		const struct finding *f = &d->f[i];

		printf("%-8s %s\n    evidence: %s\n    effect:   %s\n    fix:      %s\n",
		       sev_names[f->sev], f->id, f->evidence, f->effect, f->fix);
	}
	if (!d->n)
		printf("no findings\n");
	if (d->dropped)
		printf("(%u more findings not shown)\n", d->dropped);
}

static void print_json(const struct doctor *d, enum severity worst)
{
	static char buf[1 << 20];
	struct igd_json j;
	unsigned int i;

	igd_json_init(&j, buf, sizeof(buf));
	igd_json_obj_open(&j, NULL);
	igd_json_arr_open(&j, "findings");
	for (i = 0; i < d->n; i++) {
		const struct finding *f = &d->f[i];

		igd_json_obj_open(&j, NULL);
		igd_json_str(&j, "id", f->id);
		igd_json_str(&j, "severity", sev_names[f->sev]);
		if (f->sp)
			cli_json_sp(&j, "sp", f->sp);
		igd_json_str(&j, "evidence", f->evidence);
		igd_json_str(&j, "effect", f->effect);
		igd_json_str(&j, "fix", f->fix);
		igd_json_obj_close(&j);
	}
	igd_json_arr_close(&j);
	igd_json_str(&j, "worst", d->n ? sev_names[worst] : "none");
	igd_json_uint(&j, "not_shown", d->dropped);
	igd_json_obj_close(&j);
	if (igd_json_finish(&j))
		printf("%.*s\n", (int)igd_json_len(&j), buf);
}

static const struct option doctor_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_doctor(int argc, char **argv)
{
	struct igd_xfrm_mirror_cfg cfg = { .no_events = true };
	static struct doctor d;
	struct igd_xfrm_mirror *m;
	enum severity worst = SEV_INFO;
	unsigned int i;
	int opt, rc;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", doctor_opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			d.json = true;
			break;
		case 'h':
			cmd_doctor_help(stdout);
			return 0;
		default:
			return cli_usage_error(argv[optind - 1], "unknown option (see --help)");
		}
	}
	if (optind < argc)
		return cli_usage_error(argv[optind], "unexpected argument");
	rc = cli_mirror_open(&m, &cfg);
	if (rc)
		return rc;
	rc = check_nat(&d, igd_xfrm_mirror_spd(m), igd_xfrm_mirror_sad(m));
	if (!rc) {
		check_forward(&d, igd_xfrm_mirror_spd(m));
		check_sa_missing(&d, igd_xfrm_mirror_spd(m), igd_xfrm_mirror_sad(m));
		check_xfrm_disabled(&d);
		for (i = 0; i < d.n; i++)
			if (d.f[i].sev > worst)
				worst = d.f[i].sev;
		if (d.json)
			print_json(&d, worst);
		else
			print_text(&d);
		rc = worst == SEV_CRITICAL ? DOCTOR_EXIT_CRITICAL :
		     worst == SEV_WARNING ? DOCTOR_EXIT_WARNING : 0;
	}
	igd_xfrm_mirror_close(m);
	return rc;
}
