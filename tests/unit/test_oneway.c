/* One-way tunnel detector: synthetic sample sequences.  Times in ms, a sample every
 * 5 s, the default 30 s hold. */
#include <errno.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "tap.h"
#include "xfrm/oneway.h"

#define MAX_EV 64

static struct igd_ow_event evs[MAX_EV];
static uint64_t ev_at[MAX_EV];
static unsigned int nev;
static uint64_t now;

static void on_event(const struct igd_ow_event *ev, void *data)
{
	(void)data;
	if (nev < MAX_EV) {
		ev_at[nev] = now;
		evs[nev] = *ev;
	}
	nev++;
}

static struct igd_ow *mk(unsigned int max_sas, uint32_t hold_ms)
{
	struct igd_ow_cfg cfg = { .max_sas = max_sas, .hold_ms = hold_ms };
	struct igd_ow *ow = NULL;

	nev = 0;
	if (igd_ow_new(&ow, &cfg))
		return NULL;
	return ow;
}

static void addr4(union igd_addr *a, const char *s)
{
	memset(a, 0, sizeof(*a));
	inet_pton(AF_INET, s, &a->a4);
}

/* An SA between 172.16.0.1 (local) and @peer. */
static struct igd_ow_sa sa_mk(uint8_t dir, uint32_t spi, uint32_t reqid, const char *peer,
			      uint64_t packets)
{
	struct igd_ow_sa s = { .spi = spi, .reqid = reqid, .packets = packets,
			       .bytes = packets * 100, .family = 4, .proto = IPPROTO_ESP,
			       .dir = dir };

	addr4(dir == IGD_OW_DIR_OUT ? &s.saddr : &s.daddr, "172.16.0.1");
	addr4(dir == IGD_OW_DIR_OUT ? &s.daddr : &s.saddr, peer);
	return s;
}

static void sample2(struct igd_ow *ow, uint64_t t, struct igd_ow_sa *v, unsigned int n)
{
	now = t;
	igd_ow_sample(ow, t, v, n, on_event, NULL);
}

static void test_oneway_and_recovery(void)
{
	struct igd_ow *ow = mk(0, 0);
	struct igd_ow_sa v[2];
	uint64_t t, out = 1000;

	v[1] = sa_mk(IGD_OW_DIR_IN, 0x2001, 1, "172.16.0.2", 100);
	for (t = 0; t <= 60000; t += 5000) {
		v[0] = sa_mk(IGD_OW_DIR_OUT, 0x1001, 1, "172.16.0.2", out);
		sample2(ow, t, v, 2);
		out += 10;
	}
	is_int(nev, 1, "one-way: exactly one event in 60 s");
	is_int(evs[0].type, IGD_OW_ONEWAY, "of type ONEWAY");
	is_int(ev_at[0], 35000, "after the 30 s hold (first growth seen at 5 s)");
	is_int(evs[0].out_spi, 0x1001, "names the outbound SPI");
	is_int(evs[0].in_spi, 0x2001, "names the inbound SPI");
	ok(evs[0].by_reqid && evs[0].reqid == 1, "paired by reqid 1");
	is_int(evs[0].out_packets, 70, "70 packets sent during the episode");
	is_int(evs[0].duration_ms, 30000, "duration 30 s");
	is_int(evs[0].in_packets, 100, "inbound stuck at 100");
	is_int(igd_ow_stats(ow)->oneway, 1, "stats: one tunnel one-way");

	/* the answer comes back */
	v[0] = sa_mk(IGD_OW_DIR_OUT, 0x1001, 1, "172.16.0.2", out);
	v[1] = sa_mk(IGD_OW_DIR_IN, 0x2001, 1, "172.16.0.2", 104);
	sample2(ow, 65000, v, 2);
	is_int(nev, 2, "recovery reported");
	is_int(evs[1].type, IGD_OW_RECOVERED, "of type RECOVERED");
	is_int(evs[1].in_packets, 4, "with the inbound growth");
	is_int(evs[1].duration_ms, 60000, "episode lasted from 5 s to 65 s");
	is_int(igd_ow_stats(ow)->oneway, 0, "stats: none one-way");

	/* and breaks again: a new episode */
	for (t = 70000; t <= 110000; t += 5000) {
		out += 10;
		v[0] = sa_mk(IGD_OW_DIR_OUT, 0x1001, 1, "172.16.0.2", out);
		sample2(ow, t, v, 2);
	}
	is_int(nev, 3, "a second episode is reported again");
	is_int(ev_at[2], 100000, "30 s after its first growth at 70 s");
	igd_ow_free(ow);
}

