# End-to-end test: install the package into real Crossplane and prove the
# provider works with exactly the rights the installation gives it.
#
# Builds everything it needs first (control plane, Crossplane, the provider
# and the package), then runs test/e2e, which starts kube-apiserver and
# etcd, Crossplane's core and RBAC manager, an OCI registry and the
# provider, and stops all of them when it ends, also on failure.
# Crossplane's RBAC manager always binds :8080, so run one at a time.

E2E_LOG_DIR ?= $(OUTPUT_DIR)/e2e/logs
E2E_TEST_FLAGS ?= -v -count=1 -timeout 30m

.PHONY: e2e
e2e: controlplane crossplane.bin build xpkg.build ## Install the package into real Crossplane and test it end to end.
	$(call say,"Running end-to-end tests against Crossplane $(CROSSPLANE_VERSION) (logs in $(E2E_LOG_DIR))")
	@rm -rf $(E2E_LOG_DIR) && mkdir -p $(E2E_LOG_DIR)
	@crossplane_dir=$$(cd $(ROOT_DIR)/hack/crossplane && $(GO) mod download -json github.com/crossplane/crossplane/v2@$(CROSSPLANE_VERSION) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p'); \
	KUBEBUILDER_ASSETS=$(KUBEBUILDER_ASSETS) \
	E2E_CROSSPLANE_BIN=$(CROSSPLANE_BIN) \
	E2E_CROSSPLANE_DIR=$$crossplane_dir \
	E2E_PROVIDER_BIN=$(OUTPUT_DIR)/bin/provider \
	E2E_XPKG_FILE=$(XPKG_FILE) \
	E2E_XPKG_TOOL=$(XPKG_TOOL) \
	E2E_LOG_DIR=$(E2E_LOG_DIR) \
	$(GO) test -tags e2e $(E2E_TEST_FLAGS) ./test/e2e/...
