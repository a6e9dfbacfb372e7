//go:build tools

// Package lint pins golangci-lint in its own module so that its many
// dependencies never enter the provider's module graph.
package lint

import (
	_ "github.com/golangci/golangci-lint/v2/cmd/golangci-lint"
)
