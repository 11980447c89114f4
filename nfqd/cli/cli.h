/* ipsecguard, the command line tool: shared helpers of the subcommands. */
#ifndef IGD_CLI_H
#define IGD_CLI_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "util/json.h"
#include "xfrm/sad.h"
#include "xfrm/spd.h"
#include "xfrm/xfrm_mirror.h"

#define CLI_EXIT_USAGE	2	/* bad options */
#define CLI_EXIT_FAIL	1	/* the system said no */

struct cli_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	void (*help)(FILE *f);
	const char *summary;
};

extern const char *cli_prog;

int cmd_lookup(int argc, char **argv);
void cmd_lookup_help(FILE *f);
int cmd_spd(int argc, char **argv);
void cmd_spd_help(FILE *f);
int cmd_monitor(int argc, char **argv);
void cmd_monitor_help(FILE *f);
int cmd_stats(int argc, char **argv);
void cmd_stats_help(FILE *f);
int cmd_fixes(int argc, char **argv);
void cmd_fixes_help(FILE *f);
int cmd_doctor(int argc, char **argv);
void cmd_doctor_help(FILE *f);
int cmd_trace(int argc, char **argv);
void cmd_trace_help(FILE *f);
int cmd_remembered(int argc, char **argv);
void cmd_remembered_help(FILE *f);

/* Prints "ipsecguard: <what>: <msg>" to stderr and returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *what, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The usage error of getopt's ':' (an option without its value) and '?' (unknown). */
int cli_getopt_error(int opt, char **argv);
/* The usage error of a word left after the options. */
int cli_extra_argument(const char *word);
/* Unsigned number in decimal or 0x-hex, within [0, max].  0 or -EINVAL (reported). */
int cli_parse_u32(const char *what, const char *s, uint32_t max, uint32_t *out);
/* Protocol name (igd_proto_parse) or number 0-255; 0 or -EINVAL (reported). */
int cli_parse_proto(const char *what, const char *s, uint8_t *out);
/* Opens a mirror; reports failures on stderr. */
int cli_mirror_open(struct igd_xfrm_mirror **m, const struct igd_xfrm_mirror_cfg *cfg);

/* Sends @req (one line) on the daemon's control socket @path and reads the whole
 * answer into @buf (NUL-terminated, *@got bytes).  0 or -errno. */
int cli_control_ask(const char *path, const char *req, char *buf, size_t len, size_t *got);
/* The value of "key": in one JSON line of the daemon's, as text (a string without its
 * quotes); NULL when absent. */
const char *cli_json_field(const char *line, const char *key, char *out, size_t len);
void cli_print_sp(FILE *f, const struct igd_sp *sp);
void cli_print_sa(FILE *f, const struct igd_sa *sa);
#endif
