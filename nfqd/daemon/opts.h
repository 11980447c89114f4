/* ipsecguardd's options: built-in defaults, then the configuration file (config.c:
 * the long option names, one `name = value` a line), then the command line. */
#ifndef IGD_OPTS_H
#define IGD_OPTS_H
#include <stdbool.h>
#include <stdint.h>
#include "outer/outer_nat.h"
#include "nft/prefix_set.h"
#include "util/paths.h"

#define IGD_MAX_QUEUES 16
#define IGD_MAX_PROTECT 64
#define IGD_OPT_PATH_MAX 1024
#define IGD_CONFIG_DEFAULT "/etc/ipsecguard/ipsecguardd.conf"
#define IGD_REMEMBER_DEFAULT 604800	/* a week */
#define IGD_VERSION "0.1.0"

enum igd_mode { IGD_MODE_AUDIT, IGD_MODE_ENFORCE, IGD_MODE_FIX };
enum igd_mss_mode { IGD_MSS_OFF, IGD_MSS_AUTO, IGD_MSS_FIXED };
enum igd_pre_nat_tap {
	IGD_PRE_NAT_TAP_AUTO, IGD_PRE_NAT_TAP_ON, IGD_PRE_NAT_TAP_OFF, IGD_PRE_NAT_TAP_MAP,
};

struct igd_opts {
	uint32_t queue_lo, queue_hi;
	enum igd_mode mode;
	enum igd_mss_mode mss_mode;
	uint32_t mss;
	char log[IGD_OPT_PATH_MAX];	/* "-", "syslog" or a path */
	bool no_hooks;
	int scope;			/* enum igd_scope */
	uint32_t mark_mask;		/* mark field for tokens and flags */
	bool fail_closed;
	bool log_pass;			/* log verdicts of clean packets too */
	bool log_healthy;		/* pass lines of healthy protected flow heads,
					 * from nflog copies */
	bool no_outer;			/* no outer rules (IKE/NAT-T/ESP NAT, fragments) */
	struct igd_outer_ports ike_ports;	/* 500, 4500 and --ike-port */
	char table[65];
	int table_hold;			/* enum igd_hold: auto probes */
	uint32_t maxlen, copy_range, rcvbuf;
	uint32_t stats_interval;	/* seconds, 0 = off */
	char metrics_file[IGD_OPT_PATH_MAX];	/* "" = none */
	uint32_t metrics_interval;	/* seconds */
	uint32_t log_group;		/* nfnetlink_log group of the clamp copies */
	int pre_nat_tap;		/* enum igd_pre_nat_tap */
	char user[64];			/* "": stay root */
	char config[IGD_OPT_PATH_MAX];	/* the file read, "" when none */
	int tunnel_names;		/* enum igd_names_src */
	char vici[256];			/* swanctl --uri, "" */
	bool check_config;		/* --check-config: validate, do not run */
	struct igd_prefix protect[IGD_MAX_PROTECT];	/* --protect */
	unsigned int nprotect;
	bool drop_uncovered;		/* enforce drops sp-miss-out towards SP
					 * destinations too (judge/outbound.h) */
	uint32_t remember;		/* seconds an SP's protection outlives it */
	char state_dir[IGD_OPT_PATH_MAX];
	char remember_from[IGD_OPT_PATH_MAX];	/* another daemon's remembered file, "" */
	char control[108];		/* the control socket (sun_path) */
	uint32_t xstat_interval;	/* seconds between xfrm_stat reads, 0 = off */
	uint32_t oneway_hold;		/* seconds of one-way traffic before an event */
};

/* Fills @o from the defaults, the configuration file (--config FILE, else
 * IGD_CONFIG_DEFAULT when it exists) and argv, which overrides the file (a list option
 * given there — --protect, --ike-port — replaces the file's list).  Returns 0 to run,
 * 1 when --help/--version was handled, or 2 after printing a message that names the
 * bad option, and the file and line for a bad file (the exit status to use). */
int igd_opts_parse(struct igd_opts *o, int argc, char **argv);
/* One long option by name, as the configuration file gives it (@where: "FILE:LINE"
 * for messages); options without an argument take yes/no (true/false, on/off, 1/0).
 * 0, or 2 after printing why. */
int igd_opts_set(struct igd_opts *o, const char *name, const char *value, const char *where);
/* The message of the last error printed (for the log of a failed reload). */
const char *igd_opts_error(void);
/* Prints @msg as an option error and keeps it for igd_opts_error(); returns 2. */
int igd_opts_report(const char *msg);
const char *igd_mode_name(enum igd_mode m);
#endif
