# Crossplane package: the provider binary of each platform in a runtime
# image, packed with package/ and examples/ into one package per platform,
# all gathered into one OCI image index in an .xpkg by cmd/xpkg. No Docker
# and no crossplane CLI: everything is built from the Go module proxy.
#
# The package is reproducible: the same sources, VERSION, CA bundle and
# SOURCE_DATE_EPOCH give the same digest on every run.

# Platforms the package runs on, as os_arch.
XPKG_PLATFORMS ?= linux_amd64 linux_arm64
XPKG_BINARIES := $(foreach p,$(XPKG_PLATFORMS),$(OUTPUT_DIR)/bin/$(p)/provider)
XPKG_TOOL := $(OUTPUT_DIR)/bin/xpkg
XPKG_FILE := $(OUTPUT_DIR)/xpkg/$(PROJECT_NAME)-$(VERSION).xpkg
# Where `make xpkg.push` pushes, as host[:port]/repository; tagged $(VERSION).
XPKG_REG ?=
# Trusted roots shipped in the image, so HTTPS sinks with public
# certificates can be verified; this machine's bundle unless set. Set it
# empty to ship none.
XPKG_CA_BUNDLE ?= $(wildcard /etc/ssl/certs/ca-certificates.crt)
# Creation time recorded in the image, in seconds since the Unix epoch.
SOURCE_DATE_EPOCH ?= 0

.PHONY: xpkg.binary
xpkg.binary: ## Build the static provider binary of every platform the package runs on.
	@set -e; for p in $(XPKG_PLATFORMS); do \
		echo "==> Building $(OUTPUT_DIR)/bin/$$p/provider (static, $$p; the first cross build compiles every dependency, about two minutes)"; \
		mkdir -p $(OUTPUT_DIR)/bin/$$p; \
		CGO_ENABLED=0 GOOS=$${p%_*} GOARCH=$${p#*_} $(GO) build -trimpath -ldflags '$(GO_LDFLAGS)' -o $(OUTPUT_DIR)/bin/$$p/provider ./cmd/provider; \
	done

.PHONY: xpkg.tool
xpkg.tool:
	@mkdir -p $(dir $(XPKG_TOOL))
	@$(GO) build -o $(XPKG_TOOL) ./cmd/xpkg

.PHONY: xpkg.build
xpkg.build: xpkg.binary xpkg.tool ## Build the Crossplane package into _output/xpkg and print its digest.
	$(call say,"Building $(XPKG_FILE)")
	@$(XPKG_TOOL) build $(foreach p,$(XPKG_PLATFORMS),--binary $(subst _,/,$(p))=$(OUTPUT_DIR)/bin/$(p)/provider) \
		$(if $(XPKG_CA_BUNDLE),--ca-bundle $(XPKG_CA_BUNDLE)) \
		--package-root $(ROOT_DIR)/package --examples-root $(ROOT_DIR)/examples \
		--created $(SOURCE_DATE_EPOCH) --output $(XPKG_FILE)

.PHONY: xpkg.push
xpkg.push: xpkg.reg xpkg.build ## Push the package: make xpkg.push XPKG_REG=registry.example.com/provider-cdevents
	$(call say,"Pushing $(XPKG_FILE) to $(XPKG_REG):$(VERSION)")
	@$(XPKG_TOOL) push --file $(XPKG_FILE) $(XPKG_REG):$(VERSION)

# Fails before anything is built when there is nowhere to push.
.PHONY: xpkg.reg
xpkg.reg:
	@if [ -z "$(XPKG_REG)" ]; then echo "Set XPKG_REG to host[:port]/repository, for example: make xpkg.push XPKG_REG=localhost:5000/provider-cdevents"; exit 1; fi
