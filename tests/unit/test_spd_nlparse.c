/* XFRM message parsers on hand-built netlink messages: this kernel has no ESP, so SA
 * dumps cannot be produced for real here.  Also: key bytes never reach the result,
 * malformed attributes are refused, and the JSON writer escapes what it must. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/udp.h>
#include <linux/xfrm.h>
#include "util/json.h"
#include "xfrm/xfrm_mirror.h"
#include "tap.h"

static char buf[8192];
static const unsigned char key[20] = {
	0xde, 0xad, 0xbe, 0xef, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
	0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xf0, 0x0d,
};

static void put_alg(struct nlmsghdr *nlh, uint16_t type, const char *name, size_t hdr,
		    size_t extra_off, uint32_t extra)
{
	char a[sizeof(struct xfrm_algo_aead) + sizeof(key)] = { 0 };
	uint32_t bits = sizeof(key) * 8;

	strcpy(a, name);
	memcpy(a + 64, &bits, 4);
	if (extra_off)
		memcpy(a + extra_off, &extra, 4);
	memcpy(a + hdr, key, sizeof(key));
	mnl_attr_put(nlh, type, hdr + sizeof(key), a);
}

static struct nlmsghdr *sa_msg(uint16_t type)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct xfrm_usersa_info *p;

	nlh->nlmsg_type = type;
	p = mnl_nlmsg_put_extra_header(nlh, sizeof(*p));
	p->family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", &p->saddr.a4);
	inet_pton(AF_INET, "198.51.100.7", &p->id.daddr.a4);
	p->id.spi = htonl(0xc0ffee01);
	p->id.proto = IPPROTO_ESP;
	p->reqid = 42;
	p->mode = XFRM_MODE_TUNNEL;
	p->curlft.bytes = 123456;
	p->curlft.packets = 789;
	p->lft.hard_byte_limit = ~0ull;
	return nlh;
}

static void test_sa_gcm_natt(void)
{
	struct nlmsghdr *nlh = sa_msg(XFRM_MSG_NEWSA);
	struct xfrm_encap_tmpl et = { .encap_type = UDP_ENCAP_ESPINUDP };
	struct xfrm_mark mk = { .v = 5, .m = 0xff };
	struct igd_sa sa;
	char ab[64];

	et.encap_sport = htons(4500);
	et.encap_dport = htons(4501);
	put_alg(nlh, XFRMA_ALG_AEAD, "rfc4106(gcm(aes))", sizeof(struct xfrm_algo_aead),
		offsetof(struct xfrm_algo_aead, alg_icv_len), 128);
	mnl_attr_put(nlh, XFRMA_ENCAP, sizeof(et), &et);
	mnl_attr_put(nlh, XFRMA_MARK, sizeof(mk), &mk);
	mnl_attr_put_u32(nlh, XFRMA_IF_ID, 9);
	mnl_attr_put(nlh, 200, 4, "zzzz");	/* unknown: skipped */
	is_int(igd_xfrm_parse_sa(nlh, &sa, NULL), 0, "NEWSA parses");
	is_int(sa.spi, 0xc0ffee01, "spi");
	is_int(sa.reqid, 42, "reqid");
	is_str(igd_addr_str(4, &sa.daddr, ab, sizeof(ab)), "198.51.100.7", "daddr");
	is_str(sa.aead.name, "rfc4106(gcm(aes))", "aead name");
	is_int(sa.aead.key_bits, 160, "key length kept, as a length");
	is_int(sa.encap_sport, 4500, "NAT-T sport");
	is_int(sa.encap_dport, 4501, "NAT-T dport");
	is_int(sa.mark_v, 5, "mark");
	is_int(sa.if_id, 9, "if_id");
	is_int(sa.cur.bytes, 123456, "current bytes");
	is_int(sa.cur.packets, 789, "current packets");
	ok(sa.overhead_known && sa.iv_len == 8 && sa.icv_len == 16 && sa.block == 4,
	   "GCM: IV 8, ICV 16, block 4");
	ok(!memmem(&sa, sizeof(sa), key, 4), "no key byte sequence in the parsed SA");
}

