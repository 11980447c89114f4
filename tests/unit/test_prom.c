/* The Prometheus text format writer: families, labels, escaping, a full buffer. */
#include "metrics/prom.h"
#include "tap.h"

int main(void)
{
	struct igd_prom p;
	char buf[512], small[40];

	igd_prom_init(&p, buf, sizeof(buf));
	igd_prom_family(&p, "x_total", "counter", "help with \\ and\nnewline");
	igd_prom_sample_u64(&p, 18446744073709551615ull, "a", "q\"uo\\te\nnl", "b", "", NULL);
	igd_prom_sample(&p, 0.5, NULL);
	ok(igd_prom_ok(&p), "fits");
	is_str(buf, "# HELP x_total help with \\\\ and\\nnewline\n"
		    "# TYPE x_total counter\n"
		    "x_total{a=\"q\\\"uo\\\\te\\nnl\",b=\"\"} 18446744073709551615\n"
		    "x_total 0.5\n", "escaped help and label values, exact integers");
	igd_prom_init(&p, small, sizeof(small));
	igd_prom_family(&p, "y", "gauge", "a help text longer than the buffer");
	ok(!igd_prom_ok(&p), "a full buffer is reported");
	ok(strlen(small) < sizeof(small), "and never overrun");
	return tap_done();
}
