/* Tunnel names from strongSwan's and libreswan's status texts. */
#include <string.h>
#include "names/ike_names.h"
#include "tap.h"

static struct igd_names n;

int main(void)
{
	const struct igd_name_ent *e;
	const char *sw =
		"plugin 'ldap': failed to load - no plugin file available\n"
		"list-sa event {lab {uniqueid=1 version=2 state=ESTABLISHED local-host=172.16.0.1 "
		"remote-host=172.16.0.2 initiator-spi=d490ef097b84db08 child-sas {lab-1 {name=lab "
		"uniqueid=1 reqid=1 state=INSTALLED mode=TUNNEL protocol=ESP spi-in=c3b1bdfc "
		"spi-out=c8fa2551 local-ts=[10.0.2.0/24 10.0.3.0/24] remote-ts=[192.168.0.0/16]} "
		"lab-2 {name=lab reqid=1 spi-in=0000aa01 spi-out=0000aa02}}}}\n"
		"list-sa event {hq {child-sas {voice-7 {name=voice reqid=7 spi-in=01020304 "
		"spi-out=05060708}}}}\n"
		"list-sas reply {}\n";
	const char *wh =
		"000 #1: \"west-east\":500 STATE_V2_ESTABLISHED_IKE_SA (established IKE SA);\n"
		"000 #2: \"west-east\"[1] 192.1.2.23 esp.8f8d6b1e@192.1.2.23 esp.d8f0c1f5@192.1.2.45 "
		"tun.0@192.1.2.23 Traffic: ESPin=0B\n"
		"000 #3: \"road\" ah.0000abcd@10.0.0.1 esp.zzzz@1.2.3.4 esp.12345678\n";

	is_int(igd_names_parse_swanctl(sw, &n), 6, "swanctl: two SPIs for each of three CHILD_SAs");
	e = igd_names_find(&n, 0xc3b1bdfc, 0);
	ok(e && !strcmp(e->conn, "lab") && !strcmp(e->child, "lab") && e->reqid == 1,
	   "spi-in c3b1bdfc: conn lab, child lab, reqid 1");
	e = igd_names_find(&n, 0x05060708, 0);
	ok(e && !strcmp(e->conn, "hq") && !strcmp(e->child, "voice") && e->reqid == 7,
	   "a second IKE SA's child: conn hq, child voice");
	e = igd_names_find(&n, 0xdeadbeef, 7);
	ok(e && !strcmp(e->conn, "hq"), "an unknown SPI falls back to the reqid");
	ok(!igd_names_find(&n, 0xdeadbeef, 99), "neither: nothing");
	is_int(igd_names_parse_whack(wh, &n), 3, "whack: the esp./ah. SPIs with an @");
	e = igd_names_find(&n, 0xd8f0c1f5, 0);
	ok(e && !strcmp(e->conn, "west-east") && !e->reqid, "libreswan: the connection's name");
	e = igd_names_find(&n, 0xabcd, 0);
	ok(e && !strcmp(e->conn, "road"), "an AH SA");
	is_int(igd_names_parse_swanctl("}}}} {{{{ child-sas { x { spi-in=1", &n), 0,
	       "garbage: no entry, no crash");
	is_int(igd_names_parse_swanctl("a {child-sas {c {name=\x01\x02 reqid=3}}}", &n), 1,
	       "control bytes in a name");
	ok(!strcmp(n.e[0].child, "??"), "are replaced");
	return tap_done();
}
