# Local control plane (kube-apiserver and etcd) for envtest, and the real
# Crossplane binary for end-to-end tests, all built from the Go module proxy.
#
# No Docker and no release downloads: the binaries come from the tools modules
# hack/controlplane and hack/crossplane, are built once by hack/build-tools.sh
# and cached under $(CACHE_DIR), outside git. The targets are file based, so
# they do nothing when the binaries already exist. To change a version, change
# it here and in the tools module's go.mod together (the build checks that).
#
# Included by the root Makefile; also works on its own:
#   make -f build/controlplane.mk controlplane crossplane.bin

# Captured before anything else is included, so it names this file.
CONTROLPLANE_MK_DIR := $(dir $(lastword $(MAKEFILE_LIST)))
ROOT_DIR ?= $(abspath $(CONTROLPLANE_MK_DIR)/..)
CACHE_DIR ?= $(ROOT_DIR)/.cache
GO ?= go

KUBE_VERSION := v1.35.4
ETCD_VERSION := v3.6.5
CROSSPLANE_VERSION := v2.4.0

# controller-runtime's envtest finds kube-apiserver and etcd here.
KUBEBUILDER_ASSETS := $(CACHE_DIR)/controlplane/kube-$(KUBE_VERSION)-etcd-$(ETCD_VERSION)
export KUBEBUILDER_ASSETS
CROSSPLANE_BIN := $(CACHE_DIR)/crossplane/$(CROSSPLANE_VERSION)/crossplane

BUILD_TOOLS := $(ROOT_DIR)/hack/build-tools.sh

# Without these stamps /version reports v0.0.0-master, which kubectl and
# version-gated clients cannot parse.
KUBE_VERSION_MINOR := $(word 2,$(subst ., ,$(KUBE_VERSION)))
KUBE_LDFLAGS := -s -w \
	$(foreach pkg,k8s.io/component-base/version k8s.io/client-go/pkg/version,\
		-X $(pkg).gitVersion=$(KUBE_VERSION) -X $(pkg).gitMajor=1 -X $(pkg).gitMinor=$(KUBE_VERSION_MINOR))

# Unstamped, Crossplane reports version "" and rejects every package that
# constrains spec.crossplane.version.
CROSSPLANE_LDFLAGS := -s -w -X=github.com/crossplane/crossplane-runtime/v2/pkg/version.version=$(CROSSPLANE_VERSION)

.PHONY: controlplane
controlplane: $(KUBEBUILDER_ASSETS)/kube-apiserver $(KUBEBUILDER_ASSETS)/etcd ## Build kube-apiserver and etcd for envtest (first run only).
	@:

.PHONY: controlplane.env
controlplane.env: controlplane ## Build the control plane and print the KUBEBUILDER_ASSETS export line, for eval.
	@echo 'export KUBEBUILDER_ASSETS=$(KUBEBUILDER_ASSETS)'

.PHONY: crossplane.bin
crossplane.bin: $(CROSSPLANE_BIN) ## Build the Crossplane binary for end-to-end tests (first run only).
	@:

$(KUBEBUILDER_ASSETS)/kube-apiserver:
	@$(BUILD_TOOLS) --name kube-apiserver --version $(KUBE_VERSION) \
		--module-dir $(ROOT_DIR)/hack/controlplane --pin k8s.io/kubernetes@$(KUBE_VERSION) \
		--package k8s.io/kubernetes/cmd/kube-apiserver --out $@ \
		--ldflags '$(KUBE_LDFLAGS)' --estimate 'about 5 minutes on 2 cores'

# Built after kube-apiserver (they share most dependencies and the build cache).
$(KUBEBUILDER_ASSETS)/etcd: | $(KUBEBUILDER_ASSETS)/kube-apiserver
	@$(BUILD_TOOLS) --name etcd --version $(ETCD_VERSION) \
		--module-dir $(ROOT_DIR)/hack/controlplane --pin go.etcd.io/etcd/server/v3@$(ETCD_VERSION) \
		--package ./cmd/etcd --out $@ \
		--ldflags '-s -w' --estimate 'about 1 minute on 2 cores'

$(CROSSPLANE_BIN):
	@$(BUILD_TOOLS) --name crossplane --version $(CROSSPLANE_VERSION) \
		--module-dir $(ROOT_DIR)/hack/crossplane --pin github.com/crossplane/crossplane/v2@$(CROSSPLANE_VERSION) \
		--package github.com/crossplane/crossplane/v2/cmd/crossplane --out $@ \
		--ldflags '$(CROSSPLANE_LDFLAGS)' --estimate 'about 5 minutes on 2 cores'