static void test_both_ways_and_idle(void)
{
	struct igd_ow *ow = mk(0, 0);
	struct igd_ow_sa v[2];
	uint64_t t, n = 0;

	for (t = 0; t <= 120000; t += 5000, n += 7) {
		v[0] = sa_mk(IGD_OW_DIR_OUT, 0x1001, 1, "172.16.0.2", n);
		v[1] = sa_mk(IGD_OW_DIR_IN, 0x2001, 1, "172.16.0.2", n / 2);
		sample2(ow, t, v, 2);
	}
	is_int(nev, 0, "traffic both ways: no event");
	igd_ow_free(ow);

	ow = mk(0, 0);
	for (t = 0; t <= 120000; t += 5000) {
		v[0] = sa_mk(IGD_OW_DIR_OUT, 0x1001, 1, "172.16.0.2", 50);
		v[1] = sa_mk(IGD_OW_DIR_IN, 0x2001, 1, "172.16.0.2", 50);
		sample2(ow, t, v, 2);
	}
	is_int(nev, 0, "idle both ways: no event");
	igd_ow_free(ow);

	/* one packet out, then silence, then one more long after: the gap restarts */
	ow = mk(0, 0);
	for (t = 0; t <= 200000; t += 5000) {
		n = t >= 5000 ? (t >= 100000 ? 2 : 1) : 0;
		v[0] = sa_mk(IGD_OW_DIR_OUT, 0x1001, 1, "172.16.0.2", n);
		v[1] = sa_mk(IGD_OW_DIR_IN, 0x2001, 1, "172.16.0.2", 0);
		sample2(ow, t, v, 2);
	}
	is_int(nev, 0, "sparse outbound with long gaps: no event");
	igd_ow_free(ow);

	/* out grows but the inbound SA stays 0 since baseline: still one-way */
	ow = mk(0, 0);
	for (t = 0, n = 0; t <= 40000; t += 5000, n += 3) {
		v[0] = sa_mk(IGD_OW_DIR_OUT, 0x1001, 1, "172.16.0.2", n);
		v[1] = sa_mk(IGD_OW_DIR_IN, 0x2001, 1, "172.16.0.2", 0);
		sample2(ow, t, v, 2);
	}
	is_int(nev, 1, "never any inbound packet: one-way");
	igd_ow_free(ow);
}

/* Rekey: the new outbound SA takes over at once, the peer keeps sending on the old
 * inbound SA for a while, then on the new one; the old SAs go away.  No alarm. */
