/* ipsecguard doctor: a static audit of the live gateway, no packet sent.  Each finding
 * has an id, a severity, the evidence (the SP, the rule, the setting), what will
 * happen to traffic, and the command that fixes it. */
#include <getopt.h>
#include <string.h>
#include "judge/sp_json.h"
#include "doctor.h"
#include "util/num.h"

#define DOCTOR_EXIT_WARNING	3
#define DOCTOR_EXIT_CRITICAL	4
#define DOCTOR_SAMPLE_S		2	/* seconds of /proc/net/xfrm_stat watched */

static const char *const sev_names[] = { "info", "warning", "critical" };

void cmd_doctor_help(FILE *f)
{
	fprintf(f,
		"NAME\n"
		"    ipsecguard doctor - find what will break IPsec on this gateway, before\n"
		"    traffic does\n"
		"\n"
		"SYNOPSIS\n"
		"    ipsecguard doctor [--sample SECONDS] [--json]\n"
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
		"    tunnel-blocked (critical), tunnel-may-be-blocked (warning)\n"
		"        filter rules of the input or output hook (nf_tables: native nft and\n"
		"        iptables-nft; the iptables-legacy filter table; jumps followed, sets\n"
		"        read, each chain's policy) that\n"
		"        drop IKE (udp 500), NAT-T (udp 4500) or ESP between a tunnel's\n"
		"        endpoints; \"may\" where a condition is undecided (ct state...).\n"
		"    ip-forward-off (critical)\n"
		"        forward policies exist but the kernel does not forward that family.\n"
		"    sa-missing (warning)\n"
		"        an out SP requires a template for which no SA exists: its traffic is\n"
		"        held or dropped until IKE negotiates one.\n"
		"    xfrm-disabled (warning on a tunnel's interface, info elsewhere)\n"
		"        disable_xfrm or disable_policy set on an interface: packets through\n"
		"        it skip IPsec processing.\n"
		"    xfrm-default-block (info)\n"
		"        the kernel's default policy of a direction is block (ip xfrm policy\n"
		"        setdefault): packets no SP covers are dropped.\n"
		"    larval-drop (info)\n"
		"        net.core.xfrm_larval_drop with templates still waiting for an SA:\n"
		"        first packets are dropped while IKE negotiates.\n"
		"    reply-reqid-mismatch (critical)\n"
		"        the in or fwd SP the kernel picks for an out SP's replies asks for\n"
		"        another reqid: replies through the requests' tunnel are dropped.\n"
		"    rp-filter-strict (warning)\n"
		"        strict rp_filter on the interface where a tunnel's ESP arrives while\n"
		"        the route back to the inner source leaves by another one: the\n"
		"        decapsulated packets are dropped.\n"
		"    in-without-fwd (warning)\n"
		"        a tunnel-mode in SP for a network behind this gateway without the fwd\n"
		"        SP of the same selector: its decapsulated packets fail the forward\n"
		"        policy check (XfrmFwdHdrError / XfrmInNoPols).\n"
		"    xfrm-counter (warning)\n"
		"        a /proc/net/xfrm_stat counter that rose while doctor watched, with\n"
		"        what the kernel counted and where to look.\n"
		"    sa-unused (info)\n"
		"        an SA whose reqid no policy template asks for.\n"
		"    tunnel-mtu (info; warning when the network behind the SP has a larger\n"
		"        MTU and no rule clamps the TCP MSS)\n"
		"        per out SA: the path MTU to the peer, the largest inner packet and\n"
		"        TCP MSS the tunnel carries (ESP overhead of its algorithms).\n"
		"\n"
		"OPTIONS\n"
		"    --sample S     watch /proc/net/xfrm_stat for S seconds (default 2, 0: not)\n"
		"    --json         one JSON object: {\"findings\": [...], \"worst\": ...}\n"
		"    -h, --help     this text\n"
		"\n"
		"EXIT STATUS\n"
		"    0 nothing worse than info; 3 a warning; 4 a critical finding;\n"
		"    1 system error (needs CAP_NET_ADMIN); 2 bad usage.\n");
}

/* ---- output ---- */

static void print_text(const struct doctor *d)
{
	unsigned int i;

	for (i = 0; i < d->n; i++) {
		const struct doctor_finding *f = &d->f[i];

		printf("%-8s %s\n    evidence: %s\n    effect:   %s\n    fix:      %s\n",
		       sev_names[f->sev], f->id, f->evidence, f->effect, f->fix);
	}
	if (!d->n)
		printf("no findings\n");
	if (d->dropped)
		printf("(%u more findings not shown)\n", d->dropped);
}

static void print_json(const struct doctor *d, enum doctor_sev worst)
{
	static char buf[1 << 20];
	struct igd_json j;
	unsigned int i;

	igd_json_init(&j, buf, sizeof(buf));
	igd_json_obj_open(&j, NULL);
	igd_json_arr_open(&j, "findings");
	for (i = 0; i < d->n; i++) {
		const struct doctor_finding *f = &d->f[i];

		igd_json_obj_open(&j, NULL);
		igd_json_str(&j, "id", f->id);
		igd_json_str(&j, "severity", sev_names[f->sev]);
		if (f->sp)
			igd_json_sp(&j, "sp", f->sp, IGD_JSON_FULL);
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
	{ "sample", required_argument, NULL, 's' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_doctor(int argc, char **argv)
{
	struct igd_xfrm_mirror_cfg cfg = { .no_events = true };
	uint32_t sample = DOCTOR_SAMPLE_S;
	enum doctor_sev worst = DOCTOR_INFO;
	static struct doctor d;
	struct igd_xfrm_mirror *m;
	bool json = false;
	unsigned int i;
	int opt, rc;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", doctor_opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 's':
			if (cli_parse_u32("--sample", optarg, 3600, &sample))
				return CLI_EXIT_USAGE;
			break;
		case 'h':
			cmd_doctor_help(stdout);
			return 0;
		default:
			return cli_getopt_error(opt, argv);
		}
	}
	if (optind < argc)
		return cli_extra_argument(argv[optind]);
	rc = cli_mirror_open(&m, &cfg);
	if (rc)
		return rc;
	d.spd = igd_xfrm_mirror_spd(m);
	d.sad = igd_xfrm_mirror_sad(m);
	rc = doctor_check_nat(&d) ?: doctor_check_tunnel(&d) ?: doctor_check_kernel(&d) ?:
	     doctor_check_policy(&d) ?: doctor_check_routed(&d) ?:
	     doctor_check_counters(&d, sample);
	if (!rc) {
		for (i = 0; i < d.n; i++)
			if (d.f[i].sev > worst)
				worst = d.f[i].sev;
		if (json)
			print_json(&d, worst);
		else
			print_text(&d);
		rc = worst == DOCTOR_CRITICAL ? DOCTOR_EXIT_CRITICAL :
		     worst == DOCTOR_WARNING ? DOCTOR_EXIT_WARNING : 0;
	}
	igd_xfrm_mirror_close(m);
	return rc;
}
