/* Remembered protections.  See remember.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "judge/remember.h"
#include "util/json.h"
#include "util/num.h"
#include "util/proto.h"

#define MEMORY_HEADER	"# ipsecguard remembered protections 1"

void igd_memory_init(struct igd_memory *m, uint64_t hold_s)
{
	memset(m, 0, sizeof(*m));
	m->hold_s = hold_s;
}

void igd_memory_free(struct igd_memory *m)
{
	free(m->v);
	m->v = NULL;
	m->n = m->cap = 0;
}

static bool memory_addr_eq(int family, const union igd_addr *a, const union igd_addr *b)
{
	return !memcmp(a->b, b->b, family == 6 ? 16 : 4);
}

static bool memory_sel_eq(const struct igd_sel *a, const struct igd_sel *b)
{
	return a->family == b->family && a->plen_s == b->plen_s && a->plen_d == b->plen_d &&
	       a->proto == b->proto && a->sport == b->sport &&
	       a->sport_mask == b->sport_mask && a->dport == b->dport &&
	       a->dport_mask == b->dport_mask && a->ifindex == b->ifindex &&
	       memory_addr_eq(a->family, &a->saddr, &b->saddr) &&
	       memory_addr_eq(a->family, &a->daddr, &b->daddr);
}

static struct igd_remembered *memory_find(struct igd_memory *m, const struct igd_sp *sp)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		struct igd_remembered *r = &m->v[i];

		if (!r->via[0] && r->mark_v == sp->mark_v && r->mark_m == sp->mark_m &&
		    r->if_id == sp->if_id && memory_sel_eq(&r->sel, &sp->sel))
			return r;
	}
	return NULL;
}

static struct igd_remembered *memory_find_route(struct igd_memory *m,
						const struct igd_prefix *dst)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		struct igd_remembered *r = &m->v[i];

		if (r->via[0] && r->sel.family == dst->family && r->sel.plen_d == dst->plen &&
		    memory_addr_eq(dst->family, &r->sel.daddr, &dst->addr))
			return r;
	}
	return NULL;
}

static struct igd_remembered *memory_add(struct igd_memory *m)
{
	struct igd_remembered *v;

	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 16;

		if (cap > IGD_MEMORY_MAX)
			cap = IGD_MEMORY_MAX;
		if (m->n == cap)
			return NULL;
		v = realloc(m->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		m->v = v;
		m->cap = cap;
	}
	v = &m->v[m->n++];
	memset(v, 0, sizeof(*v));
	return v;
}

/* One protecting out SP seen at @now: its entry is live. */
static void memory_see(struct igd_memory *m, const struct igd_sp *sp, uint64_t now)
{
	struct igd_remembered *r = memory_find(m, sp);

	if (!r) {
		r = memory_add(m);
		if (!r) {
			m->dropped++;
			return;
		}
		r->sel = sp->sel;
		r->mark_v = sp->mark_v;
		r->mark_m = sp->mark_m;
		r->if_id = sp->if_id;
		r->first_s = now;
		r->was_live = true;	/* new: not compared (igd_memory_sync) */
		m->dirty = true;
	}
	if (r->sp_index != sp->index || r->reqid != (sp->ntmpl ? sp->tmpl[0].reqid : 0))
		m->dirty = true;
	r->sp_index = sp->index;
	r->reqid = sp->ntmpl ? sp->tmpl[0].reqid : 0;
	r->last_s = now;
	r->live = true;
}

/* A route into tunnel interface @f seen at @now: its entry is live. */
static void memory_see_route(struct igd_memory *m, const struct igd_tunnel_route *rt,
			     const struct igd_tunnel_if *f, uint64_t now)
{
	struct igd_remembered *r = memory_find_route(m, &rt->dst);

	if (!r) {
		r = memory_add(m);
		if (!r) {
			m->dropped++;
			return;
		}
		r->sel.family = rt->dst.family;
		r->sel.daddr = rt->dst.addr;
		r->sel.plen_d = rt->dst.plen;
		r->first_s = now;
		r->was_live = true;
		m->dirty = true;
	}
	if (strcmp(r->via, f->name)) {
		memcpy(r->via, f->name, sizeof(r->via));
		m->dirty = true;
	}
	r->last_s = now;
	r->live = true;
}

