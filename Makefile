# Hydrant: `make demo` runs the whole router locally; `make test` runs every test.
SHELL := /bin/bash

.PHONY: test demo bench install emulators-up emulators-down

test: ## go vet, staticcheck, every test (unit and integration) and -race on the core packages, against emulators started (and stopped) by scripts/test
	scripts/test

demo: ## the whole router on local emulators: good and poison records, where each poison record went (ARGS=--json for JSON; `@` keeps the command off stdout)
	@scripts/demo $(ARGS)

bench: ## the benchmarks whose figures docs/benchmarks.md records
	scripts/test -bench

# `@` keeps make's echo of the command off stdout, so `eval "$(make -s emulators-up)"` works.
emulators-up: ## start the emulators in the background; prints the environment to eval
	@scripts/emulators up

emulators-down: ## stop the emulators emulators-up started
	@scripts/emulators down

install: ## build hydrant (the binary make demo runs) and copy it to $(go env GOBIN), else $(go env GOPATH)/bin
	@scripts/install
