# make bench: the figures that show balie is fast, beside the alternatives.
#
# Included from the top Makefile (or: make -f Makefile -f test/bench/bench.mk
# bench). Builds the benchmark programs into build/bench/ and runs
# test/bench/run.sh, which starts its own throwaway PostgreSQL, prints one
# table and writes it to build/bench/results.txt. Takes about ten minutes;
# see test/bench/BENCHMARKS.md.

BENCH_PROGS  := notify_floor bench_fanout bench_poll bench_race bench_tui bench_relay
BENCH_BIN    := $(BENCH_PROGS:%=build/bench/%)
BENCH_CFLAGS := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
                -Wmissing-prototypes -Wformat=2 -Wvla -O2 -g -pthread \
                $(shell pkg-config --cflags libpq)
BENCH_LIBS   := $(shell pkg-config --libs libpq) -pthread -lutil

.PHONY: bench bench-build

bench: balie $(BENCH_BIN)
	test/bench/run.sh

bench-build: $(BENCH_BIN)

build/bench/benchlib.o: test/bench/benchlib.c test/bench/benchlib.h
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -c -o $@ $<

build/bench/%: test/bench/%.c build/bench/benchlib.o test/bench/benchlib.h
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -o $@ $< build/bench/benchlib.o $(BENCH_LIBS)
