# Sourced by the benchmarks of a NAT gateway's healthy traffic (after netns/lib.sh):
# gateway_up brings the lab up with the gateway's protecting SP for the peer network
# (transport, level use: the kernel sends clear where no SA exists) and the safe
# pattern, protected traffic exempt from NAT and the rest masqueraded (conntrack on
# whether or not the daemon runs); iperf_server starts iperf3 at the peer.
gateway_up() {
	lab_up
	in_gw ip xfrm policy add dir out src 10.0.2.0/24 dst 192.168.0.0/16 \
		tmpl proto esp mode transport level use reqid 1
	in_gw iptables -t nat -A POSTROUTING -d 192.168.0.0/16 -j RETURN
	in_gw iptables -t nat -A POSTROUTING -o wan0 -j MASQUERADE
}
iperf_server() {
	bg in_peer iperf3 -s -B 192.168.1.10 -p 5201 >/dev/null
	poll 10 sh -c "ip netns exec $NS_PEER ss -ltn | grep -q ':5201 '" ||
		fail "iperf3 server did not listen"
}