/* An SP entry for a selector only a tunnel interface's lookup can match. */
static bool memory_bound(const struct igd_remembered *r, const struct igd_tunnels *t)
{
	struct igd_sp sp = { .if_id = r->if_id, .mark_v = r->mark_v, .mark_m = r->mark_m };

	return !r->via[0] && igd_sp_route_bound(&sp, t);
}

bool igd_memory_sync(struct igd_memory *m, const struct igd_spd *spd,
		     const struct igd_tunnels *tunnels, uint64_t now)
{
	const struct igd_sp *sp;
	bool changed = false;
	size_t i, k, n = m->n;

	if (!m->hold_s)
		return false;
	/* live marks what was live before; a new entry (past n) starts live */
	for (i = 0; i < n; i++) {
		m->v[i].was_live = m->v[i].live;
		m->v[i].live = false;
	}
	if (spd)
		igd_spd_for_each(spd, sp, IGD_DIR_OUT)
			if (sp->type == IGD_PTYPE_MAIN && igd_sp_protecting(sp) &&
			    !igd_sp_route_bound(sp, tunnels))
				memory_see(m, sp, now);
	for (i = 0; tunnels && i < tunnels->nroutes; i++) {
		const struct igd_tunnel_if *f = igd_tunnels_if(tunnels, tunnels->routes[i].oif);

		if (f && f->up)
			memory_see_route(m, &tunnels->routes[i], f, now);
	}
	for (i = k = 0; i < m->n; i++) {
		struct igd_remembered *r = &m->v[i];

		if (memory_bound(r, tunnels)) {
			changed = changed || !r->live;	/* was held */
			m->dirty = true;
			continue;
		}

		if (i < n && r->was_live != r->live)
			changed = true;		/* went, or came back */
		if (!r->live && r->last_s + m->hold_s <= now) {
			changed = true;		/* held long enough */
			m->dirty = true;
			continue;
		}
		m->v[k++] = *r;
	}
	m->n = k;
	return changed;
}

/* Drops the entries @gone says go; how many went. */
static unsigned int memory_drop(struct igd_memory *m,
				bool (*gone)(const struct igd_remembered *r, const void *arg),
				const void *arg)
{
	unsigned int n = 0;
	size_t i, k;

	for (i = k = 0; i < m->n; i++) {
		if (gone(&m->v[i], arg)) {
			n++;
			continue;
		}
		m->v[k++] = m->v[i];
	}
	m->n = k;
	if (n)
		m->dirty = true;
	return n;
}

struct expiry {
	uint64_t now, hold_s;
};

static bool expired(const struct igd_remembered *r, const void *arg)
{
	const struct expiry *x = arg;

	return !r->live && r->last_s + x->hold_s <= x->now;
}

bool igd_memory_expire(struct igd_memory *m, uint64_t now)
{
	struct expiry x = { .now = now, .hold_s = m->hold_s };

	return memory_drop(m, expired, &x) > 0;
}

const struct igd_remembered *igd_memory_match(const struct igd_memory *m,
					      const struct igd_flow *flow)
{
	size_t i;

	for (i = 0; m && i < m->n; i++) {
		const struct igd_remembered *r = &m->v[i];

		if (!r->live && r->if_id == flow->if_id &&
		    (flow->mark & r->mark_m) == r->mark_v && igd_sel_match(&r->sel, flow))
			return r;
	}
	return NULL;
}

/* Remembered for destinations inside @arg (a prefix), or any with NULL. */
static bool inside(const struct igd_remembered *r, const void *arg)
{
	const struct igd_prefix *dst = arg;
	const struct igd_sel *s = &r->sel;

	return !dst || (s->family == dst->family && s->plen_d >= dst->plen &&
			igd_addr_match(s->family, &s->daddr, &dst->addr, dst->plen));
}

unsigned int igd_memory_forget(struct igd_memory *m, const struct igd_prefix *dst)
{
	return memory_drop(m, inside, dst);
}

