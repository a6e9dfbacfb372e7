# Local demo, the CDEvents receiver and the browser test.
#
# Included by the root Makefile, after build/controlplane.mk (which builds
# and exports KUBEBUILDER_ASSETS) and build/golang.mk.
#
#   make demo                  # local control plane + provider + receiver + simulated fleet, until Ctrl-C
#   DEMO_FOR=60s make demo     # bounded: exits 0 if events were received
#   make receiver              # only the receiver, for a provider running elsewhere
#   make test.browser          # loads the demo's page in headless Chromium

BROWSER_OUTPUT_DIR ?= $(OUTPUT_DIR)/browser
RECEIVER_LISTEN ?= 127.0.0.1:8090

.PHONY: demo
demo: controlplane ## Run the local demo: a simulated EKS/GKE/AKS fleet, the provider, and a live timeline page (DEMO_FOR=60s to bound it).
	$(call say,"Building and starting the demo (the first build takes a minute)")
	@$(GO) run ./cmd/demo

.PHONY: receiver
receiver: ## Run the CDEvents receiver with its timeline page on $(RECEIVER_LISTEN).
	@$(GO) run ./cmd/cdevents-receiver --listen $(RECEIVER_LISTEN)

.PHONY: test.browser
test.browser: controlplane ## Load the demo's timeline page in headless Chromium (installs it when missing) and keep a screenshot.
	$(call say,"Running the browser test; screenshots go to $(BROWSER_OUTPUT_DIR)")
	@mkdir -p $(BROWSER_OUTPUT_DIR)
	@BROWSER_OUTPUT_DIR=$(BROWSER_OUTPUT_DIR) KUBEBUILDER_ASSETS=$(KUBEBUILDER_ASSETS) \
		$(GO) test -tags browser -count=1 -timeout 15m -v ./test/browser/...
