/* A bounded flood of new TCP flows for the enforcement tests: COUNT SYNs from SRC to
 * DST:DPORT over a raw IPv4 socket, each from its own source port (a flow head of its
 * own for conntrack), as fast as the socket takes them.  Prints how many were sent.
 *
 *   synflood_tool SRC DST DPORT COUNT
 *
 * Only for addresses of the test's own namespaces: it sends nothing else. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static uint16_t flood_csum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* IPv4 + TCP SYN with an MSS option, the TCP checksum over the pseudo header. */
static size_t flood_build(uint8_t *buf, struct in_addr src, struct in_addr dst,
			  uint16_t sport, uint16_t dport, uint32_t seq)
{
	struct iphdr *ip = (struct iphdr *)buf;
	struct tcphdr *th = (struct tcphdr *)(buf + sizeof(*ip));
	uint8_t *opt = (uint8_t *)(th + 1);
	size_t tlen = sizeof(*th) + 4;
	uint32_t sum = 0;

	memset(buf, 0, sizeof(*ip) + tlen);
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_TCP;
	ip->tot_len = htons((uint16_t)(sizeof(*ip) + tlen));
	ip->saddr = src.s_addr;
	ip->daddr = dst.s_addr;
	th->source = htons(sport);
	th->dest = htons(dport);
	th->seq = htonl(seq);
	th->doff = (uint16_t)(tlen / 4);
	th->syn = 1;
	th->window = htons(64240);
	opt[0] = 2;		/* MSS, length 4, 1460 */
	opt[1] = 4;
	opt[2] = 1460 >> 8;
	opt[3] = 1460 & 0xff;
	sum += ntohs((uint16_t)(src.s_addr >> 16)) + ntohs((uint16_t)(src.s_addr & 0xffff));
	sum += ntohs((uint16_t)(dst.s_addr >> 16)) + ntohs((uint16_t)(dst.s_addr & 0xffff));
	sum += IPPROTO_TCP + (uint32_t)tlen;
	th->check = flood_csum(th, tlen, sum);
	return sizeof(*ip) + tlen;
}

static int flood_num(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno || end == s || *end || *v > max ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	unsigned long dport, count, i, sent = 0;
	struct in_addr src, dst;
	uint8_t buf[64];
	int fd, one = 1;

	if (argc != 5 || inet_pton(AF_INET, argv[1], &src) != 1 ||
	    inet_pton(AF_INET, argv[2], &dst) != 1 || flood_num(argv[3], 65535, &dport) ||
	    flood_num(argv[4], 10000000, &count)) {
		fprintf(stderr, "usage: synflood_tool SRC DST DPORT COUNT\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) < 0) {
		perror("synflood_tool: raw socket");
		return 1;
	}
	to.sin_addr = dst;
	for (i = 0; i < count; i++) {
		/* source ports 1024..65535 in turn: each SYN a new flow for a while */
		uint16_t sport = (uint16_t)(1024 + i % (65536 - 1024));
		size_t len = flood_build(buf, src, dst, sport, (uint16_t)dport,
					 (uint32_t)(i * 7919));

		if (sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) == (ssize_t)len)
			sent++;
		else if (errno != ENOBUFS && errno != EPERM)
			break;
	}
	close(fd);
	printf("%lu\n", sent);
	return sent ? 0 : 1;
}
