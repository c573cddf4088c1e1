# The two commands: `make test` runs every test on a fresh machine, `make demo`
# runs the whole system against the simulated house. Both create their own
# virtual environment (.venv) and install what they need.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# The page's build (Vite) needs Node 20.19 or newer, and Debian 12 ships 18. Where the
# machine's Node is older (or missing), Node comes pinned from PyPI (the extra "node")
# into the virtual environment, whose bin/ then comes first for everything make runs.
NODE_OK := $(shell node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' >/dev/null 2>&1 && echo yes)
comma   := ,
EXTRAS  := sim,test$(if $(NODE_OK),,$(comma)node)
ifeq ($(NODE_OK),)
export PATH := $(abspath $(VENV))/bin:$(PATH)
endif

.PHONY: test demo venv test-python test-frontend clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==26.3
	$(PY) -m pip install --quiet -e '.[$(EXTRAS)]' --config-settings editable_mode=compat
	touch $(STAMP)

test: test-frontend test-python

test-python: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

test-frontend: $(if $(NODE_OK),,$(STAMP))
	@if [ -f frontend/package.json ]; then $(MAKE) -C frontend test; fi

demo: $(STAMP)
	$(PY) -m demo $(ARGS)

clean:
	rm -rf $(VENV) .demo
