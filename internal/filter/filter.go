/*
Copyright 2026 The Crossplane Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Package filter compiles the CEL expressions with which a sink selects the
// transitions it receives, e.g.
//
//	lifecycle == 'degraded' && labels['env'] == 'prod'
//
// Lists of providers, kinds and lifecycles cannot say "degraded production
// clusters, or any failure": an expression can, in the language Kubernetes
// itself uses for validation rules and admission policies. Expressions are
// compiled and type-checked once, when a config is read, so a mistake is
// reported on the config before anything is sent, and every evaluation is
// cost-limited, so no expression can stall delivery.
package filter

import (
	"maps"
	"strings"

	"github.com/google/cel-go/cel"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Limits.
const (
	// MaxLength bounds an expression's source; the API enforces the same.
	MaxLength = 4096
	// DefaultCostLimit bounds the work of one evaluation, in CEL cost
	// units (about one per operation). A plain comparison costs a handful;
	// walking every label of a cluster a few dozen. An evaluation that
	// would cost more is stopped and counts as an error.
	DefaultCostLimit = 100_000
)

// Variables an expression may use, each a field of Transition.
const (
	VarLifecycle         = "lifecycle"
	VarPreviousLifecycle = "previousLifecycle"
	VarGroup             = "group"
	VarKind              = "kind"
	// VarNamespace is not "namespace": that word is reserved in CEL.
	VarNamespace         = "clusterNamespace"
	VarName              = "name"
	VarLabels            = "labels"
	VarProvider          = "provider"
	VarRegion            = "region"
	VarKubernetesVersion = "kubernetesVersion"
	VarReason            = "reason"
)

// Error strings.
const (
	errEnv         = "cannot build the expression environment"
	errEmpty       = "cannot use an empty expression"
	errFmtTooLong  = "cannot use an expression of %d characters: at most %d are allowed"
	errCompile     = "cannot compile expression"
	errFmtNotBool  = "cannot use an expression of type %s: it must be a bool"
	errProgram     = "cannot plan expression"
	errEvaluate    = "cannot evaluate expression"
	errFmtNotBoolV = "expression gave %T, not a bool"
)

// Transition is what an expression sees of one lifecycle transition of a
// cluster: the normalized lifecycle and the cluster's facts. Strings the
// cluster does not report are empty, never absent, so expressions need no
// has() checks.
type Transition struct {
	Lifecycle         string
	PreviousLifecycle string
	Group             string
	Kind              string
	Namespace         string
	Name              string
	Labels            map[string]string
	Provider          string
	Region            string
	KubernetesVersion string
	Reason            string
}

// activation renders t as CEL variables.
func (t Transition) activation() map[string]any {
	labels := map[string]string{}
	maps.Copy(labels, t.Labels)
	return map[string]any{
		VarLifecycle:         t.Lifecycle,
		VarPreviousLifecycle: t.PreviousLifecycle,
		VarGroup:             t.Group,
		VarKind:              t.Kind,
		VarNamespace:         t.Namespace,
		VarName:              t.Name,
		VarLabels:            labels,
		VarProvider:          t.Provider,
		VarRegion:            t.Region,
		VarKubernetesVersion: t.KubernetesVersion,
		VarReason:            t.Reason,
	}
}

// Option tunes how an expression is compiled.
type Option func(*options)

type options struct {
	costLimit uint64
}

// WithCostLimit sets the most an evaluation may cost.
func WithCostLimit(n uint64) Option { return func(o *options) { o.costLimit = n } }

// Expression is a compiled, type-checked selector expression, safe for
// concurrent use.
type Expression struct {
	src  string
	prg  cel.Program
	vars map[string]bool
}

// Compile parses and type-checks src, which must be a bool expression over
// the variables of Transition. The error carries the compiler's message,
// with line and column, for the config's condition.
func Compile(src string, opts ...Option) (*Expression, error) {
	o := options{costLimit: DefaultCostLimit}
	for _, fn := range opts {
		fn(&o)
	}
	if strings.TrimSpace(src) == "" {
		return nil, errors.New(errEmpty)
	}
	if n := len(src); n > MaxLength {
		return nil, errors.Errorf(errFmtTooLong, n, MaxLength)
	}
	str := cel.StringType
	env, err := cel.NewEnv(
		cel.Variable(VarLifecycle, str),
		cel.Variable(VarPreviousLifecycle, str),
		cel.Variable(VarGroup, str),
		cel.Variable(VarKind, str),
		cel.Variable(VarNamespace, str),
		cel.Variable(VarName, str),
		cel.Variable(VarLabels, cel.MapType(str, str)),
		cel.Variable(VarProvider, str),
		cel.Variable(VarRegion, str),
		cel.Variable(VarKubernetesVersion, str),
		cel.Variable(VarReason, str),
		// labels[?'env'].orValue('') reads a label that may be missing.
		cel.OptionalTypes(),
	)
	if err != nil {
		return nil, errors.Wrap(err, errEnv)
	}
	ast, iss := env.Compile(src)
	if iss.Err() != nil {
		return nil, errors.Wrap(iss.Err(), errCompile)
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		return nil, errors.Errorf(errFmtNotBool, ast.OutputType())
	}
	prg, err := env.Program(ast, cel.CostLimit(o.costLimit), cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, errors.Wrap(err, errProgram)
	}
	vars := map[string]bool{}
	for _, ref := range ast.NativeRep().ReferenceMap() {
		if ref.Value == nil && ref.Name != "" {
			vars[ref.Name] = true
		}
	}
	return &Expression{src: src, prg: prg, vars: vars}, nil
}

// String is the expression's source; empty for a nil expression.
func (e *Expression) String() string {
	if e == nil {
		return ""
	}
	return e.src
}

// Uses says whether the expression reads a variable, so that callers can
// skip computing what it does not need.
func (e *Expression) Uses(variable string) bool { return e.vars[variable] }

// Matches evaluates the expression for one transition. An evaluation that
// fails (a missing map key, the cost limit) is an error, and the caller
// decides what it means; it is never a silent match.
func (e *Expression) Matches(t Transition) (bool, error) {
	out, _, err := e.prg.Eval(t.activation())
	if err != nil {
		return false, errors.Wrap(err, errEvaluate)
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, errors.Errorf(errFmtNotBoolV, out.Value())
	}
	return b, nil
}