static void test_sa_cbc_sha(void)
{
	struct nlmsghdr *nlh = sa_msg(XFRM_MSG_NEWSA);
	struct igd_sa sa;

	put_alg(nlh, XFRMA_ALG_CRYPT, "cbc(aes)", sizeof(struct xfrm_algo), 0, 0);
	put_alg(nlh, XFRMA_ALG_AUTH, "hmac(sha256)", sizeof(struct xfrm_algo), 0, 0);
	put_alg(nlh, XFRMA_ALG_AUTH_TRUNC, "hmac(sha256)", sizeof(struct xfrm_algo_auth),
		offsetof(struct xfrm_algo_auth, alg_trunc_len), 128);
	is_int(igd_xfrm_parse_sa(nlh, &sa, NULL), 0, "CBC+SHA256 SA parses");
	ok(sa.iv_len == 16 && sa.icv_len == 16 && sa.block == 16,
	   "AES-CBC + SHA256/128: IV 16, ICV 16, block 16");
	ok(!memmem(&sa, sizeof(sa), key, 4), "no key bytes");

	nlh = sa_msg(XFRM_MSG_NEWSA);
	put_alg(nlh, XFRMA_ALG_CRYPT, "cbc(aes)", sizeof(struct xfrm_algo), 0, 0);
	put_alg(nlh, XFRMA_ALG_AUTH, "hmac(sha1)", sizeof(struct xfrm_algo), 0, 0);
	is_int(igd_xfrm_parse_sa(nlh, &sa, NULL), 0, "legacy auth attribute only");
	is_int(sa.icv_len, 12, "hmac(sha1) defaults to 96 bits");
}

static void test_sa_bad(void)
{
	struct nlmsghdr *nlh = sa_msg(XFRM_MSG_NEWSA);
	char a[sizeof(struct xfrm_algo)] = "cbc(aes)";
	uint32_t bits = 256;	/* claims 32 key bytes, carries none */
	struct igd_sa sa;
	struct xfrm_mark mk = { 0 };

	memcpy(a + 64, &bits, 4);
	mnl_attr_put(nlh, XFRMA_ALG_CRYPT, sizeof(a), a);
	is_int(igd_xfrm_parse_sa(nlh, &sa, NULL), -EBADMSG, "key length beyond the attribute");
	nlh = sa_msg(XFRM_MSG_NEWSA);
	mnl_attr_put(nlh, XFRMA_MARK, sizeof(mk) - 2, &mk);
	is_int(igd_xfrm_parse_sa(nlh, &sa, NULL), -EBADMSG, "short XFRMA_MARK refused");
	nlh = sa_msg(XFRM_MSG_NEWSA);
	nlh->nlmsg_len -= 8;
	is_int(igd_xfrm_parse_sa(nlh, &sa, NULL), -EBADMSG, "truncated body refused");
	nlh = sa_msg(XFRM_MSG_NEWPOLICY);
	is_int(igd_xfrm_parse_sa(nlh, &sa, NULL), -EPROTO, "wrong type");
}

static void test_sa_del_expire(void)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct xfrm_usersa_info info = { 0 };
	struct xfrm_user_expire *ue;
	struct igd_sa sa;
	bool hard;

	nlh->nlmsg_type = XFRM_MSG_DELSA;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct xfrm_usersa_id));
	info.family = AF_INET6;
	info.id.proto = IPPROTO_ESP;
	info.id.spi = htonl(7);
	mnl_attr_put(nlh, XFRMA_SA, sizeof(info), &info);
	is_int(igd_xfrm_parse_sa(nlh, &sa, NULL), 0, "DELSA carries the SA in XFRMA_SA");
	ok(sa.spi == 7 && sa.family == 6, "DELSA spi and family");

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = XFRM_MSG_EXPIRE;
	ue = mnl_nlmsg_put_extra_header(nlh, sizeof(*ue));
	ue->state = info;
	ue->hard = 1;
	is_int(igd_xfrm_parse_sa(nlh, &sa, &hard), 0, "EXPIRE parses");
	ok(hard, "hard expiry flagged");
}

