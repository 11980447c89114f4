/* libFuzzer harness for the iptables-legacy rule text the fixer reads back
 * (`iptables -S POSTROUTING` lines): splitting and recognising never crash, and a line
 * recognised as one of our exemptions round-trips: the rule the fixer would insert for
 * the decoded selector, printed the way iptables -S prints it, decodes to the same
 * selector and SP.  The first input byte picks the family; the rest is the line. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "natfix/natfix_legacy_line.h"
#include "fuzz.h"

/* Appends @w to @out as iptables -S quotes a word: in "..." with \" and \\ escaped
 * when it holds a space or a quote. */
static void put_word(char *out, size_t size, const char *w)
{
	size_t o = strlen(out);
	bool quote = strpbrk(w, " \t\"\\") != NULL;

	if (o && o + 1 < size)
		out[o++] = ' ';
	if (quote && o + 1 < size)
		out[o++] = '"';
	for (; *w && o + 2 < size; w++) {
		if (quote && (*w == '"' || *w == '\\'))
			out[o++] = '\\';
		out[o++] = *w;
	}
	if (quote && o + 1 < size)
		out[o++] = '"';
	out[o] = '\0';
}

/* Lines as iptables-legacy prints our rules and others', family byte first. */
static const char *const seeds[] = {
	"4-A POSTROUTING -s 10.0.2.0/24 -d 192.168.0.0/16 -m comment "
	"--comment \"ipsecguard-fix sp=3\" -j RETURN",
	"4-A POSTROUTING -s 10.0.2.0/24 -d 192.168.0.0/16 -p tcp -m tcp --sport 22 "
	"--dport 8080 -m comment --comment \"ipsecguard-fix sp=4294967295\" -j RETURN",
	"6-A POSTROUTING -s fd00:2::/64 -d fd00:99::/48 -p ipv6-icmp -m comment "
	"--comment \"ipsecguard-fix sp=0\" -j RETURN",
	"4-A POSTROUTING -o eth0 -j MASQUERADE",
	"4-A POSTROUTING -s 10.0.0.0/8 -m comment --comment \"a \\\"quoted\\\" one\" -j SNAT --to-source 1.2.3.4",
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_seed_texts(seeds, sizeof(seeds) / sizeof(seeds[0]));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct natfix_legacy_line l, l2;
	static struct natfix_legacy_args a;
	static char line[4096], again[4096];
	struct igd_natfix_rule r, r2;
	unsigned int i;
	int family;

	if (size < 1 || size > sizeof(line))
		return 0;
	family = data[0] & 1 ? 6 : 4;
	memcpy(line, data + 1, size - 1);
	line[size - 1] = '\0';
	if (natfix_legacy_split(line, &l) < 0)
		return 0;
	FUZZ_CHECK(l.n < NATFIX_LEGACY_ARGV_MAX);
	for (i = 0; i < l.n; i++)
		FUZZ_CHECK(l.tok[i] >= l.buf && l.tok[i] < l.buf + sizeof(l.buf));
	if (natfix_legacy_decode(&l, family, &r) < 0)
		return 0;
	FUZZ_CHECK(r.sel.family == family);
	FUZZ_CHECK(r.kind == IGD_NATFIX_IPT_LEGACY);

	natfix_legacy_args(&a, &r.sel, r.sp_index);
	FUZZ_CHECK(a.argc >= 3 && a.argc < NATFIX_LEGACY_ARGV_MAX && !a.argv[a.argc]);
	again[0] = '\0';
	put_word(again, sizeof(again), "-A");
	put_word(again, sizeof(again), NATFIX_LEGACY_CHAIN);
	for (i = 3; i < a.argc; i++)		/* after "-I POSTROUTING 1" */
		put_word(again, sizeof(again), a.argv[i]);
	FUZZ_CHECK(natfix_legacy_split(again, &l2) == 0);
	FUZZ_CHECK(natfix_legacy_decode(&l2, family, &r2) == 0);
	FUZZ_CHECK(igd_natfix_sel_equal(&r.sel, &r2.sel));
	FUZZ_CHECK(r.sp_index == r2.sp_index);
	return 0;
}
