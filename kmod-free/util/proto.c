#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "util/num.h"
#include "util/proto.h"

/* The first entry of a number is the name it prints as; later ones are aliases. */
static const struct {
	const char *name;
	uint8_t num;
} protos[] = {
	{ "icmp", IPPROTO_ICMP },	{ "igmp", IPPROTO_IGMP },
	{ "ipip", IPPROTO_IPIP },	{ "tcp", IPPROTO_TCP },
	{ "udp", IPPROTO_UDP },		{ "dccp", IPPROTO_DCCP },
	{ "ipv6", IPPROTO_IPV6 },	{ "gre", IPPROTO_GRE },
	{ "esp", IPPROTO_ESP },		{ "ah", IPPROTO_AH },
	{ "ipv6-icmp", IPPROTO_ICMPV6 },	{ "icmpv6", IPPROTO_ICMPV6 },
	{ "mh", IPPROTO_MH },		{ "ipv6-mh", IPPROTO_MH },
	{ "sctp", IPPROTO_SCTP },	{ "udplite", IPPROTO_UDPLITE },
	{ "comp", IPPROTO_COMP },	{ "any", 0 },
};

#define NPROTOS (sizeof(protos) / sizeof(protos[0]))

const char *igd_proto_name(uint8_t proto, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < NPROTOS; i++)
		if (protos[i].num == proto && proto)
			return protos[i].name;
	if (!buf || !len)
		return "?";
	snprintf(buf, len, "%u", proto);
	return buf;
}

int igd_proto_parse(const char *s, uint8_t *out)
{
	struct protoent pe, *res = NULL;
	char buf[1024];
	uint32_t v;
	size_t i;

	if (!s || !*s)
		return -EINVAL;
	for (i = 0; i < NPROTOS; i++)
		if (!strcmp(s, protos[i].name)) {
			*out = protos[i].num;
			return 0;
		}
	if (igd_num_u32(s, 0, 255, &v) == 0) {
		*out = (uint8_t)v;
		return 0;
	}
	if (getprotobyname_r(s, &pe, buf, sizeof(buf), &res) || !res ||
	    res->p_proto < 0 || res->p_proto > 255)
		return -EINVAL;
	*out = (uint8_t)res->p_proto;
	return 0;
}