const char *igd_memory_line(const struct igd_remembered *r, char *buf, size_t len)
{
	char s[IGD_ADDRSTRLEN + 4], d[IGD_ADDRSTRLEN + 4];
	const struct igd_sel *x = &r->sel;

	snprintf(buf, len, "%u %s %s %u %u/%u %u/%u %u/%u %u %u %u %" PRIu64 " %" PRIu64 "%s%s",
		 x->family, igd_prefix_str(x->family, &x->saddr, x->plen_s, s, sizeof(s)),
		 igd_prefix_str(x->family, &x->daddr, x->plen_d, d, sizeof(d)), x->proto,
		 x->sport, x->sport_mask, x->dport, x->dport_mask, r->mark_v, r->mark_m,
		 r->if_id, r->sp_index, r->reqid, r->first_s, r->last_s, r->via[0] ? " " : "",
		 r->via);
	return buf;
}

/* "ADDR/LEN" of @family. */
static int memory_prefix(const char *s, int family, union igd_addr *a, uint8_t *plen)
{
	return strchr(s, '/') && igd_prefix_parse(s, a, plen) == family ? 0 : -EINVAL;
}

/* "A/B" of two 16-bit (@max) numbers. */
static int memory_pair(const char *s, uint32_t max, uint32_t *a, uint32_t *b)
{
	char buf[32];
	const char *slash = strchr(s, '/');

	if (!slash || (size_t)(slash - s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	return igd_num_u32(buf, 0, max, a) ?: igd_num_u32(slash + 1, 0, max, b);
}

static int memory_u64(const char *s, uint64_t *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

/* An interface name as the kernel allows one (dev_valid_name). */
static int memory_ifname(const char *s, char *out)
{
	size_t i, n = strlen(s);

	if (!n || n >= IGD_IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || s[i] <= ' ' || s[i] == 0x7f)
			return -EINVAL;
	memcpy(out, s, n + 1);
	return 0;
}

int igd_memory_parse_line(const char *line, struct igd_remembered *out)
{
	char buf[512], *f[13], *save = NULL, *t;
	uint32_t fam, proto, sp, spm, dp, dpm;
	unsigned int n = 0;

	if (strlen(line) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, line);
	for (t = strtok_r(buf, " \t", &save); t && n < 13; t = strtok_r(NULL, " \t", &save))
		f[n++] = t;
	if (n < 12 || t)	/* too few fields, or more */
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (igd_num_u32(f[0], 4, 6, &fam) || (fam != 4 && fam != 6))
		return -EINVAL;
	out->sel.family = (uint8_t)fam;
	if (memory_prefix(f[1], (int)fam, &out->sel.saddr, &out->sel.plen_s) ||
	    memory_prefix(f[2], (int)fam, &out->sel.daddr, &out->sel.plen_d) ||
	    igd_num_u32(f[3], 0, 255, &proto) ||
	    memory_pair(f[4], 65535, &sp, &spm) || memory_pair(f[5], 65535, &dp, &dpm) ||
	    memory_pair(f[6], UINT32_MAX, &out->mark_v, &out->mark_m) ||
	    igd_num_u32(f[7], 0, UINT32_MAX, &out->if_id) ||
	    igd_num_u32(f[8], 0, UINT32_MAX, &out->sp_index) ||
	    igd_num_u32(f[9], 0, UINT32_MAX, &out->reqid) ||
	    memory_u64(f[10], &out->first_s) || memory_u64(f[11], &out->last_s) ||
	    (n == 13 && memory_ifname(f[12], out->via)))
		return -EINVAL;
	out->sel.proto = (uint8_t)proto;
	out->sel.sport = (uint16_t)sp;
	out->sel.sport_mask = (uint16_t)spm;
	out->sel.dport = (uint16_t)dp;
	out->sel.dport_mask = (uint16_t)dpm;
	return 0;
}

int igd_memory_load(struct igd_memory *m, const char *path, uint64_t now, unsigned int *bad)
{
	char line[600];
	FILE *f = fopen(path, "re");
	unsigned int nbad = 0;

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f)) {
		struct igd_remembered r, *slot;
		size_t len = strlen(line);

		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (!len || line[0] == '#')
			continue;
		/* a line too long for the buffer arrives in pieces: each one is bad */
		if (igd_memory_parse_line(line, &r) || r.last_s > now + 86400) {
			nbad++;
			continue;
		}
		if (!m->hold_s || r.last_s + m->hold_s <= now)
			continue;
		slot = memory_add(m);
		if (!slot) {
			m->dropped++;
			continue;
		}
		*slot = r;
	}
	fclose(f);
	if (bad)
		*bad = nbad;
	return 0;
}

/* The entry of @m for the same selector as @r (an SP's, or a route's), or NULL. */
static struct igd_remembered *memory_find_same(struct igd_memory *m,
					       const struct igd_remembered *r)
{
	struct igd_prefix dst;
	struct igd_sp sp;

	if (r->via[0]) {
		dst.family = r->sel.family;
		dst.addr = r->sel.daddr;
		dst.plen = r->sel.plen_d;
		return memory_find_route(m, &dst);
	}
	memset(&sp, 0, sizeof(sp));
	sp.sel = r->sel;
	sp.mark_v = r->mark_v;
	sp.mark_m = r->mark_m;
	sp.if_id = r->if_id;
	return memory_find(m, &sp);
}

unsigned int igd_memory_merge(struct igd_memory *m, const struct igd_memory *from,
			      unsigned int *aged)
{
	unsigned int added = 0, moved = 0;
	size_t i;

	for (i = 0; m->hold_s && i < from->n; i++) {
		const struct igd_remembered *r = &from->v[i];
		struct igd_remembered *own = memory_find_same(m, r);

		if (own) {
			if (r->last_s > own->last_s || r->first_s < own->first_s) {
				if (r->last_s > own->last_s)
					own->last_s = r->last_s;
				if (r->first_s < own->first_s)
					own->first_s = r->first_s;
				m->dirty = true;
				moved++;
			}
			continue;
		}
		own = memory_add(m);
		if (!own) {
			m->dropped++;
			continue;
		}
		*own = *r;
		own->live = own->was_live = false;
		m->dirty = true;
		added++;
	}
	if (aged)
		*aged = moved;
	return added;
}

int igd_memory_save(struct igd_memory *m, const char *path, uint64_t now)
{
	char tmp[4200], line[600];
	size_t i;
	FILE *f;
	int e = 0;

	for (i = 0; i < m->n; i++)
		if (m->v[i].live)
			m->v[i].last_s = now;	/* its SP is there as we write */
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "%s\n", MEMORY_HEADER);
	for (i = 0; i < m->n; i++)
		fprintf(f, "%s\n", igd_memory_line(&m->v[i], line, sizeof(line)));
	if (fflush(f) || fsync(fileno(f)))
		e = -errno;
	if (fclose(f) && !e)
		e = -errno;
	if (!e && rename(tmp, path))
		e = -errno;
	if (e)
		unlink(tmp);
	else
		m->dirty = false;
	return e;
}

