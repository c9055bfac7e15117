# Fuzzing with libFuzzer; included at the end of the Makefile (its first
# rule must not become the default goal). Works alone too:
# make -f test/fuzz/fuzz.mk fuzz-smoke
#
#   make fuzz         build every harness, run each for FUZZ_SECONDS (60)
#   make fuzz-smoke   the same for FUZZ_SMOKE_SECONDS (10) each, for CI
#   make fuzz-replay  run the seed corpus and test/fuzz/regress once, no fuzzing
#   make fuzz FUZZ_TARGETS=wrap FUZZ_SECONDS=600   one harness, longer
#
# Needs clang with libFuzzer (Debian: clang libclang-rt-dev). Inputs the
# fuzzer finds go to build/fuzz/corpus/TARGET (the seeds in
# test/fuzz/corpus/TARGET are only read); a crash is saved as
# build/fuzz/artifacts/TARGET-crash-*, and belongs in test/fuzz/regress/TARGET
# once fixed. Logs: build/fuzz/logs/TARGET.log.

FUZZ_CC            ?= clang
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_TARGETS       ?= sanitize wrap compose config notify
FUZZ_PKGS          := ncursesw libpq libuv
FUZZ_LIB_SRC       := src/text.c src/compose.c src/config.c src/keys.c src/store.c \
                      src/store_result.c src/store_notify.c src/db_conn.c src/db_io.c \
                      src/util.c src/db.c src/model.c src/verb.c src/i18n.c src/paths.c \
                      src/text_translit.c
FUZZ_SAN           := -fsanitize=address,undefined -fno-sanitize-recover=all \
                      -fno-omit-frame-pointer -g -O1
FUZZ_CFLAGS        := -std=c11 -Iinclude $(shell pkg-config --cflags $(FUZZ_PKGS)) \
                      -Wall -Wextra -Werror -Wno-unused-parameter $(FUZZ_SAN)
FUZZ_LIBS          := $(shell pkg-config --libs $(FUZZ_PKGS))
FUZZ_LIB_OBJ       := $(FUZZ_LIB_SRC:src/%.c=build/fuzz/obj/%.o)
FUZZ_BINS          := $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
# -timeout: an input that takes this long is a hang, reported as a crash.
FUZZ_RUN_FLAGS     ?= -timeout=10 -rss_limit_mb=2048 -print_final_stats=1

.PHONY: fuzz fuzz-smoke fuzz-replay fuzz-build
.SECONDARY: $(FUZZ_LIB_OBJ)

fuzz-build: $(FUZZ_BINS)

build/fuzz/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/fuzz_%: test/fuzz/fuzz_%.c test/fuzz/fuzz_common.c $(FUZZ_LIB_OBJ)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB_OBJ) $(FUZZ_LIBS)

# Runs every harness for $(1) seconds; all run even when one fails, and the
# summary shows each one's executions and whether it found anything.
define fuzz_run
	@status=0; for t in $(FUZZ_TARGETS); do \
		mkdir -p build/fuzz/corpus/$$t build/fuzz/artifacts build/fuzz/logs; \
		dirs="build/fuzz/corpus/$$t"; \
		for d in test/fuzz/corpus/$$t test/fuzz/regress/$$t; do \
			[ -d $$d ] && dirs="$$dirs $$d"; \
		done; \
		echo "fuzz $$t: $(1) s"; \
		if build/fuzz/fuzz_$$t $(FUZZ_RUN_FLAGS) -max_total_time=$(1) \
			-artifact_prefix=build/fuzz/artifacts/$$t- $$dirs \
			>build/fuzz/logs/$$t.log 2>&1; then \
			grep -h -E '^#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units' \
				build/fuzz/logs/$$t.log | sed "s/^/  $$t: /"; \
		else \
			status=1; tail -n 40 build/fuzz/logs/$$t.log; \
			echo "fuzz $$t: FAILED (build/fuzz/logs/$$t.log, build/fuzz/artifacts/)"; \
		fi; \
	done; exit $$status
endef

fuzz: $(FUZZ_BINS)
	$(call fuzz_run,$(FUZZ_SECONDS))

# A fixed seed keeps CI's short run repeatable; `make fuzz` explores anew.
fuzz-smoke: FUZZ_RUN_FLAGS += -seed=1
fuzz-smoke: $(FUZZ_BINS)
	$(call fuzz_run,$(FUZZ_SMOKE_SECONDS))

# -runs=0 executes every given input once and stops.
fuzz-replay: $(FUZZ_BINS)
	@mkdir -p build/fuzz/logs; status=0; for t in $(FUZZ_TARGETS); do \
		dirs=""; \
		for d in test/fuzz/corpus/$$t test/fuzz/regress/$$t; do \
			[ -d $$d ] && dirs="$$dirs $$d"; \
		done; \
		build/fuzz/fuzz_$$t -runs=0 $$dirs >build/fuzz/logs/$$t-replay.log 2>&1 \
			&& echo "replay $$t: ok" \
			|| { status=1; tail -n 40 build/fuzz/logs/$$t-replay.log; }; \
	done; exit $$status

-include $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_BINS:=.d)
