# balie — a terminal console for contact-center agents behind a chatbot.
#
#   make            build ./balie
#   make check      unit tests (also under ASan+UBSan), SQL API tests against
#                   a throwaway PostgreSQL, end-to-end tests in tmux
#   make clean

VERSION   := 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
DATADIR   ?= $(PREFIX)/share/balie

CC        ?= cc
PKGS      := ncursesw libpq libuv
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))
CMOCKA_CFLAGS := $(shell pkg-config --cflags cmocka)
CMOCKA_LIBS   := $(shell pkg-config --libs cmocka)

WARNINGS  := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
             -Wmissing-prototypes -Wpointer-arith -Wformat=2 -Wvla \
             -Wno-unused-parameter
CFLAGS    ?= -O2 -g
BALIE_CFLAGS := -std=c11 $(WARNINGS) $(PKG_CFLAGS) -Iinclude \
                -DBALIE_VERSION='"$(VERSION)"' -MMD -MP
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
             -fno-omit-frame-pointer -O1 -g

SRC       := $(sort $(wildcard src/*.c))
LIB_SRC   := $(filter-out src/main.c,$(SRC))
OBJ       := $(SRC:src/%.c=build/obj/%.o)
SAN_OBJ   := $(LIB_SRC:src/%.c=build/san/%.o)

# Unit tests need no database; db tests get one from test/harness/with-pg.sh.
UNIT_SRC  := $(sort $(wildcard test/unit/test_*.c))
DB_SRC    := $(sort $(wildcard test/db/test_*.c))
TLIB_SRC  := $(sort $(wildcard test/lib/*.c))
UNIT_BIN  := $(UNIT_SRC:test/unit/%.c=build/test/%)
DB_BIN    := $(DB_SRC:test/db/%.c=build/dbtest/%)
TLIB_OBJ  := $(TLIB_SRC:test/lib/%.c=build/san/tlib_%.o)

.PHONY: all check check-unit check-db check-memory clean install uninstall
# Keep objects that pattern rules chain through.
.SECONDARY:
all: balie

balie: $(OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJ) $(PKG_LIBS)

build/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(BALIE_CFLAGS) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<

build/san/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(BALIE_CFLAGS) $(SAN_FLAGS) $(CPPFLAGS) -c -o $@ $<

build/san/tlib_%.o: test/lib/%.c
	@mkdir -p $(@D)
	$(CC) $(BALIE_CFLAGS) $(CMOCKA_CFLAGS) -Itest/lib $(SAN_FLAGS) -c -o $@ $<

build/test/%: test/unit/%.c $(SAN_OBJ) $(TLIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(BALIE_CFLAGS) $(CMOCKA_CFLAGS) -Itest/lib $(SAN_FLAGS) -o $@ $< \
		$(SAN_OBJ) $(TLIB_OBJ) $(PKG_LIBS) $(CMOCKA_LIBS)

build/dbtest/%: test/db/%.c $(SAN_OBJ) $(TLIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(BALIE_CFLAGS) $(CMOCKA_CFLAGS) -Itest/lib $(SAN_FLAGS) -o $@ $< \
		$(SAN_OBJ) $(TLIB_OBJ) $(PKG_LIBS) $(CMOCKA_LIBS) -lpthread

check: balie $(UNIT_BIN) $(DB_BIN)
	test/run-tests.sh

check-unit: $(UNIT_BIN)
	test/run-tests.sh unit

check-db: balie $(DB_BIN)
	test/run-tests.sh db

# The real binary under AddressSanitizer, UndefinedBehaviorSanitizer and
# LeakSanitizer, driven by the tests that run it: any memory error or
# definite leak makes it exit non-zero, and the test fails.
build/san/balie: build/san/main.o $(SAN_OBJ)
	$(CC) $(SAN_FLAGS) -o $@ build/san/main.o $(SAN_OBJ) $(PKG_LIBS)

MEMORY_TESTS ?= test_console|test_supervisor|test_faults|test_db_watch|test_db_faults|test_db_sim
check-memory: build/san/balie $(DB_BIN)
	BALIE_BINARY=$(abspath build/san/balie) BALIE_BIN=$(abspath build/san/balie) \
		test/run-tests.sh all '$(MEMORY_TESTS)'

clean:
	rm -rf build balie

# A live contact center on this machine: packages, build, a private
# PostgreSQL in build/demo, balie sim, the console (ROLE=agent|agent2|supervisor).
.PHONY: demo
demo:
	@ROLE='$(ROLE)' MAKE='$(MAKE)' sh src/demo/demo.sh

# Man pages are installed when present; uninstall removes exactly what
# install puts in place.
INSTALL_MAN    := $(wildcard man/balie.1 man/balie-sql.7)
INSTALL_SCHEMA := $(notdir $(wildcard schemas/*.sql))

install: balie
	install -d '$(DESTDIR)$(BINDIR)' '$(DESTDIR)$(MANDIR)/man1' \
		'$(DESTDIR)$(MANDIR)/man7' '$(DESTDIR)$(DATADIR)/schemas'
	install -m 755 balie '$(DESTDIR)$(BINDIR)/balie'
	$(foreach m,$(INSTALL_MAN),install -m 644 $(m) \
		'$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m))' &&) true
	install -m 644 $(addprefix schemas/,$(INSTALL_SCHEMA)) '$(DESTDIR)$(DATADIR)/schemas/'

uninstall:
	rm -f '$(DESTDIR)$(BINDIR)/balie' '$(DESTDIR)$(MANDIR)/man1/balie.1' \
		'$(DESTDIR)$(MANDIR)/man7/balie-sql.7' \
		$(foreach f,$(INSTALL_SCHEMA),'$(DESTDIR)$(DATADIR)/schemas/$(f)')
	rmdir '$(DESTDIR)$(DATADIR)/schemas' '$(DESTDIR)$(DATADIR)' 2>/dev/null || true

-include $(OBJ:.o=.d) $(SAN_OBJ:.o=.d) $(TLIB_OBJ:.o=.d)
include test/fuzz/fuzz.mk
include test/bench/bench.mk

# ------------------------------------------------------------------ i18n
# Translations (gettext): po/LL.po -> build/locale/LL/LC_MESSAGES/balie.mo on
# `make` when msgfmt is there; `make pot` regenerates po/balie.pot from the
# files listed in po/POTFILES and merges it into every po/LL.po.
LOCALEDIR     ?= $(PREFIX)/share/locale
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
BALIE_CFLAGS  += -DBALIE_SCHEMADIR='"$(DATADIR)/schemas"' \
                 -DBALIE_LOCALEDIR='"$(LOCALEDIR)"'
LINGUAS   := $(basename $(notdir $(wildcard po/*.po)))
MO        := $(LINGUAS:%=build/locale/%/LC_MESSAGES/balie.mo)
MSGFMT    := $(shell command -v msgfmt 2>/dev/null)
XGETTEXT_FLAGS := --language=C --from-code=UTF-8 --keyword=_ --keyword=N_ \
                  --keyword=P_:1,2 --keyword=C_:1c,2 --add-comments=TRANSLATORS: \
                  --package-name=balie --package-version=$(VERSION) \
                  --msgid-bugs-address=balie@localhost --sort-by-file

ifneq ($(MSGFMT),)
all: $(MO)
endif

build/locale/%/LC_MESSAGES/balie.mo: po/%.po
	@mkdir -p $(@D)
	msgfmt -c -o $@ $<

.PHONY: pot
pot:
	xgettext $(XGETTEXT_FLAGS) -o po/balie.pot $$(cat po/POTFILES)
	$(foreach l,$(LINGUAS),msgmerge -q --update --backup=none po/$(l).po po/balie.pot &&) true

# Translations and bash completion go in with `make install` (the .mo files
# only when they could be built).
.PHONY: install-extra uninstall-extra
# Translated man pages: man/LL/balie.1 -> $(MANDIR)/LL/man1/balie.1.
INSTALL_MAN_LL := $(wildcard man/*/balie.1)
install: install-extra
install-extra: $(if $(MSGFMT),$(MO))
	install -d '$(DESTDIR)$(COMPLETIONDIR)'
	install -m 644 src/completion/balie '$(DESTDIR)$(COMPLETIONDIR)/balie'
	$(foreach m,$(INSTALL_MAN_LL),install -d '$(DESTDIR)$(MANDIR)/$(word 2,$(subst /, ,$(m)))/man1' && \
		install -m 644 $(m) '$(DESTDIR)$(MANDIR)/$(word 2,$(subst /, ,$(m)))/man1/$(notdir $(m))' &&) true
	$(foreach l,$(if $(MSGFMT),$(LINGUAS)),\
		install -d '$(DESTDIR)$(LOCALEDIR)/$(l)/LC_MESSAGES' && \
		install -m 644 build/locale/$(l)/LC_MESSAGES/balie.mo \
			'$(DESTDIR)$(LOCALEDIR)/$(l)/LC_MESSAGES/balie.mo' &&) true

uninstall: uninstall-extra
uninstall-extra:
	rm -f '$(DESTDIR)$(COMPLETIONDIR)/balie' \
		$(foreach l,$(LINGUAS),'$(DESTDIR)$(LOCALEDIR)/$(l)/LC_MESSAGES/balie.mo') \
		$(foreach m,$(INSTALL_MAN_LL),'$(DESTDIR)$(MANDIR)/$(word 2,$(subst /, ,$(m)))/man1/$(notdir $(m))')

# ------------------------------------------------------------- make deb
# Builds the Debian package with dpkg-buildpackage from a clean copy of the
# tree in build/deb (so nothing built here leaks in), and puts the .deb here
# too for `apt-get install ./balie_*.deb`. Needs debhelper (see debian/control).
.PHONY: deb clean-deb
deb:
	@v=$$(dpkg-parsechangelog -S Version); [ "$$v" = '$(VERSION)' ] || \
		{ echo "debian/changelog says $$v, the Makefile $(VERSION): add a changelog entry (dch -v $(VERSION))" >&2; exit 1; }
	rm -rf build/deb && mkdir -p build/deb/balie-$(VERSION)
	tar -cf - --exclude=./build --exclude=./.git --exclude=./balie \
		--exclude='./balie_*' --exclude=./demo . | tar -xf - -C build/deb/balie-$(VERSION)
	cd build/deb/balie-$(VERSION) && dpkg-buildpackage -b -us -uc
	rm -f balie_*.deb && cp build/deb/balie_$(VERSION)_*.deb .
	@ls -l balie_$(VERSION)_*.deb

clean: clean-deb
clean-deb:
	rm -f balie_*.deb