static void test_rekey(void)
{
	struct igd_ow *ow = mk(0, 0);
	struct igd_ow_sa v[4];
	uint64_t t, o1 = 0, i1 = 0, o2 = 0, i2 = 0;
	unsigned int n;

	for (t = 0; t <= 180000; t += 5000) {
		n = 0;
		if (t < 20000) {
			o1 += 10;
			i1 += 10;
		} else {
			o2 += 10;
			if (t < 60000)
				i1 += 10;
			else
				i2 += 10;
		}
		if (t < 70000) {
			v[n++] = sa_mk(IGD_OW_DIR_OUT, 0x1001, 7, "172.16.0.2", o1);
			v[n++] = sa_mk(IGD_OW_DIR_IN, 0x2001, 7, "172.16.0.2", i1);
		}
		if (t >= 20000) {
			v[n++] = sa_mk(IGD_OW_DIR_OUT, 0x1002, 7, "172.16.0.2", o2);
			v[n++] = sa_mk(IGD_OW_DIR_IN, 0x2002, 7, "172.16.0.2", i2);
		}
		sample2(ow, t, v, n);
	}
	is_int(nev, 0, "rekey with overlap: no false alarm");
	igd_ow_free(ow);

	/* make-before-break in one step: old pair gone, new pair already counting */
	ow = mk(0, 0);
	for (t = 0, o1 = 0; t <= 180000; t += 5000, o1 += 10) {
		uint32_t gen = (uint32_t)(t / 40000);

		v[0] = sa_mk(IGD_OW_DIR_OUT, 0x1000 + gen, 7, "172.16.0.2", o1 % 40 + 5);
		v[1] = sa_mk(IGD_OW_DIR_IN, 0x2000 + gen, 7, "172.16.0.2", o1 % 40 + 3);
		sample2(ow, t, v, 2);
	}
	is_int(nev, 0, "repeated rekeys replacing both SPIs: no false alarm");
	igd_ow_free(ow);

	/* a one-way tunnel stays one-way across a rekey: one event, the new SPIs after */
	ow = mk(0, 0);
	for (t = 0, o1 = 0; t <= 90000; t += 5000, o1 += 10) {
		bool rekeyed = t >= 50000;

		v[0] = sa_mk(IGD_OW_DIR_OUT, rekeyed ? 0x1002 : 0x1001, 9, "172.16.0.2",
			     rekeyed ? o1 - 500 + 10 : o1);
		v[1] = sa_mk(IGD_OW_DIR_IN, rekeyed ? 0x2002 : 0x2001, 9, "172.16.0.2", 0);
		sample2(ow, t, v, 2);
	}
	is_int(nev, 1, "one-way across a rekey: a single event");
	igd_ow_free(ow);
}

/* Hand-written SAs: reqid 0, or a different reqid per direction: paired by endpoints. */
static void test_fallback_pairing(void)
{
	struct igd_ow *ow = mk(0, 0);
	struct igd_ow_sa v[3];
	uint64_t t, n = 0;

	for (t = 0; t <= 40000; t += 5000, n += 5) {
		v[0] = sa_mk(IGD_OW_DIR_OUT, 0x111, 1, "172.16.0.9", n);
		v[1] = sa_mk(IGD_OW_DIR_IN, 0x222, 2, "172.16.0.9", 8);
		sample2(ow, t, v, 2);
	}
	is_int(nev, 1, "different reqids per direction: one-way detected");
	ok(!evs[0].by_reqid && evs[0].reqid == 0, "paired by endpoints");
	is_int(evs[0].out_spi, 0x111, "out SPI");
	is_int(evs[0].in_spi, 0x222, "in SPI");
	igd_ow_free(ow);

	/* two child SAs between the same gateways: only the broken one is reported */
	ow = mk(0, 0);
	for (t = 0, n = 0; t <= 40000; t += 5000, n += 5) {
		v[0] = sa_mk(IGD_OW_DIR_OUT, 0x301, 3, "172.16.0.9", n);
		v[1] = sa_mk(IGD_OW_DIR_IN, 0x401, 3, "172.16.0.9", n);
		v[2] = sa_mk(IGD_OW_DIR_OUT, 0x302, 4, "172.16.0.9", n);
		sample2(ow, t, v, 3);
	}
	is_int(nev, 0, "reqid 4 has no inbound SA: half a tunnel, not reported");
	igd_ow_free(ow);

	ow = mk(0, 0);
	for (t = 0, n = 0; t <= 40000; t += 5000, n += 5) {
		struct igd_ow_sa w[4];

		w[0] = sa_mk(IGD_OW_DIR_OUT, 0x301, 3, "172.16.0.9", n);
		w[1] = sa_mk(IGD_OW_DIR_IN, 0x401, 3, "172.16.0.9", n);
		w[2] = sa_mk(IGD_OW_DIR_OUT, 0x302, 4, "172.16.0.9", n);
		w[3] = sa_mk(IGD_OW_DIR_IN, 0x402, 4, "172.16.0.9", 1);
		sample2(ow, t, w, 4);
	}
	is_int(nev, 1, "two children, one broken: one event");
	ok(evs[0].reqid == 4 && evs[0].out_spi == 0x302 && evs[0].in_spi == 0x402,
	   "for reqid 4, with its SPIs");
	igd_ow_free(ow);
}

