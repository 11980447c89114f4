/* /proc/net/xfrm_stat parser, deltas and the counters' explanations.
 *
 * The explanations follow the kernel's Documentation/networking/xfrm_proc.rst and the
 * places in net/xfrm/ that count each one, rephrased for someone running a gateway. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "util/event.h"
#include "util/json.h"
#include "xfrm/xfrm_stat.h"

static const struct igd_xstat_info xstat_table[] = {
	{ "XfrmInError", "in",
	  "an inbound IPsec packet was dropped for a reason no other counter covers",
	  "rare; memory pressure or an unusual packet. Look at the other In counters first",
	  NULL },
	{ "XfrmInBufferError", "in",
	  "no room to record the transforms of an inbound packet (its secpath is full, or "
	  "more templates than the kernel's depth limit)",
	  "memory pressure, or tunnels nested deeper than the kernel supports", NULL },
	{ "XfrmInHdrError", "in",
	  "the headers of an inbound IPsec packet, or the flow behind it, could not be decoded",
	  "truncated or mangled packets: a middlebox rewriting ESP or UDP-encapsulated ESP, "
	  "broken fragments", NULL },
	{ "XfrmInNoStates", "in",
	  "an ESP/AH packet arrived whose SPI, destination address and protocol match no SA",
	  "the peer sends on an SA this host does not have: rekey out of step, an IKE daemon "
	  "restarted on one side only, wrong SPIs in static SAs, or the packet reached the "
	  "wrong gateway (load balancer, asymmetric routing). The peer's tunnel looks one-way",
	  NULL },
	{ "XfrmInStateProtoError", "in",
	  "the SA was found but ESP/AH processing failed, usually the integrity check (ICV) "
	  "or the decryption",
	  "keys differ between the two ends (static keys, a failed rekey), or something on "
	  "the path changed the protected packet (NAT without NAT-T, a rewriting middlebox)",
	  NULL },
	{ "XfrmInStateModeError", "in",
	  "the tunnel/transport step of a decrypted packet failed",
	  "the peers disagree on the mode (tunnel on one end, transport on the other), or "
	  "the inner packet is malformed", NULL },
	{ "XfrmInStateSeqError", "in",
	  "the sequence number was outside the anti-replay window: a replay, a duplicate, or "
	  "a packet delayed too long",
	  "reordering on the path beyond the replay window (multipath, QoS queues, fast "
	  "links): raise the SA's replay window; or real replays", NULL },
	{ "XfrmInStateExpired", "in",
	  "a packet arrived on an SA whose hard lifetime (time, bytes or packets) has expired",
	  "the SA was not rekeyed in time: compare the lifetimes of both ends and read the "
	  "IKE daemon's log", NULL },
	{ "XfrmInStateMismatch", "in",
	  "the SA found does not fit how the packet arrived, e.g. UDP encapsulation "
	  "(NAT-T) expected and plain ESP received, or the other way round",
	  "NAT appeared or vanished on the path, or the peers disagree on forcing UDP "
	  "encapsulation", NULL },
	{ "XfrmInStateInvalid", "in",
	  "the SA was found but is not usable any more (being deleted, or not yet complete)",
	  "packets racing an SA deletion at rekey; a steady rise means the peer keeps using "
	  "an SA this host has removed", NULL },
	{ "XfrmInTmplMismatch", "in",
	  "a packet matched an in or fwd policy, but the SAs it came through do not satisfy "
	  "the policy's templates",
	  "cleartext arriving where the policy requires ESP; or a packet decrypted by an SA "
	  "of another reqid, mode or protocol than the policy wants, typical of asymmetric "
	  "tunnels whose selectors differ per direction. Fix with symmetric selectors or one "
	  "policy covering both subnets",
	  "tmpl-mismatch" },
	{ "XfrmInNoPols", "in",
	  "a decrypted tunnel-mode packet found no in or fwd policy that accepts it (also "
	  "counted for any packet when the default inbound policy is block)",
	  "the peer's traffic selectors cover more than the local in/fwd policies: a "
	  "narrowed or missing policy, or one deleted while its SA lives on",
	  "sp-miss-in" },
	{ "XfrmInPolBlock", "in",
	  "the in or fwd policy that matched has action block",
	  "a block policy installed on purpose, or one left by an IKE daemon (e.g. a drop "
	  "policy kept while a tunnel is down)", NULL },
	{ "XfrmInPolError", "in",
	  "the inbound policy lookup itself failed",
	  "an internal error or a security module refusing the lookup; rarely configuration",
	  NULL },
	{ "XfrmOutError", "out",
	  "an outbound packet was dropped for a reason no other counter covers (e.g. no "
	  "headroom for the IPsec headers)",
	  "rare; memory pressure or an unusual packet. Look at the other Out counters first",
	  NULL },
	{ "XfrmOutBundleGenError", "out",
	  "the kernel could not build the route-and-SAs bundle for a packet that matched an "
	  "out policy",
	  "no route to the tunnel's remote endpoint, or the SA's addresses do not fit the "
	  "template", NULL },
	{ "XfrmOutBundleCheckError", "out",
	  "a cached bundle failed its validity check",
	  "routes or SAs changing under traffic; usually transient", NULL },
	{ "XfrmOutNoStates", "out",
	  "an out policy matched but no SA satisfies its template: the packet is dropped "
	  "and the kernel asks the IKE daemon for an SA (ACQUIRE)",
	  "the tunnel is down or not negotiated yet: IKE daemon stopped or failing, SA "
	  "expired without replacement, or the SA's reqid does not match the policy's",
	  "no-sa" },
	{ "XfrmOutStateProtoError", "out",
	  "ESP/AH output processing failed (encryption or its resources)",
	  "a crypto driver or offload failure, an algorithm missing from the kernel", NULL },
	{ "XfrmOutStateModeError", "out",
	  "the SA's mode (tunnel, transport, beet) could not encapsulate the packet",
	  "traffic the mode cannot carry, e.g. an address family the SA was not set up for",
	  NULL },
	{ "XfrmOutStateSeqError", "out",
	  "the SA's outbound sequence number would wrap",
	  "a very busy SA not rekeyed by packet count: enable extended sequence numbers "
	  "(ESN) or shorten the lifetime", NULL },
	{ "XfrmOutStateExpired", "out",
	  "a packet was to leave on an SA whose hard lifetime has expired",
	  "the SA was not rekeyed before its hard limit: read the IKE daemon's log", NULL },
	{ "XfrmOutPolBlock", "out",
	  "the out policy that matched has action block, or no policy matched and the "
	  "default outbound policy is block",
	  "a block policy (IKE daemons install some to stop leaks while a tunnel is down), "
	  "or 'ip xfrm policy setdefault out block' with traffic outside every policy: "
	  "cleartext towards a destination that no out policy covers",
	  "sp-miss-out" },
	{ "XfrmOutPolDead", "out",
	  "the policy a packet used was being deleted",
	  "policy churn, e.g. an IKE daemon reloading; transient", NULL },
	{ "XfrmOutPolError", "out",
	  "the outbound policy lookup itself failed",
	  "an internal error or a security module refusing the lookup", NULL },
	{ "XfrmFwdHdrError", "fwd",
	  "the flow of a packet being forwarded could not be decoded for the policy check",
	  "malformed or truncated packets crossing the gateway", NULL },
	{ "XfrmOutStateInvalid", "out",
	  "the outbound SA is no longer valid (deleted or expired while in use)",
	  "packets racing an SA deletion at rekey; a steady rise means cached routes keep "
	  "pointing at a dead SA", NULL },
	{ "XfrmAcquireError", "in",
	  "a packet arrived for an SA the IKE daemon has not finished installing (its SPI "
	  "is reserved, its keys not yet set)",
	  "the peer finished the negotiation and sends before this side installed the SA; "
	  "a steady rise means negotiations fail half-way", NULL },
	{ "XfrmOutStateDirError", "out",
	  "an SA marked for the inbound direction was chosen to send",
	  "the SA's direction attribute was set wrongly by the IKE daemon or by hand", NULL },
	{ "XfrmInStateDirError", "in",
	  "an SA marked for the outbound direction was used to receive",
	  "the SA's direction attribute was set wrongly by the IKE daemon or by hand", NULL },
	{ "XfrmInIptfsError", "in",
	  "an IP-TFS (RFC 9347) packet could not be decoded or reassembled",
	  "IP-TFS peers out of step, or damaged packets", NULL },
	{ "XfrmOutNoQueueSpace", "out",
	  "an IP-TFS SA's output queue was full and the packet was dropped",
	  "more traffic than the IP-TFS SA's rate and queue size allow", NULL },
};

#define XSTAT_NINFO (sizeof(xstat_table) / sizeof(xstat_table[0]))

const struct igd_xstat_info *igd_xstat_info_at(unsigned int i)
{
	return i < XSTAT_NINFO ? &xstat_table[i] : NULL;
}

const struct igd_xstat_info *igd_xstat_info(const char *name)
{
	unsigned int i;

	for (i = 0; i < XSTAT_NINFO; i++)
		if (!strcmp(xstat_table[i].name, name))
			return &xstat_table[i];
	return NULL;
}

static bool xstat_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool xstat_is_name(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* Decimal digits into @v; false on overflow or no digit. */
static bool xstat_parse_u64(const char *p, const char *end, const char **stop, uint64_t *v)
{
	uint64_t x = 0;
	const char *s = p;

	while (p < end && *p >= '0' && *p <= '9') {
		unsigned int d = (unsigned int)(*p - '0');

		if (x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
		p++;
	}
	*stop = p;
	*v = x;
	return p > s;
}

static const char *xstat_skip_space(const char *p, const char *end)
{
	while (p < end && xstat_is_space(*p))
		p++;
	return p;
}

/* One line [p, end): 1 parsed into @c, 0 blank, -1 junk. */
static int xstat_parse_line(const char *p, const char *end, struct igd_xstat_counter *c)
{
	const char *name;
	size_t nlen;
	uint64_t v;

	p = xstat_skip_space(p, end);
	if (p == end)
		return 0;
	name = p;
	while (p < end && xstat_is_name(*p))
		p++;
	nlen = (size_t)(p - name);
	if (!nlen || nlen >= IGD_XSTAT_NAME_MAX || p == end || !xstat_is_space(*p))
		return -1;
	p = xstat_skip_space(p, end);
	if (!xstat_parse_u64(p, end, &p, &v))
		return -1;
	if (xstat_skip_space(p, end) != end)
		return -1;
	memcpy(c->name, name, nlen);
	c->name[nlen] = '\0';
	c->value = v;
	return 1;
}

static void xstat_add_line(struct igd_xstat_snap *snap, const char *p, const char *end)
{
	struct igd_xstat_counter c;
	int r = xstat_parse_line(p, end, &c);

	if (r < 0) {
		snap->junk++;
	} else if (r > 0) {
		if (igd_xstat_find(snap, c.name))
			snap->junk++;	/* a repeated name: the first one stands */
		else if (snap->n < IGD_XSTAT_MAX)
			snap->c[snap->n++] = c;
		else
			snap->truncated = true;
	}
}

int igd_xstat_parse(struct igd_xstat_snap *snap, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl;

	snap->n = 0;
	snap->junk = 0;
	snap->truncated = false;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		xstat_add_line(snap, p, nl);
		p = nl + 1;
	}
	return 0;
}

