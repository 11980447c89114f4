/* kmod-free/util without a kernel: strict numbers, protocol names both ways, clocks. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include "tap.h"
#include "util/clock.h"
#include "util/num.h"
#include "util/proto.h"

static void check_num(void)
{
	uint32_t v = 7, lo = 0, hi = 0;

	is_int(igd_num_u32("42", 0, 100, &v), 0, "42 parses");
	is_int(v, 42, "42 is 42");
	is_int(igd_num_u32("0x10", 0, 100, &v), 0, "hex parses");
	is_int(v, 16, "0x10 is 16");
	is_int(igd_num_u32("101", 0, 100, &v), -ERANGE, "above max is a range error");
	is_int(igd_num_u32("4", 5, 100, &v), -ERANGE, "below min is a range error");
	is_int(igd_num_u32("99999999999999999999", 0, 100, &v), -ERANGE, "overflow");
	is_int(igd_num_u32("-1", 0, 100, &v), -EINVAL, "no sign");
	is_int(igd_num_u32("+1", 0, 100, &v), -EINVAL, "no plus");
	is_int(igd_num_u32(" 1", 0, 100, &v), -EINVAL, "no leading space");
	is_int(igd_num_u32("1x", 0, 100, &v), -EINVAL, "no trailing junk");
	is_int(igd_num_u32("", 0, 100, &v), -EINVAL, "empty");
	is_int(igd_num_u32(NULL, 0, 100, &v), -EINVAL, "NULL");
	is_int(igd_num_range("10-20", 0, 100, &lo, &hi), 0, "range parses");
	ok(lo == 10 && hi == 20, "range 10-20");
	is_int(igd_num_range("30", 0, 100, &lo, &hi), 0, "single value range");
	ok(lo == 30 && hi == 30, "range 30-30");
	is_int(igd_num_range("20:10", 0, 100, &lo, &hi), -ERANGE, "reversed range");
	is_int(igd_num_range("-5", 0, 100, &lo, &hi), -EINVAL, "range without start");
}

static void check_proto(void)
{
	char buf[8];
	uint8_t p = 99;
	unsigned int i;
	int bad = 0;

	is_str(igd_proto_name(IPPROTO_TCP, buf, sizeof(buf)), "tcp", "name tcp");
	is_str(igd_proto_name(IPPROTO_ICMPV6, buf, sizeof(buf)), "ipv6-icmp", "name icmpv6");
	is_str(igd_proto_name(IPPROTO_MH, buf, sizeof(buf)), "mh", "name mh");
	is_str(igd_proto_name(0, buf, sizeof(buf)), "0", "0 prints as a number");
	is_str(igd_proto_name(253, buf, sizeof(buf)), "253", "unnamed by number");
	is_str(igd_proto_name(253, NULL, 0), "?", "unnamed without a buffer");
	is_int(igd_proto_parse("icmpv6", &p), 0, "alias icmpv6");
	is_int(p, IPPROTO_ICMPV6, "icmpv6 is 58");
	is_int(igd_proto_parse("any", &p), 0, "any");
	is_int(p, 0, "any is 0");
	is_int(igd_proto_parse("255", &p), 0, "255");
	is_int(p, 255, "255 is 255");
	is_int(igd_proto_parse("256", &p), -EINVAL, "256 is not a protocol");
	is_int(igd_proto_parse("-6", &p), -EINVAL, "no sign");
	is_int(igd_proto_parse("", &p), -EINVAL, "empty");
	is_int(igd_proto_parse("no-such-protocol", &p), -EINVAL, "unknown name");
	/* every number prints as something that parses back to it */
	for (i = 0; i < 256; i++) {
		const char *n = igd_proto_name((uint8_t)i, buf, sizeof(buf));

		if (igd_proto_parse(n, &p) || p != i)
			bad++;
	}
	is_int(bad, 0, "all 256 names parse back to their number");
}

static void check_clock(void)
{
	char ts[40];
	uint64_t a = igd_now_ms(), b = igd_now_ms();

	ok(b >= a, "monotonic milliseconds do not go back");
	igd_utc_stamp(ts, sizeof(ts));
	is_int((int)strlen(ts), 27, "stamp length");
	ok(ts[4] == '-' && ts[10] == 'T' && ts[19] == '.' && ts[26] == 'Z', "stamp layout: %s", ts);
}

int main(void)
{
	check_num();
	check_proto();
	check_clock();
	return tap_done();
}