static uint32_t rnd_state = 12345;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* 600 tunnels to 200 peers (3 child SAs each), given in a new random order every sample;
 * tunnel 137 goes one-way at 30 s. */
static void test_many(void)
{
	enum { NT = 600 };
	static struct igd_ow_sa v[2 * NT];
	struct igd_ow *ow = mk(2 * NT, 0);
	uint64_t t, n = 0;
	unsigned int i, k;
	char peer[32];

	for (t = 0; t <= 90000; t += 5000, n += 10) {
		for (i = 0; i < NT; i++) {
			snprintf(peer, sizeof(peer), "10.9.%u.%u", i / 3 / 200, i / 3 % 200 + 1);
			v[2 * i] = sa_mk(IGD_OW_DIR_OUT, 0x10000 + i, 100 + i % 3, peer, n);
			v[2 * i + 1] = sa_mk(IGD_OW_DIR_IN, 0x20000 + i, 100 + i % 3, peer,
					     i == 137 && t >= 30000 ? 300 : n);
		}
		for (i = 2 * NT - 1; i > 0; i--) {
			struct igd_ow_sa tmp;

			k = rnd() % (i + 1);
			tmp = v[i];
			v[i] = v[k];
			v[k] = tmp;
		}
		sample2(ow, t, v, 2 * NT);
	}
	is_int(igd_ow_stats(ow)->tunnels, NT, "600 tunnels found");
	is_int(nev, 1, "one event among 600 tunnels");
	ok(evs[0].out_spi == 0x10000 + 137 && evs[0].in_spi == 0x20000 + 137,
	   "naming tunnel 137's SPIs");
	is_int(ev_at[0], 65000, "30 s after its inbound went flat");
	is_int(igd_ow_stats(ow)->sas_dropped, 0, "nothing dropped");
	igd_ow_free(ow);
}

static void test_limits(void)
{
	struct igd_ow *ow = mk(4, 0);
	struct igd_ow_sa s = sa_mk(IGD_OW_DIR_OUT, 1, 1, "172.16.0.2", 1);
	int i, full = 0;

	igd_ow_begin(ow, 0);
	for (i = 0; i < 5; i++)
		full += igd_ow_add(ow, &s) == -ENOSPC;
	is_int(full, 1, "fifth SA in a table of four: -ENOSPC");
	s.dir = IGD_OW_DIR_UNKNOWN;
	is_int(igd_ow_add(ow, &s), -EINVAL, "unknown direction refused");
	igd_ow_end(ow, NULL, NULL);
	is_int(igd_ow_stats(ow)->sas_dropped, 2, "both counted as dropped");
	igd_ow_free(ow);
	/* free(NULL) is a no-op: a crash here ends the test with an error */
	igd_ow_free(NULL);
}

