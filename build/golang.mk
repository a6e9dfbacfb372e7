# Go targets: generate, build, test, lint, reviewable, check-diff, run.

GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_LINT := $(CACHE_DIR)/tools/golangci-lint-$(GOLANGCI_LINT_VERSION)
GO_LDFLAGS := -s -w -X $(GO_PROJECT)/internal/version.Version=$(VERSION)
GO_TEST_FLAGS ?= -count=1 -timeout 20m
GO_TEST_PACKAGES ?= ./...

.PHONY: generate
generate: ## Regenerate deepcopy methods, CRDs and the catalog RBAC.
	$(call say,"Generating code and CRDs")
	@cd apis && $(GO) generate ./...
	@$(GO) mod tidy

.PHONY: build
build: ## Build the provider binary into _output/bin.
	$(call say,"Building $(OUTPUT_DIR)/bin/provider")
	@mkdir -p $(OUTPUT_DIR)/bin
	@CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(GO_LDFLAGS)' -o $(OUTPUT_DIR)/bin/provider ./cmd/provider

.PHONY: test
test: controlplane ## Run unit and envtest tests (builds the local control plane first).
	$(call say,"Running tests against kube-apiserver $(KUBE_VERSION) and etcd $(ETCD_VERSION)")
	@KUBEBUILDER_ASSETS=$(KUBEBUILDER_ASSETS) $(GO) test $(GO_TEST_FLAGS) $(GO_TEST_PACKAGES)

# The scale runs (BENCH_SCALE=restart,burst,startup,kinds, or all) take
# minutes each on top of the default run: give them a longer BENCH_TIMEOUT,
# such as 90m for all of them.
BENCH_TIMEOUT ?= 45m

.PHONY: bench
bench: controlplane ## Run the delivery benchmarks and print their figures; BENCH_SCALE=restart,burst,startup,kinds (or all) adds the scale runs.
	$(call say,"Running benchmarks (figures are printed, not asserted)")
	@KUBEBUILDER_ASSETS=$(KUBEBUILDER_ASSETS) $(GO) test -run '^$$' -bench . -benchtime 1x -timeout $(BENCH_TIMEOUT) ./test/bench/...

$(GOLANGCI_LINT):
	$(call say,"Building golangci-lint $(GOLANGCI_LINT_VERSION) from the Go module proxy (first run only, takes a few minutes)")
	@mkdir -p $(dir $@)
	@cd hack/lint && $(GO) build -trimpath -o $@.tmp github.com/golangci/golangci-lint/v2/cmd/golangci-lint && mv $@.tmp $@

.PHONY: lint
lint: $(GOLANGCI_LINT) ## Run golangci-lint.
	$(call say,"Linting")
	@$(GOLANGCI_LINT) run ./...

.PHONY: reviewable
reviewable: generate lint test ## Generate, lint and test: run before every commit.

.PHONY: check-diff
check-diff: generate ## Fail when generated files are not committed.
	$(call say,"Checking that generated files are committed")
	@if [ -n "$$(git -C $(ROOT_DIR) status --porcelain)" ]; then \
		git -C $(ROOT_DIR) status --porcelain; git -C $(ROOT_DIR) diff --stat; \
		echo "generated files are stale: run 'make generate' and commit the result"; exit 1; fi

.PHONY: run
run: ## Run the provider against the cluster of your current kubeconfig.
	$(call say,"Running the provider against $${KUBECONFIG:-~/.kube/config}")
	@$(GO) run ./cmd/provider --debug
