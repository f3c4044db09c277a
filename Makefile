# 金色嘉苑社区服务门户 — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The Nu HTML checker for tests/test_html_validity.py: npm's vnu-jar (a 30 MB jar, run with Java), kept out of git.
VNU_VERSION := 26.9.27
VNU_STAMP := var/tools/.vnu-jar-$(VNU_VERSION)
# Production-like variables for the deploy check only.
DEPLOY_ENV := DJANGO_DEBUG=0 DJANGO_SECRET_KEY=ci-deploy-check-$$(date +%s)-k3y-that-is-long-and-random-enough-0123456789 DJANGO_ALLOWED_HOSTS=portal.example.cn ID_NUMBER_KEY=$$($(BIN)/python -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')

.DEFAULT_GOAL := help
.PHONY: help venv venv-dev tools migrate seed run worker serve test lint format check-migrations check-deploy pytest smoke bench bench-load messages clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(VENV)/.run-installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.run-installed

venv: $(VENV)/.run-installed ## create .venv with the runtime requirements

venv-dev: $(VENV)/.dev-installed ## create .venv with test and lint tools too

$(VNU_STAMP):
	npm install --no-audit --no-fund --prefix var/tools vnu-jar@$(VNU_VERSION)
	touch $@

tools: $(VNU_STAMP) ## install the Nu HTML checker (npm vnu-jar; needs Java) into var/tools for the validity test

migrate: venv ## apply migrations
	$(BIN)/python manage.py migrate --noinput

seed: migrate ## load the demo street and users (idempotent)
	$(BIN)/python manage.py seed_demo

run: seed ## serve the portal at http://127.0.0.1:8000 with a Celery worker and beat
	@echo "Portal: http://$(HOST):$(PORT)/  (users: admin, grid01, grid02, cadre, mediator, leader; password: $${DEMO_PASSWORD:-jinse-demo-2026})"
	@trap 'kill 0' EXIT INT TERM; \
	$(BIN)/celery -A jinjiajiayuan worker --beat -Q $${CELERY_QUEUE:-celery},$${CELERY_REPORTS_QUEUE:-reports} --loglevel=INFO --concurrency=2 & \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

worker: venv ## run only a Celery worker with beat
	$(BIN)/celery -A jinjiajiayuan worker --beat -Q $${CELERY_QUEUE:-celery},$${CELERY_REPORTS_QUEUE:-reports} --loglevel=INFO --concurrency=2

serve: migrate ## serve with gunicorn and deploy/gunicorn.conf.py on HOST:PORT (127.0.0.1:8000), as the web unit does
	GUNICORN_BIND=$(HOST):$(PORT) $(BIN)/gunicorn --config deploy/gunicorn.conf.py jinjiajiayuan.wsgi

lint: venv-dev ## ruff lint and format check, and the import layering contract
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: venv-dev ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-migrations: venv-dev ## fail when models and migrations differ
	$(BIN)/python manage.py makemigrations --check --dry-run

check-deploy: venv-dev ## Django's deploy checks with production variables
	env $(DEPLOY_ENV) $(BIN)/python manage.py check --deploy --fail-level WARNING

pytest: venv-dev tools ## the pytest suite only
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint check-migrations check-deploy pytest ## the whole suite, set-up included (PostgreSQL/Redis when DATABASE_URL/CELERY_BROKER_URL are set)

smoke: venv-dev ## the production tests (tests/deploy): nginx, PgBouncer, a replica, backups; needs PostgreSQL, Redis, root
	$(BIN)/python -m pytest -m deploy tests/deploy $(PYTEST_ARGS)

bench: venv-dev ## benchmarks over a large demo street, in-process and under load with gunicorn (see bench/README.md)
	$(BIN)/python bench/run.py

bench-load: venv-dev ## only the load benchmark, over the street BENCH_DATABASE_URL already holds (see bench/README.md)
	$(BIN)/python bench/load.py

messages: venv-dev ## rebuild and compile the translation catalogues
	$(BIN)/python manage.py makemessages -l en -l zh_Hans --no-obsolete --ignore=.venv --ignore=static --ignore=var --ignore=bench --ignore=tests
	@# zh_Hans msgids are the Chinese text itself: drop fuzzy guesses and copy msgid to msgstr.
	msgattrib --clear-fuzzy --empty -o locale/zh_Hans/LC_MESSAGES/django.po locale/zh_Hans/LC_MESSAGES/django.po
	msgen -o locale/zh_Hans/LC_MESSAGES/django.po locale/zh_Hans/LC_MESSAGES/django.po
	$(BIN)/python locale/fill_zh_hans.py locale/zh_Hans/LC_MESSAGES/django.po
	@echo "Now translate the new or '#, fuzzy' entries of locale/en/LC_MESSAGES/django.po; tests/test_i18n.py checks none is left."
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean: ## remove the virtualenv and local data
	rm -rf $(VENV) var/db.sqlite3 var/broker var/tools staticfiles