/* Seconds since the epoch as RFC 3339 UTC. */
static void memory_time(struct igd_json *j, const char *key, uint64_t s)
{
	time_t t = (time_t)s;
	char buf[32];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	igd_json_str(j, key, buf);
}

void igd_memory_json(struct igd_json *j, const char *key, const struct igd_remembered *r,
		     uint64_t hold_s)
{
	char pb[IGD_ADDRSTRLEN + 8], pn[8];
	const struct igd_sel *x = &r->sel;

	igd_json_obj_open(j, key);
	igd_json_str(j, "src", igd_prefix_str(x->family, &x->saddr, x->plen_s, pb, sizeof(pb)));
	igd_json_str(j, "dst", igd_prefix_str(x->family, &x->daddr, x->plen_d, pb, sizeof(pb)));
	if (x->proto)
		igd_json_str(j, "proto", igd_proto_name(x->proto, pn, sizeof(pn)));
	if (x->sport_mask)
		igd_json_uint(j, "sport", x->sport);
	if (x->dport_mask)
		igd_json_uint(j, "dport", x->dport);
	if (r->mark_m) {
		igd_json_hex32(j, "mark", r->mark_v);
		igd_json_hex32(j, "mark_mask", r->mark_m);
	}
	if (r->if_id)
		igd_json_uint(j, "if_id", r->if_id);
	if (r->via[0]) {
		igd_json_str(j, "via", r->via);
	} else {
		igd_json_uint(j, "sp", r->sp_index);
		igd_json_uint(j, "reqid", r->reqid);
	}
	igd_json_bool(j, "live", r->live);
	memory_time(j, "first_seen", r->first_s);
	memory_time(j, "last_seen", r->last_s);
	if (!r->live && hold_s)
		memory_time(j, "forgotten_at", r->last_s + hold_s);
	igd_json_obj_close(j);
}
