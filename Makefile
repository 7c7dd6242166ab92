# The two commands: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Plain HTTP when served locally; behind a TLS proxy set HTTPS=1 (see docs/operations.md).
export HTTPS ?= 0
export DJANGO_SETTINGS_MODULE := hostedpbx.settings

.PHONY: run test venv sysdeps lint format migrations-check deploy-check messages serve worker beat clean

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@cp requirements.txt $@

venv: $(VENV)/.installed

# Debian packages the project uses: Chromium for browser tests, sox/ffmpeg/espeak-ng for audio.
sysdeps:
	@./scripts/install-sysdeps

run: venv sysdeps
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py seed_demo
	@echo
	@echo "Customer menu: http://127.0.0.1:$(PORT)/  (API docs: http://127.0.0.1:$(PORT)/api/docs/)"
	@echo
	@./scripts/serve-with-worker $(PORT)

test: venv sysdeps
	@./scripts/run-tests

lint: venv
	$(VENV)/bin/ruff check .

format: venv
	$(VENV)/bin/ruff format .

migrations-check: venv
	$(PY) manage.py makemigrations --check --dry-run

deploy-check: venv
	DEBUG=0 HTTPS=1 SECRET_KEY=$${SECRET_KEY:-$$(openssl rand -hex 40)} ALLOWED_HOSTS=portal.example.net \
	  $(PY) manage.py check --deploy --fail-level WARNING

messages: venv
	./scripts/make-messages

worker: venv
	$(VENV)/bin/celery -A hostedpbx worker --loglevel INFO --concurrency 4

beat: venv
	$(VENV)/bin/celery -A hostedpbx beat --loglevel INFO

clean:
	rm -rf var/ .pytest_cache