static ssize_t xstat_read_all(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t r;

	while (len < size) {
		r = read(fd, buf + len, size - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	return (ssize_t)len;
}

int igd_xstat_read(struct igd_xstat_snap *snap, const char *path)
{
	char buf[IGD_XSTAT_FILE_MAX];
	const char *last;
	ssize_t len;
	bool full;
	int fd;

	fd = open(path ? path : IGD_XSTAT_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = xstat_read_all(fd, buf, sizeof(buf));
	close(fd);
	if (len < 0)
		return (int)len;
	full = (size_t)len == sizeof(buf);
	if (full) {
		/* keep whole lines only */
		last = memrchr(buf, '\n', (size_t)len);
		len = last ? last - buf : 0;
	}
	igd_xstat_parse(snap, buf, (size_t)len);
	if (full)
		snap->truncated = true;
	return 0;
}

const struct igd_xstat_counter *igd_xstat_find(const struct igd_xstat_snap *snap,
					       const char *name)
{
	unsigned int i;

	for (i = 0; i < snap->n; i++)
		if (!strcmp(snap->c[i].name, name))
			return &snap->c[i];
	return NULL;
}

/* The same counter in @old: the same position first (the kernel's order is fixed). */
static const struct igd_xstat_counter *xstat_match(const struct igd_xstat_snap *old,
						   unsigned int i, const char *name)
{
	if (i < old->n && !strcmp(old->c[i].name, name))
		return &old->c[i];
	return igd_xstat_find(old, name);
}

unsigned int igd_xstat_diff(const struct igd_xstat_snap *old, const struct igd_xstat_snap *cur,
			    struct igd_xstat_delta *out, unsigned int max)
{
	const struct igd_xstat_counter *o, *c;
	unsigned int i, n = 0;
	uint64_t before;

	for (i = 0; i < cur->n; i++) {
		c = &cur->c[i];
		o = xstat_match(old, i, c->name);
		before = o ? o->value : 0;
		if (c->value == before)
			continue;
		if (n < max) {
			out[n].name = c->name;
			out[n].total = c->value;
			out[n].reset = c->value < before;
			out[n].delta = out[n].reset ? c->value : c->value - before;
			out[n].info = igd_xstat_info(c->name);
		}
		n++;
	}
	return n;
}

static void xstat_json_str_or_null(struct igd_json *j, const char *key, const char *s)
{
	if (s)
		igd_json_str(j, key, s);
	else
		igd_json_null(j, key);
}

int igd_xstat_json_delta(char *buf, size_t size, const char *ts,
			 const struct igd_xstat_delta *d)
{
	const struct igd_xstat_info *in = d->info;
	struct igd_json j;

	igd_json_init(&j, buf, size);
	igd_event_open(&j, ts, "xfrm_stat");
	igd_json_str(&j, "counter", d->name);
	igd_json_uint(&j, "delta", d->delta);
	igd_json_uint(&j, "total", d->total);
	if (d->reset)
		igd_json_bool(&j, "reset", true);
	xstat_json_str_or_null(&j, "dir", in ? in->dir : NULL);
	igd_json_str(&j, "meaning", in ? in->meaning :
		     "a counter this version of ipsecguard does not know: see the kernel's "
		     "Documentation/networking/xfrm_proc.rst");
	xstat_json_str_or_null(&j, "cause", in ? in->cause : NULL);
	xstat_json_str_or_null(&j, "reason", in ? in->reason : NULL);
	igd_json_obj_close(&j);
	if (!igd_json_finish(&j))
		return -ENOSPC;
	return (int)igd_json_len(&j);
}
