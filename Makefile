# Two commands for a newcomer: `make dev` and `make test`. Both install what they need.
SHELL := /bin/bash
export PATH := $(HOME)/.local/bin:$(HOME)/.cargo/bin:$(PATH)
UV = $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PYTEST_ARGS ?=

.PHONY: dev test setup uv lint typecheck fmt check bench browsers clean messages

uv:
	@command -v uv >/dev/null 2>&1 || [ -x "$(HOME)/.local/bin/uv" ] || { \
	  echo "installing uv …"; \
	  python3 -m pip install --user --quiet uv 2>/dev/null \
	    || python3 -m pip install --quiet --break-system-packages uv \
	    || curl -LsSf https://astral.sh/uv/install.sh | sh; }

setup: uv
	@$(UV) sync --frozen --quiet

dev: setup
	@$(UV) run daiko dev

test: setup browsers
	@$(UV) run pytest $(PYTEST_ARGS)

# Browser tests drive Debian's chromium through Playwright (its own download does not
# work everywhere); install it when missing and we may, with a small Japanese font
# (IPA Gothic, 3.5 MB) so the screenshots the tests save show Japanese, not boxes.
browsers:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || \
	  echo "note: chromium not installed; browser tests will be skipped"; }
	@{ command -v fc-list >/dev/null && [ -n "$$(fc-list :lang=ja 2>/dev/null)" ]; } || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && { apt-get install -y -qq fonts-ipafont-gothic >/dev/null 2>&1 || { apt-get update -qq \
	  && apt-get install -y -qq fonts-ipafont-gothic >/dev/null 2>&1; }; }; } || \
	  echo "note: no Japanese font; screenshots will show boxes for Japanese text"

lint: setup
	@$(UV) run ruff check src workers tests bench
	@$(UV) run ruff format --check src workers tests bench

typecheck: setup
	@$(UV) run mypy --strict src/daiko workers

fmt: setup
	@$(UV) run ruff format src workers tests bench
	@$(UV) run ruff check --fix src workers tests bench

check: lint typecheck

bench: setup
	@for b in bench/*.py; do echo "== $$b"; $(UV) run python $$b || exit 1; done

clean:
	rm -rf .daiko .venv .mypy_cache .ruff_cache

# Re-extract translatable strings and merge them into the ja/en catalogs.
messages: setup
	@$(UV) run pybabel extract -F babel.cfg -k _ -k gettext -k ngettext:1,2 -k N_ --no-location \
	  --sort-output --omit-header -o src/daiko/web/locales/messages.pot .
	@for l in ja en; do $(UV) run pybabel update --no-fuzzy-matching \
	  -i src/daiko/web/locales/messages.pot -d src/daiko/web/locales -l $$l; done
