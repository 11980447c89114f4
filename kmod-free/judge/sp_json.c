#include "judge/sp_json.h"
#include "packet/addr.h"

static void json_prefix(struct igd_json *j, const char *key, int family,
			const union igd_addr *a, unsigned int plen)
{
	char pb[IGD_ADDRSTRLEN + 8];

	igd_json_str(j, key, igd_prefix_str(family, a, plen, pb, sizeof(pb)));
}

static void json_addr(struct igd_json *j, const char *key, int family, const union igd_addr *a)
{
	char ab[IGD_ADDRSTRLEN];

	igd_json_str(j, key, igd_addr_str(family, a, ab, sizeof(ab)));
}

static void json_ports(struct igd_json *j, const struct igd_sel *s)
{
	if (s->sport_mask) {
		igd_json_uint(j, "sport", s->sport);
		if (s->sport_mask != 0xffff)
			igd_json_uint(j, "sport_mask", s->sport_mask);
	}
	if (s->dport_mask) {
		igd_json_uint(j, "dport", s->dport);
		if (s->dport_mask != 0xffff)
			igd_json_uint(j, "dport_mask", s->dport_mask);
	}
}

static void json_tmpl(struct igd_json *j, const struct igd_tmpl *t)
{
	int fam = t->family ? t->family : 4;

	igd_json_obj_open(j, NULL);
	json_addr(j, "src", fam, &t->saddr);
	json_addr(j, "dst", fam, &t->daddr);
	igd_json_str(j, "proto", igd_xfrm_proto_str(t->proto));
	igd_json_hex32(j, "spi", t->spi);
	igd_json_uint(j, "reqid", t->reqid);
	igd_json_str(j, "mode", igd_xfrm_mode_str(t->mode));
	igd_json_str(j, "level", t->optional ? "use" : "required");
	igd_json_obj_close(j);
}

void igd_json_sp(struct igd_json *j, const char *key, const struct igd_sp *sp,
		 enum igd_json_detail d)
{
	const struct igd_sel *s = &sp->sel;
	unsigned int i;

	igd_json_obj_open(j, key);
	igd_json_uint(j, "index", sp->index);
	igd_json_str(j, "dir", igd_dir_str(sp->dir));
	igd_json_uint(j, "priority", sp->priority);
	if (d == IGD_JSON_FULL)
		igd_json_str(j, "ptype", sp->type == IGD_PTYPE_SUB ? "sub" : "main");
	json_prefix(j, "src", s->family, &s->saddr, s->plen_s);
	json_prefix(j, "dst", s->family, &s->daddr, s->plen_d);
	if (d == IGD_JSON_FULL) {
		igd_json_uint(j, "family", s->family);
		igd_json_uint(j, "proto", s->proto);
		json_ports(j, s);
		if (s->ifindex)
			igd_json_int(j, "ifindex", s->ifindex);
		if (sp->mark_m) {
			igd_json_hex32(j, "mark", sp->mark_v);
			igd_json_hex32(j, "mark_mask", sp->mark_m);
		}
		if (sp->if_id)
			igd_json_uint(j, "if_id", sp->if_id);
	} else if (s->proto) {
		igd_json_uint(j, "proto", s->proto);
	}
	igd_json_uint(j, "reqid", sp->ntmpl ? sp->tmpl[0].reqid : 0);
	if (d == IGD_JSON_FULL) {
		igd_json_str(j, "action", sp->action == IGD_SP_ALLOW ? "allow" : "block");
		igd_json_bool(j, "protecting", igd_sp_protecting(sp));
		igd_json_arr_open(j, "tmpl");
		for (i = 0; i < sp->ntmpl; i++)
			json_tmpl(j, &sp->tmpl[i]);
		igd_json_arr_close(j);
	}
	igd_json_obj_close(j);
}

static void json_alg(struct igd_json *j, const char *key, const struct igd_sa_alg *a)
{
	if (!a->name[0])
		return;
	igd_json_obj_open(j, key);
	igd_json_str(j, "name", a->name);
	igd_json_uint(j, "key_bits", a->key_bits);
	if (a->trunc_bits)
		igd_json_uint(j, "icv_bits", a->trunc_bits);
	igd_json_obj_close(j);
}

/* What `ipsecguard` shows of an SA beyond the brief fields (never the keys). */
static void json_sa_full(struct igd_json *j, const struct igd_sa *sa)
{
	igd_json_str(j, "proto", igd_xfrm_proto_str(sa->proto));
	igd_json_str(j, "mode", igd_xfrm_mode_str(sa->mode));
	if (sa->mark_m) {
		igd_json_hex32(j, "mark", sa->mark_v);
		igd_json_hex32(j, "mark_mask", sa->mark_m);
	}
	if (sa->if_id)
		igd_json_uint(j, "if_id", sa->if_id);
	json_alg(j, "aead", &sa->aead);
	json_alg(j, "enc", &sa->crypt);
	json_alg(j, "auth", &sa->auth);
	json_alg(j, "comp", &sa->comp);
	if (sa->encap_type) {
		igd_json_obj_open(j, "encap");
		igd_json_uint(j, "type", sa->encap_type);
		igd_json_uint(j, "sport", sa->encap_sport);
		igd_json_uint(j, "dport", sa->encap_dport);
		igd_json_obj_close(j);
	}
	if (sa->overhead_known) {
		igd_json_uint(j, "iv", sa->iv_len);
		igd_json_uint(j, "icv", sa->icv_len);
		igd_json_uint(j, "block", sa->block);
	}
	igd_json_uint(j, "bytes", sa->cur.bytes);
	igd_json_uint(j, "packets", sa->cur.packets);
	igd_json_uint(j, "add_time", sa->cur.add_time);
	igd_json_uint(j, "use_time", sa->cur.use_time);
}

void igd_json_sa(struct igd_json *j, const char *key, const struct igd_sa *sa,
		 const char *conn, const char *child, enum igd_json_detail d)
{
	igd_json_obj_open(j, key);
	igd_json_hex32(j, "spi", sa->spi);
	igd_json_uint(j, "reqid", sa->reqid);
	json_addr(j, "src", sa->family, &sa->saddr);
	json_addr(j, "dst", sa->family, &sa->daddr);
	if (d == IGD_JSON_FULL)
		json_sa_full(j, sa);
	if (conn && conn[0])
		igd_json_str(j, "conn", conn);
	if (child && child[0])
		igd_json_str(j, "child", child);
	igd_json_obj_close(j);
}
