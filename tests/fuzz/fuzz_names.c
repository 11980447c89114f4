/* libFuzzer harness for the IKE daemons' status texts the daemon reads for tunnel
 * names (swanctl --list-sas --raw, ipsec whack --status): whatever the text, the
 * parsers stay in bounds, every entry has a printable, terminated name, and lookups
 * find what was parsed. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "names/ike_names.h"
#include "fuzz.h"

static const char *const seeds[] = {
	"list-sa event {lab {uniqueid=1 child-sas {lab-1 {name=lab reqid=1 spi-in=c3b1bdfc "
	"spi-out=c8fa2551 local-ts=[10.0.2.0/24 10.0.3.0/24]}}}}\nlist-sas reply {}\n",
	"000 #2: \"west-east\"[1] 192.1.2.23 esp.8f8d6b1e@192.1.2.23 esp.d8f0c1f5@192.1.2.45\n",
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_seed_texts(seeds, sizeof(seeds) / sizeof(seeds[0]));
	return 0;
}

static void check_table(const struct igd_names *n)
{
	unsigned int i, k;

	FUZZ_CHECK(n->n <= IGD_NAMES_MAX);
	for (i = 0; i < n->n; i++) {
		const struct igd_name_ent *e = &n->e[i];

		FUZZ_CHECK(memchr(e->conn, '\0', sizeof(e->conn)));
		FUZZ_CHECK(memchr(e->child, '\0', sizeof(e->child)));
		for (k = 0; e->conn[k]; k++)
			FUZZ_CHECK(isprint((unsigned char)e->conn[k]));
		for (k = 0; e->child[k]; k++)
			FUZZ_CHECK(isprint((unsigned char)e->child[k]));
		FUZZ_CHECK(e->spi || e->reqid);
		FUZZ_CHECK(igd_names_find(n, e->spi, e->reqid) != NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct igd_names n;
	static char text[65536];

	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	igd_names_parse_swanctl(text, &n);
	check_table(&n);
	igd_names_parse_whack(text, &n);
	check_table(&n);
	return 0;
}
