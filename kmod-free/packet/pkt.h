/* Packet parsing: IPv4/IPv6 headers, then TCP, UDP, ICMP/ICMPv6, ESP and
 * UDP-encapsulated ESP.  Nothing in the packet is trusted: every length is checked
 * against the buffer, and a packet that does not parse is reported, never read past. */
#ifndef IGD_PKT_H
#define IGD_PKT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "packet/addr.h"

enum igd_pkt_err {
	IGD_PKT_OK = 0,
	IGD_PKT_ETRUNC,		/* buffer shorter than a header says */
	IGD_PKT_EVERSION,	/* not IPv4/IPv6, or family mismatch */
	IGD_PKT_EHDR,		/* a header field is impossible (IHL < 5, total length...) */
	IGD_PKT_EEXTHDR,	/* IPv6 extension header chain too long or malformed */
	IGD_PKT_EL4,		/* L4 header malformed (TCP doff, bad options...) */
	IGD_PKT_ERR_MAX
};

/* Flags in igd_pkt.flags */
#define IGD_PKT_F_FRAG		0x01	/* a fragment (any) */
#define IGD_PKT_F_FRAG_FIRST	0x02	/* the first fragment (offset 0) */
#define IGD_PKT_F_PORTS		0x04	/* sport/dport valid */
#define IGD_PKT_F_ICMP		0x08	/* icmp_type/icmp_code valid */
#define IGD_PKT_F_ESP		0x10	/* ESP header: spi/esp_seq valid */
#define IGD_PKT_F_UDP_ESP	0x20	/* ESP in UDP (RFC 3948), spi/esp_seq valid */
#define IGD_PKT_F_NATT_KA	0x40	/* NAT-T keepalive (single 0xff byte on UDP 4500) */
#define IGD_PKT_F_IKE		0x80	/* IKE on UDP 500, or on 4500 after the non-ESP marker */
#define IGD_PKT_F_TCP_MSS	0x100	/* TCP MSS option present: mss/mss_off valid */
#define IGD_PKT_F_PARTIAL	0x200	/* only the head was captured: l3_len is what we have */

#define IGD_PKT_V6_EXT_MAX	8	/* IPv6 extension headers walked before EEXTHDR */
#define IGD_PORT_IKE		500	/* IKE (either port) */
#define IGD_PORT_NATT		4500	/* IKE and ESP in UDP, RFC 3948 (either port) */

struct igd_pkt {
	uint8_t family;		/* 4 or 6 */
	uint8_t proto;		/* final L4 protocol (after IPv6 extension headers) */
	uint8_t ttl;		/* TTL / hop limit */
	uint8_t tcp_flags;	/* TCP flags byte when proto is TCP */
	uint16_t flags;		/* IGD_PKT_F_* */
	uint16_t l3_len;	/* length of the IP packet as its header says (<= buffer) */
	uint16_t l4_off;	/* offset of the L4 header in the buffer */
	uint16_t l4_len;	/* bytes from l4_off to end of the IP packet */
	uint16_t sport, dport;	/* host order */
	uint8_t icmp_type, icmp_code;
	uint16_t mss;		/* host order, when IGD_PKT_F_TCP_MSS */
	uint16_t mss_off;	/* offset of the 2-byte MSS value in the buffer */
	uint32_t spi;		/* host order */
	uint32_t esp_seq;	/* host order */
	uint32_t frag_id;	/* fragments: the IPv4 id or IPv6 fragment header's id */
	uint16_t frag_off;	/* fragments: the offset in bytes */
	uint16_t ip_len;	/* the IP length its header declares (IPv6: 40 +
				 * payload length), even past a partial capture */
	bool df;		/* IPv4 don't-fragment */
	union igd_addr src, dst;
};

/* Parses @len bytes at @buf (an IPv4 or IPv6 packet, as NFQUEUE delivers it).
 * Fills @p and returns IGD_PKT_OK, or an igd_pkt_err; @p is then partially filled
 * (family, proto and addresses whenever the fixed IP header was in the buffer; ports
 * when the first four L4 bytes were, e.g. with bad TCP options).
 * Fragments: IGD_PKT_F_FRAG; the first also IGD_PKT_F_FRAG_FIRST and its L4 header
 * is parsed; a later one has no L4 information (l4_off is where its data starts).
 * An IPv6 atomic fragment (offset 0, M clear) is not flagged.
 * ESP in UDP: IGD_PKT_F_UDP_ESP (proto stays UDP), keepalive or IKE flagged instead
 * when either port is 4500; IGD_PKT_F_IKE when either port is 500.
 * A second MSS option, or one whose length is not 4, is IGD_PKT_EL4. */
int igd_pkt_parse(struct igd_pkt *p, const uint8_t *buf, size_t len);
/* A short name for an igd_pkt_err ("truncated", "bad-header"...). */
const char *igd_pkt_strerror(int err);
/* The same for a capture of the first @len bytes of a packet of @pktlen bytes (the
 * NFQUEUE copy range): the IP length is checked against @pktlen, nothing is read past
 * @len, and IGD_PKT_F_PARTIAL is set when the capture ends inside the packet. */
int igd_pkt_parse_cap(struct igd_pkt *p, const uint8_t *buf, size_t len, size_t pktlen);
/* The packet length a capture of @len bytes comes from when the capture does not say
 * (an nfnetlink_log copy, cut at its snaplen): the IP header's own length (IPv4 total
 * length, IPv6 40 + payload length) when it is larger than @len, else @len.  Only
 * tells igd_pkt_parse_cap() that the capture may be partial: nothing past @len is
 * read either way. */
size_t igd_pkt_copy_len(const uint8_t *buf, size_t len);
#endif
