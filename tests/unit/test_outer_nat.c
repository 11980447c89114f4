/* What NAT changed of IKE, NAT-T and ESP, from conntrack tuples. */
#include <errno.h>
#include <netinet/in.h>
#include "outer/outer_nat.h"
#include "tap.h"

static struct igd_ct_tuple tup(const char *s, uint16_t sp, const char *d, uint16_t dp,
			       uint8_t proto)
{
	struct igd_ct_tuple t = { .sport = sp, .dport = dp, .proto = proto,
				  .has_ports = proto == IPPROTO_UDP };

	ok(igd_addr_parse(s, &t.src) != 0, "tuple source %s parses", s);
	ok(igd_addr_parse(d, &t.dst) != 0, "tuple destination %s parses", d);
	return t;
}

static struct igd_ct ct(struct igd_ct_tuple o, struct igd_ct_tuple r)
{
	return (struct igd_ct){ .family = 4, .orig = o, .reply = r, .has_reply = true };
}

int main(void)
{
	struct igd_outer_ports p;
	struct igd_ct c;
	char b[64];

	igd_outer_ports_default(&p);
	/* MASQUERADE keeping the port: what NAT-T is for */
	c = ct(tup("10.0.2.5", 500, "198.51.100.7", 500, IPPROTO_UDP),
	       tup("198.51.100.7", 500, "172.16.0.1", 500, IPPROTO_UDP));
	is_int(igd_outer_nat_classify(&c, &p), 0, "address-only SNAT of IKE: nothing");
	c.reply.dport = 61000;
	is_int(igd_outer_nat_classify(&c, &p), IGD_ONAT_SOURCE_PORT,
	       "IKE's source port rewritten (random-fully)");
	/* DNAT udp 4500 -> 10.0.2.9:4009 */
	c = ct(tup("198.51.100.7", 4500, "172.16.0.1", 4500, IPPROTO_UDP),
	       tup("10.0.2.9", 4009, "198.51.100.7", 4500, IPPROTO_UDP));
	is_int(igd_outer_nat_classify(&c, &p), IGD_ONAT_PORT_MAP, "4500 mapped to 4009");
	c.reply.sport = 4500;
	is_int(igd_outer_nat_classify(&c, &p), 0, "an equal-port DNAT: nothing");
	/* 88 outside to 4009 inside: 88 named with an option, or the peer's NAT-T port */
	c = ct(tup("198.51.100.7", 33000, "172.16.0.1", 88, IPPROTO_UDP),
	       tup("10.0.2.9", 4009, "198.51.100.7", 33000, IPPROTO_UDP));
	is_int(igd_outer_nat_classify(&c, &p), 0, "88 -> 4009 without 88 among the ports");
	ok(igd_outer_ports_parse(&p, "88") == 0 && p.n == 3, "--ike-port 88 adds a port");
	is_int(igd_outer_nat_classify(&c, &p), IGD_ONAT_PORT_MAP, "88 -> 4009 with it");
	is_str(igd_outer_nat_str(IGD_ONAT_PORT_MAP | IGD_ONAT_SOURCE_PORT, b, sizeof(b)),
	       "source-port,port-map", "names");
	c = ct(tup("10.0.2.5", 0, "198.51.100.7", 0, IPPROTO_ESP),
	       tup("198.51.100.7", 0, "172.16.0.1", 0, IPPROTO_ESP));
	is_int(igd_outer_nat_classify(&c, &p), IGD_ONAT_ESP_SNAT, "ESP's source translated");
	c.reply.dst = c.orig.src;
	is_int(igd_outer_nat_classify(&c, &p), 0, "ESP untranslated");
	c = ct(tup("10.0.2.5", 5353, "198.51.100.7", 53, IPPROTO_UDP),
	       tup("198.51.100.7", 53, "172.16.0.1", 61000, IPPROTO_UDP));
	is_int(igd_outer_nat_classify(&c, &p), 0, "DNS translated: not the tunnel's");
	is_int(igd_outer_ports_parse(&p, "0"), -EINVAL, "port 0 refused");
	is_int(igd_outer_ports_parse(&p, "500,"), -EINVAL, "a trailing comma refused");
	is_int(igd_outer_ports_parse(&p, "1,2,3,4,5,6"), -E2BIG, "at most 8 ports");
	return tap_done();
}
