//go:build tools

// Package tools pins the command build.sh compiles, so `go mod tidy` keeps every
// module it needs in go.sum.
package tools

import (
	_ "github.com/opencontainers/runc"
)
