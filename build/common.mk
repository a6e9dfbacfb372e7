# Shared variables and helpers of the provider-cdevents make library.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
MAKEFLAGS += --no-print-directory

VERSION ?= $(shell git -C $(ROOT_DIR) describe --tags --dirty --always 2>/dev/null || echo v0.0.0-dev)
GO ?= go

# Print a step, so long runs say what they are doing.
define say
	@printf '==> %s\n' $(1)
endef

.PHONY: help
help: ## Show the targets people use.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_.-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