static void test_policy_and_acquire(void)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct xfrm_userpolicy_info *p;
	struct xfrm_user_tmpl t[2];
	struct xfrm_userpolicy_type upt = { .type = XFRM_POLICY_TYPE_SUB };
	struct xfrm_user_acquire *ua;
	struct igd_xfrm_acquire acq;
	struct igd_sp sp;

	memset(t, 0, sizeof(t));
	nlh->nlmsg_type = XFRM_MSG_NEWPOLICY;
	p = mnl_nlmsg_put_extra_header(nlh, sizeof(*p));
	p->sel.family = AF_INET;
	p->sel.prefixlen_s = 24;
	p->sel.proto = IPPROTO_ICMP;
	p->sel.sport = htons(8);
	p->sel.sport_mask = htons(0xffff);
	p->priority = 77;
	p->index = 1234;
	p->dir = XFRM_POLICY_FWD;
	t[0].family = AF_INET;
	t[0].reqid = 3;
	t[0].id.proto = IPPROTO_ESP;
	t[0].mode = XFRM_MODE_TUNNEL;
	t[1] = t[0];
	t[1].optional = 1;
	mnl_attr_put(nlh, XFRMA_TMPL, sizeof(t), t);
	mnl_attr_put(nlh, XFRMA_POLICY_TYPE, sizeof(upt), &upt);
	is_int(igd_xfrm_parse_policy(nlh, &sp, NULL), 0, "NEWPOLICY parses");
	ok(sp.index == 1234 && sp.priority == 77 && sp.dir == IGD_DIR_FWD, "index, prio, dir");
	ok(sp.ntmpl == 2 && sp.tmpl[1].optional && sp.tmpl[0].reqid == 3, "two templates");
	is_int(sp.type, IGD_PTYPE_SUB, "ptype sub");
	ok(sp.sel.sport == 8 && sp.sel.plen_s == 24, "selector: icmp type in sport");
	p->sel.prefixlen_s = 33;
	is_int(igd_xfrm_parse_policy(nlh, &sp, NULL), -EBADMSG, "prefix 33 on IPv4 refused");

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = XFRM_MSG_NEWPOLICY;
	mnl_nlmsg_put_extra_header(nlh, sizeof(*p));
	((struct xfrm_userpolicy_info *)mnl_nlmsg_get_payload(nlh))->sel.family = AF_INET;
	mnl_attr_put(nlh, XFRMA_TMPL, sizeof(t[0]) + 3, t);
	is_int(igd_xfrm_parse_policy(nlh, &sp, NULL), -EBADMSG, "ragged XFRMA_TMPL refused");

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = XFRM_MSG_ACQUIRE;
	ua = mnl_nlmsg_put_extra_header(nlh, sizeof(*ua));
	ua->sel.family = AF_INET;
	ua->sel.prefixlen_s = ua->sel.prefixlen_d = 32;
	inet_pton(AF_INET, "10.0.0.1", &ua->sel.saddr.a4);
	ua->sel.proto = IPPROTO_UDP;
	ua->sel.dport = htons(53);
	ua->policy.sel.family = AF_INET;
	ua->policy.index = 99;
	ua->policy.dir = XFRM_POLICY_OUT;
	mnl_attr_put(nlh, XFRMA_TMPL, sizeof(t[0]), t);
	is_int(igd_xfrm_parse_acquire(nlh, &acq), 0, "ACQUIRE parses");
	ok(acq.policy.index == 99 && acq.sel.dport == 53 && acq.policy.ntmpl == 1,
	   "ACQUIRE names the policy and the flow");
}

static void test_json(void)
{
	struct igd_json j;
	char out[128], tiny[8];

	igd_json_init(&j, out, sizeof(out));
	igd_json_obj_open(&j, NULL);
	igd_json_str(&j, "s", "a\"b\\c\n\x01\xe9\x7f");
	igd_json_uint(&j, "n", 42);
	igd_json_arr_open(&j, "a");
	igd_json_bool(&j, NULL, true);
	igd_json_null(&j, NULL);
	igd_json_arr_close(&j);
	igd_json_obj_close(&j);
	is_str(igd_json_finish(&j),
	       "{\"s\":\"a\\\"b\\\\c\\u000a\\u0001\\u00e9\\u007f\",\"n\":42,\"a\":[true,null]}",
	       "escaping, commas, nesting");
	igd_json_init(&j, tiny, sizeof(tiny));
	igd_json_obj_open(&j, NULL);
	igd_json_str(&j, "long", "xxxxxxxxxxxx");
	igd_json_obj_close(&j);
	ok(!igd_json_finish(&j) && strlen(tiny) < sizeof(tiny), "overflow reported, buffer safe");
	igd_json_init(&j, out, sizeof(out));
	igd_json_obj_open(&j, NULL);
	ok(!igd_json_finish(&j), "unbalanced nesting reported");
}

int main(void)
{
	test_sa_gcm_natt();
	test_sa_cbc_sha();
	test_sa_bad();
	test_sa_del_expire();
	test_policy_and_acquire();
	test_json();
	return tap_done();
}
