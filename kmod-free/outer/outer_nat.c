/* What NAT changed of the tunnel's own packets; see outer_nat.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include "outer/outer_nat.h"
#include "util/num.h"

void igd_outer_ports_default(struct igd_outer_ports *p)
{
	p->v[0] = 500;
	p->v[1] = 4500;
	p->n = 2;
}

bool igd_outer_port_in(const struct igd_outer_ports *p, uint16_t port)
{
	unsigned int i;

	for (i = 0; i < p->n; i++)
		if (p->v[i] == port)
			return true;
	return false;
}

int igd_outer_ports_parse(struct igd_outer_ports *p, const char *s)
{
	char item[16];
	uint32_t v;

	if (!*s)
		return -EINVAL;
	while (*s) {
		size_t n = strcspn(s, ",");

		if (!n || n >= sizeof(item))
			return -EINVAL;
		memcpy(item, s, n);
		item[n] = '\0';
		if (igd_num_u32(item, 1, 65535, &v))
			return -EINVAL;
		if (!igd_outer_port_in(p, (uint16_t)v)) {
			if (p->n == IGD_OUTER_PORTS_MAX)
				return -E2BIG;
			p->v[p->n++] = (uint16_t)v;
		}
		s += n;
		if (*s == ',' && !*++s)
			return -EINVAL;
	}
	return 0;
}

unsigned int igd_outer_nat_classify(const struct igd_ct *ct, const struct igd_outer_ports *p)
{
	const struct igd_ct_tuple *o = &ct->orig, *r = &ct->reply;
	unsigned int what = 0;

	if (!ct->family || !ct->has_reply)
		return 0;
	if (o->proto == IPPROTO_ESP)
		return memcmp(&o->src, &r->dst, sizeof(o->src)) ? IGD_ONAT_ESP_SNAT : 0;
	if (o->proto != IPPROTO_UDP || !o->has_ports || !r->has_ports)
		return 0;
	/* the reply goes to what the source became, and comes from what the
	 * destination became */
	if (o->sport != r->dport && igd_outer_port_in(p, o->sport))
		what |= IGD_ONAT_SOURCE_PORT;
	if (o->dport != r->sport &&
	    (igd_outer_port_in(p, o->dport) || igd_outer_port_in(p, r->sport)))
		what |= IGD_ONAT_PORT_MAP;
	return what;
}

const char *igd_outer_nat_str(unsigned int what, char *buf, size_t len)
{
	static const char *const names[] = { "source-port", "port-map", "esp-snat" };
	size_t o = 0;
	unsigned int i;

	if (len)
		buf[0] = '\0';
	for (i = 0; i < 3 && o < len; i++)
		if (what & (1u << i))
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? "," : "", names[i]);
	return buf;
}
