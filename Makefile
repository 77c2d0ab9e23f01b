# The photography CRM's everyday commands. `make run` and `make test` install what they need.
.PHONY: run test lint format check lock services stop-services

run:            ## the product: web, worker, beat and the Pic-Time sandbox, with demo data
	scripts/run.sh

test:           ## the whole suite, in parallel, against PostgreSQL and Redis (pytest args: make test ARGS="-k portal")
	scripts/test.sh $(ARGS)

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format:
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

check:
	.venv/bin/python manage.py check
	.venv/bin/python manage.py makemigrations --check --dry-run

lock:           ## pin what pyproject.toml allows into requirements.lock
	.venv/bin/pip freeze --exclude-editable | grep -v '^pip==' > requirements.lock

services:
	scripts/services.sh start

stop-services:
	scripts/services.sh stop
