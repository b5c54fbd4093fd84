# koppel: make help lists the targets.
SHELL   := /bin/bash
GO      ?= go
MODULES := $(shell $(GO) list -m -f '{{.Dir}}' 2>/dev/null)
PKGS    := $(addsuffix /...,$(MODULES))
BIN     := $(CURDIR)/bin
CONFIG  ?= configs/koppel.yaml
BUF_VERSION           := v1.75.0
PROTOC_GEN_GO_VERSION := v1.36.12

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

run: ## start koppel all-in-one on :8080 (embedded NATS, every stage, SnelStart sandbox)
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/koppel ./services/koppel
	exec $(BIN)/koppel run --config $(CONFIG)

build: ## build every binary into bin/
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/koppel ./services/koppel
	$(GO) build -o $(BIN)/receiver ./services/receiver
	$(GO) build -o $(BIN)/normalizer ./services/normalizer
	$(GO) build -o $(BIN)/customers ./services/customers
	$(GO) build -o $(BIN)/articles ./services/articles
	$(GO) build -o $(BIN)/booker ./services/booker
	$(GO) build -o $(BIN)/snelstart-sandbox ./services/snelstart-sandbox

deps: ## install what the tests need that is missing (Debian's redis-server and chromium)
	@command -v redis-server >/dev/null 2>&1 && command -v chromium >/dev/null 2>&1 || { \
		echo "installing redis-server and chromium (Debian packages)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq redis-server chromium >/dev/null; }
	@redis-server --version

test: deps ## run every module's tests with -race, and check each service builds alone
	$(GO) test -race -count=1 $(PKGS)
	@for m in services/*/; do \
		echo "GOWORK=off go build $$m"; \
		(cd $$m && GOWORK=off $(GO) build -o /dev/null ./...) || exit 1; \
	done

bench: ## run the benchmarks (receiver vs baselines, normalizer, adapters)
	$(GO) test -run '^$$' -bench 'Receiver' -benchtime 1x -count 1 -v ./pkg/intake/ | grep -E '^(Benchmark|    bench)'
	$(GO) test -run '^$$' -bench 'NormalizeStage' -benchtime 1x -count 1 -v ./pkg/normalize/ | grep -E '^(Benchmark|    bench)'
	$(GO) test -run '^$$' -bench 'ValidJSON|WooCommerceNormalize|Verify' -benchmem ./pkg/intake/ ./pkg/webshop/
	$(GO) test -run '^$$' -bench 'BenchmarkClient|BenchmarkSandbox' -benchtime 2s ./pkg/snelstart/ ./pkg/snelstartsandbox/
	$(GO) test -run '^$$' -bench 'WarmStages' -benchtime 1x -v ./pkg/articles/ | grep -E '^(Benchmark|    bench)'
	$(GO) test -run '^$$' -bench 'BookerStage' -benchtime 1x -v ./pkg/booker/ | grep -E '^(Benchmark|    bench)'
	$(GO) test -run '^$$' -bench 'VATPlan' -benchmem ./pkg/booker/ | grep -E '^Benchmark'
	$(GO) test -run '^$$' -bench 'EndToEnd' -benchtime 1x -v ./services/koppel/ | grep -E '^(Benchmark|    bench|    e2e)'


generate: ## regenerate pkg/koppelv1 from proto/ with buf
	GOBIN=$(BIN) $(GO) install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
	GOBIN=$(BIN) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	PATH=$(BIN):$$PATH $(BIN)/buf lint
	PATH=$(BIN):$$PATH $(BIN)/buf generate

lint: ## gofmt and go vet on every module
	@out=$$(gofmt -l $(MODULES)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

fmt: ## gofmt every module
	gofmt -w $(MODULES)

tidy: ## go mod tidy every module
	@for m in $(MODULES); do (cd $$m && GOWORK=off $(GO) mod tidy) || exit 1; done
	$(GO) work sync

clean: ## remove build output and local data
	rm -rf $(BIN) data

.PHONY: help run build deps test bench generate lint fmt tidy clean
