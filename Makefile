# provider-cdevents: a Crossplane provider that reports the lifecycle of
# every Kubernetes cluster Crossplane manages as CDEvents.
#
# Everything is built from the Go module proxy: the local control plane
# (kube-apiserver and etcd), Crossplane, code generators and linters. Slow
# first builds are cached under .cache/ (outside git).

PROJECT_NAME := provider-cdevents
GO_PROJECT := github.com/crossplane-contrib/$(PROJECT_NAME)

ROOT_DIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
CACHE_DIR ?= $(ROOT_DIR)/.cache
OUTPUT_DIR ?= $(ROOT_DIR)/_output

include build/common.mk
include build/controlplane.mk
include build/golang.mk
include build/xpkg.mk
include build/e2e.mk
include build/fault.mk
include build/local.mk



.DEFAULT_GOAL := help
