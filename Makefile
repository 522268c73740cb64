# The README's two commands: `make run` and `make test`. Only Python 3.11 is needed.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Installed versions are pinned by requirements.lock, the set the tests passed with.
STAMP := $(VENV)/.installed

.PHONY: run test lint format lock screenshots clean messages translations

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed: install it, or run make PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev,test]'
	@touch $(STAMP)

# DIMAIL_SIM_GENERATION=2024 (or 2024-08-check) makes the simulator play an older dimail.
run: $(STAMP) translations
	$(BIN)/python -m devtools.dev $(if $(DIMAIL_SIM_GENERATION),--generation $(DIMAIL_SIM_GENERATION))

test: $(STAMP) translations
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

# The catalogues: `make messages` extracts what the code and templates say and updates the
# French catalogue (then translate what is new in it); `translations` compiles them (.mo files
# are built, never committed).
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --no-location --sort-output \
	  --project "Mail domains" -o webapp/translations/messages.pot webapp templates
	$(BIN)/pybabel update -i webapp/translations/messages.pot -d webapp/translations --no-fuzzy-matching --ignore-obsolete

translations: $(STAMP)
	$(BIN)/pybabel compile -d webapp/translations

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

# Re-pin after changing dependencies in pyproject.toml.
lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,test]'
	$(BIN)/python -m pip freeze --exclude-editable --all | grep -v -E '^(pip|setuptools)==' > requirements.lock

screenshots: $(STAMP)
	UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest -m browser -q

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
