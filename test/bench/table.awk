#!/usr/bin/awk -f
# Turns the benchmark programs' "R name value" lines into the one table of
# make bench.  Usage: table.awk MACHINE_FILE RAW_FILE
FNR == NR { machine[++nm] = $0; next }
$1 == "R" { v[$2] = $3 }

function g(k) { return (k in v) ? v[k] : "-" }
function ms(k) { return (k in v) ? sprintf("%.1f", v[k]) : "-" }
function ratio(a, b) {
	return ((a in v) && (b in v) && v[b] > 0) ? sprintf("%.1fx", v[a] / v[b]) : "-"
}

END {
	print "balie benchmarks (make bench)"
	for (i = 1; i <= nm; i++) print "  " machine[i]
	print ""

	# The rounds that ran, in the order of BENCH_ROUNDS.
	n = 0
	for (k in v) if (k ~ /^fan\.[0-9]+\.events$/) { split(k, p, "."); c[++n] = p[2] + 0 }
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (c[j] < c[i]) { t = c[i]; c[i] = c[j]; c[j] = t }

	print "1. Event -> console latency, ms: balie.post_message commit until the console has it"
	printf "   floor: bare NOTIFY round trip p50 %s  p99 %s  max %s (libpq only, 1 listener)\n",
		ms("floor.rtt.p50"), ms("floor.rtt.p99"), ms("floor.rtt.max")
	printf "   %-9s %6s | %8s | %8s %8s %8s | %8s %8s %8s | %7s | %9s %9s\n",
		"consoles", "events", "floor", "headless", "", "", "TUI", "", "", "ratio",
		"server ms", "client ms"
	printf "   %-9s %6s | %8s | %8s %8s %8s | %8s %8s %8s | %7s | %9s %9s\n",
		"", "", "p50", "p50", "p99", "max", "p50", "p99", "max", "p50/fl", "/change", "/change"
	for (i = 1; i <= n; i++) {
		f = "fan." c[i] "."
		printf "   %-9s %6s | %8s | %8s %8s %8s | %8s %8s %8s | %7s | %9s %9s\n",
			c[i] "+TUI", g(f "events"), ms(f "raw.p50"),
			ms(f "watch.p50"), ms(f "watch.p99"), ms(f "watch.max"),
			ms(f "tui.p50"), ms(f "tui.p99"), ms(f "tui.max"),
			ratio(f "watch.p50", f "raw.p50"),
			g(f "server_cpu"), g(f "client_cpu")
	}
	print "   (floor: the same commit's notification at a raw libpq listener; headless: balie watch;"
	print "    TUI: the marker text written to the console's terminal; server/client ms: CPU per"
	print "    console per change, the consoles' backends / the console processes)"
	print ""

	print "2. Polling (psql \\watch 1, as a shift lead would) beside balie, same events"
	printf "   %-22s %10s %10s | %14s %16s | %12s\n", "viewer", "avg ms", "worst ms",
		"queries/min", "server ms/min", "queries"
	printf "   %-22s %10s %10s | %14s %16s | %12s\n", "", "", "", "(idle)", "(idle)", "per change"
	printf "   %-22s %10s %10s | %14s %16s | %12s\n", "psql \\watch 1",
		ms("poll.psql.avg"), ms("poll.psql.max"), g("poll.idle.psql.queries"),
		g("poll.idle.psql.server_ms"), "(60/min)"
	printf "   %-22s %10s %10s | %14s %16s | %12s\n", "balie console (TUI)",
		ms("poll.tui.avg"), ms("poll.tui.max"), g("poll.idle.tui.queries"),
		g("poll.idle.tui.server_ms"), g("poll.events.tui.queries")
	printf "   %-22s %10s %10s | %14s %16s | %12s\n", "balie watch",
		ms("poll.watch.avg"), ms("poll.watch.max"), g("poll.idle.watch.queries"),
		g("poll.idle.watch.server_ms"), g("poll.events.watch.queries")
	printf "   (%s events at random moments; idle counted by pg_stat_statements)\n", g("poll.events")
	print ""

	print "3. Write throughput: balie.post_message commits/s with listeners attached"
	printf "   %-10s | %18s | %18s | %20s\n", "listeners", "balie consoles", "raw LISTEN only",
		"consoles caught up"
	printf "   %-10s | %18s | %18s | %20s\n", "", "(+TUI +1 raw)", "(PostgreSQL floor)",
		"after the burst, ms"
	printf "   %-10s | %18s | %18s | %20s\n", "0", g("fan.0.tput"), g("raw.tput.0"), "-"
	for (i = 1; i <= n; i++) {
		f = "fan." c[i] "."
		printf "   %-10s | %18s | %18s | %20s\n", c[i], g(f "tput"), g("raw.tput." c[i]),
			g(f "catchup")
	}
	for (k in v) if (k ~ /^raw\.tput\./) { split(k, p, "."); if (!(("fan." p[3] ".tput") in v) && p[3] != 0) extra = extra " " p[3] ": " v[k] }
	if (extra != "") print "   raw LISTEN only, other counts:" extra
	print ""

	print "4. Takeover race"
	printf "   %s agents over %s waiting conversations (each picks among the %s longest waiting):\n",
		g("race.agents"), g("race.convs"), g("race.window")
	printf "   %s claims/s, %s takeover calls/s, %s lost races, call p50 %s ms p99 %s ms,\n",
		g("race.claims_per_s"), g("race.attempts_per_s"), g("race.lost"),
		ms("race.call.p50"), ms("race.call.p99")
	printf "   claimed exactly once: %s (%s wrong)\n", g("race.exactly_once"), g("race.wrong")
	printf "   takeover key -> owned in the store: p50 %s ms p99 %s ms; -> on screen: p50 %s ms p99 %s ms max %s ms (%s keys)\n",
		ms("take.owned.p50"), ms("take.owned.p99"), ms("take.shown.p50"), ms("take.shown.p99"),
		ms("take.shown.max"), g("take.trials")
	print ""

	print "5. Scale of the screen (TUI on a 120x40 terminal)"
	printf "   %s open conversations (supervisor sees all): first output %s ms, first paint %s ms,\n",
		g("big.convs"), g("big.first_output_ms"), g("big.first_paint_ms")
	printf "   RSS %s KiB (peak %s KiB); idle: %s ms CPU/s, %s terminal bytes/s (clock ticks)\n",
		g("big.rss_kib"), g("big.hwm_kib"), g("big.idle_cpu_ms_per_s"), g("big.idle_bytes_per_s")
	printf "   terminal bytes: one-row update %s, full redraw (Ctrl-L) %s\n",
		g("big.row_bytes"), g("big.redraw_bytes")
	printf "   small queue (%s conversations): RSS %s KiB; idle %s ms CPU/s, %s bytes/s\n",
		g("small.convs"), g("small.rss_kib"), g("small.idle_cpu_ms_per_s"), g("small.idle_bytes_per_s")
}
