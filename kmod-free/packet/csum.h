/* Internet checksums (RFC 1071) for the packets igd_pkt_parse() described:
 * incremental updates after a field is replaced (RFC 1624), the full TCP/UDP
 * checksum with its IPv4/IPv6 pseudo header, and the TCP MSS rewrite.
 *
 * 16- and 32-bit values are taken as read from the packet big-endian (pkt.h does
 * the same); a ones' complement sum does not depend on byte order, so any
 * consistent order gives the same result.  Nothing here allocates. */
#ifndef IGD_CSUM_H
#define IGD_CSUM_H
#include <stddef.h>
#include <stdint.h>
#include "packet/pkt.h"

/* Adds the ones' complement sum of @len bytes at @data (big-endian 16-bit words, an
 * odd tail padded with zero) to @sum; chain calls only at even offsets. */
uint32_t igd_csum_add(uint32_t sum, const void *data, size_t len);
/* Folds a 32-bit partial sum to 16 bits (not complemented). */
uint16_t igd_csum_fold(uint32_t sum);
/* The IPv4 header checksum of the @hlen bytes at @hdr, its checksum field (bytes
 * 10-11) taken as zero. */
uint16_t igd_csum_ip4_hdr(const uint8_t *hdr, size_t hlen);

/* RFC 1624 eqn. 3: the checksum @check after a 16-bit word @old of the covered data
 * became @new.  A field that starts at an odd offset of the checksummed area
 * straddles two words: pass both values byte-swapped (igd_tcp_mss_set does). */
uint16_t igd_csum_replace16(uint16_t check, uint16_t old, uint16_t new);
/* Same for a 32-bit field at an even offset (an address, a sequence number). */
uint16_t igd_csum_replace32(uint16_t check, uint32_t old, uint32_t new);

/* The TCP or UDP checksum of the parsed packet @p in @buf (@len bytes), pseudo
 * header included and the checksum field taken as zero: the value that belongs in
 * the field (UDP: 0xffff for a zero result).  Returns 0 and sets *@csum, or
 * -EPROTONOSUPPORT (not TCP/UDP), -EINVAL (a fragment, or @p does not fit @buf).
 * IPv6: the pseudo header uses the IPv6 header's destination, so a packet with a
 * routing header that still has segments left is not handled. */
int igd_l4_csum_compute(const uint8_t *buf, size_t len, const struct igd_pkt *p,
			uint16_t *csum);
/* Computes as above and stores the result in the packet. */
int igd_l4_csum_fill(uint8_t *buf, size_t len, const struct igd_pkt *p);
/* 0 when the TCP/UDP checksum of @p is right (an IPv4 UDP checksum of 0 means none
 * and is right; in IPv6 it is not), -EBADMSG when wrong, or the errors of
 * igd_l4_csum_compute(). */
int igd_l4_csum_verify(const uint8_t *buf, size_t len, const struct igd_pkt *p);

/* Rewrites the MSS option found by igd_pkt_parse() (@p->mss_off) to @mss, IPv4 or
 * IPv6, and updates the TCP checksum incrementally (odd and even option offsets).
 * @p is not updated: its mss keeps the old value.  Returns 0 (also when the value
 * was already @mss), -ENOENT when @p has no MSS option, -EINVAL when @p is not a
 * TCP packet that fits @buf or the option is not at @p->mss_off.
 *
 * Policy is the caller's: this writes whatever @mss it is given, larger or not.
 * A clamp must never raise the peer's MSS (RFC 879/9293: it is an upper bound the
 * peer can receive); use igd_tcp_mss_clamp() for that.
 * The incremental update needs a complete checksum in the packet: when NFQUEUE
 * reports it as not ready (NFQA_SKB_CSUMNOTREADY), finish with igd_l4_csum_fill(). */
int igd_tcp_mss_set(uint8_t *buf, size_t len, const struct igd_pkt *p, uint16_t mss);
/* Lowers the MSS option to @max when it is larger; never raises it.  Returns 1 when
 * rewritten, 0 when left alone (no option, or already <= @max), or -EINVAL. */
int igd_tcp_mss_clamp(uint8_t *buf, size_t len, const struct igd_pkt *p, uint16_t max);
#endif
