/* Interval-set elements from prefixes: the same element list nft itself sends. */
#include <errno.h>
#include <arpa/inet.h>
#include "nft/prefix_set.h"
#include "tap.h"

static struct igd_prefix pfx4(const char *a, int plen)
{
	struct igd_prefix p = { .plen = (uint8_t)plen, .family = 4 };

	inet_pton(AF_INET, a, &p.addr.in);
	return p;
}

static const char *key4(const struct igd_set_elem *e, char *buf)
{
	inet_ntop(AF_INET, &e->key.in, buf, 16);
	return buf;
}

static void check_nft_example(void)
{
	/* nft --debug=netlink add element ... { 10.0.2.0/24, 192.168.0.0/16,
	 * 255.255.255.0/24 } sends: 0 end, 10.0.2.0, 10.0.3.0 end, 192.168.0.0,
	 * 192.169.0.0 end, 255.255.255.0 (no end: it runs to the last address) */
	struct igd_prefix p[] = { pfx4("255.255.255.0", 24), pfx4("10.0.2.0", 24),
				  pfx4("192.168.0.0", 16) };
	static const char *want[] = { "0.0.0.0", "10.0.2.0", "10.0.3.0", "192.168.0.0",
				      "192.169.0.0", "255.255.255.0" };
	static const int want_end[] = { 1, 0, 1, 0, 1, 0 };
	struct igd_set_elem e[8];
	char b[16];
	int n, i;

	n = igd_prefix_set_elems(p, 3, 4, e, 8);
	is_int(n, 6, "six elements, as nft sends");
	for (i = 0; i < n && i < 6; i++) {
		is_str(key4(&e[i], b), want[i], "element %d key", i);
		is_int(e[i].end, want_end[i], "element %d end flag", i);
	}
}

static void check_merge(void)
{
	struct igd_prefix p[] = { pfx4("10.0.0.0", 8), pfx4("10.1.2.0", 24),
				  pfx4("11.0.0.0", 8), pfx4("0.0.0.0", 1),
				  pfx4("192.168.1.77", 24) };
	struct igd_set_elem e[12];
	char b[16];
	int n;

	/* 0/1 swallows 10/8, 10.1.2/24 and 11/8 */
	n = igd_prefix_set_elems(p, 5, 4, e, 12);
	is_int(n, 4, "nested and adjacent prefixes merge");
	is_str(key4(&e[0], b), "0.0.0.0", "range starts at 0: no leading end");
	is_int(e[0].end, 0, "first is a start");
	is_str(key4(&e[1], b), "128.0.0.0", "end of 0/1");
	is_str(key4(&e[2], b), "192.168.1.0", "host bits are cleared");
	is_str(key4(&e[3], b), "192.168.2.0", "its end");
	n = igd_prefix_set_elems(p, 5, 4, e, 3);
	is_int(n, -ENOSPC, "too small an output is refused");
}

static void check_adjacent_and_v6(void)
{
	struct igd_prefix p[4] = { pfx4("10.0.0.0", 24), pfx4("10.0.1.0", 24) };
	struct igd_set_elem e[8];
	char b[64];
	int n;

	n = igd_prefix_set_elems(p, 2, 4, e, 8);
	is_int(n, 3, "two adjacent /24s become one range");
	is_str(key4(&e[2], b), "10.0.2.0", "ending after the second");
	p[2] = (struct igd_prefix){ .plen = 64, .family = 6 };
	inet_pton(AF_INET6, "fd00:168::", &p[2].addr.in6);
	p[3] = (struct igd_prefix){ .plen = 0, .family = 6 };
	n = igd_prefix_set_elems(p, 4, 6, e, 8);
	is_int(n, 1, "::/0 is one open element, and only v6 prefixes count");
	n = igd_prefix_set_elems(p, 3, 6, e, 8);
	is_int(n, 3, "one v6 prefix: leading end, start, end");
	inet_ntop(AF_INET6, &e[2].key.in6, b, sizeof(b));
	is_str(b, "fd00:168:0:1::", "v6 end is the next /64");
	is_int(igd_prefix_set_elems(p, 0, 4, e, 8), 0, "no prefixes, no elements");
}

int main(void)
{
	check_nft_example();
	check_merge();
	check_adjacent_and_v6();
	return tap_done();
}
