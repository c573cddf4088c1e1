# The two commands: `make test` runs every test on a fresh machine, `make demo`
# runs the whole system against the simulated house. Both create their own
# virtual environment (.venv) and install what they need.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test demo venv test-python test-frontend clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==26.3
	$(PY) -m pip install --quiet -e '.[sim,test]' --config-settings editable_mode=compat
	touch $(STAMP)

test: test-frontend test-python

test-python: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

test-frontend:
	@if [ -f frontend/package.json ]; then $(MAKE) -C frontend test; fi

demo: $(STAMP)
	$(PY) -m demo $(ARGS)

clean:
	rm -rf $(VENV) .demo