static void test_add_sa_and_json(void)
{
	struct igd_ow *ow = mk(0, 1000);
	struct igd_sa sa;
	char buf[2048];
	uint64_t t;
	int len;

	for (t = 0; t <= 3000; t += 1000) {
		now = t;
		igd_ow_begin(ow, t);
		memset(&sa, 0, sizeof(sa));
		sa.family = 4;
		sa.proto = IPPROTO_ESP;
		addr4(&sa.saddr, "172.16.0.1");
		addr4(&sa.daddr, "172.16.0.2");
		sa.spi = 0xc0ffee01;
		sa.reqid = 5;
		sa.encap_type = 2;
		sa.encap_sport = 4500;
		sa.encap_dport = 4500;
		sa.cur.packets = t;
		sa.cur.bytes = t * 10;
		is_int(igd_ow_add_sa(ow, &sa, IGD_OW_DIR_OUT), 0, "outbound igd_sa added");
		addr4(&sa.saddr, "172.16.0.2");
		addr4(&sa.daddr, "172.16.0.1");
		sa.spi = 0xc0ffee02;
		sa.cur.packets = 0;
		is_int(igd_ow_add_sa(ow, &sa, IGD_OW_DIR_IN), 0, "inbound igd_sa added");
		igd_ow_end(ow, on_event, NULL);
	}
	is_int(nev, 1, "1 s hold: one-way after 1 s");
	ok(evs[0].encap_sport == 4500 && evs[0].encap_dport == 4500, "NAT-T ports carried");
	ok(strstr(igd_ow_causes(&evs[0]), "4500") != NULL, "causes name UDP 4500");
	len = igd_ow_json(buf, sizeof(buf), "2024-01-01T00:00:00.000000Z", &evs[0]);
	ok(len > 0 && (size_t)len == strlen(buf), "JSON line written");
	ok(strstr(buf, "\"event\":\"oneway\"") && strstr(buf, "\"out_spi\":\"0xc0ffee01\"") &&
	   strstr(buf, "\"in_spi\":\"0xc0ffee02\"") && strstr(buf, "\"local\":\"172.16.0.1\"") &&
	   strstr(buf, "\"remote\":\"172.16.0.2\"") && strstr(buf, "\"paired_by\":\"reqid\"") &&
	   strstr(buf, "\"encap\":{\"sport\":4500,\"dport\":4500}") &&
	   strstr(buf, "\"causes\":\""), "fields present: %s", buf);
	ok(!strstr(buf, "\"seen\""), "nothing seen: no seen object");
	{
		struct igd_ow_seen seen = { .ike_checked = true, .ike_alive = true,
					    .ike_sport = 4500, .ike_dport = 4500,
					    .filter_checked = true, .dropped = true,
					    .dropped_by = "nft inet fw input handle 4",
					    .cause = "this gateway's input filter drops it" };

		evs[0].seen = &seen;
		ok(igd_ow_json(buf, sizeof(buf), NULL, &evs[0]) > 0,
		   "JSON line with what was seen written");
		ok(strstr(buf, "\"seen\":{\"ike_conntrack\":true,\"ike_sport\":4500,"
			       "\"ike_dport\":4500,\"input_filter\":\"drops\","
			       "\"dropped_by\":\"nft inet fw input handle 4\"},"
			       "\"cause\":\"this gateway's input filter drops it\"") != NULL,
		   "what the gateway saw, and the cause: %s", buf);
		evs[0].seen = NULL;
	}
	evs[0].encap_sport = evs[0].encap_dport = 0;
	ok(strstr(igd_ow_causes(&evs[0]), "protocol 50") != NULL, "plain ESP: protocol 50");
	evs[0].type = IGD_OW_RECOVERED;
	ok(igd_ow_json(buf, sizeof(buf), NULL, &evs[0]) > 0, "recovered JSON line written");
	ok(strstr(buf, "\"event\":\"oneway_recovered\"") && !strstr(buf, "causes"),
	   "recovered line without causes");
	is_int(igd_ow_json(buf, 40, NULL, &evs[0]), -ENOSPC, "small buffer: -ENOSPC");
	igd_ow_free(ow);
}

int main(void)
{
	test_oneway_and_recovery();
	test_both_ways_and_idle();
	test_rekey();
	test_fallback_pairing();
	test_many();
	test_limits();
	test_add_sa_and_json();
	return tap_done();
}
