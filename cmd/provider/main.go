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

// Package main runs provider-cdevents: in a cluster, installed by
// Crossplane, or locally against any kubeconfig.
package main

import (
	"io"
	"os"
	"path/filepath"

	"github.com/alecthomas/kingpin/v2"
	"go.uber.org/zap/zapcore"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"

	"github.com/crossplane-contrib/provider-cdevents/internal/provider"
	"github.com/crossplane-contrib/provider-cdevents/internal/version"
)

func main() {
	app := kingpin.New(filepath.Base(os.Args[0]), "Reports the lifecycle of every Kubernetes cluster Crossplane manages as CDEvents.").DefaultEnvars()
	o := provider.DefaultOptions()
	o.AddFlags(app)
	app.Version(version.Version)
	kingpin.MustParse(app.Parse(os.Args[1:]))

	zl := zap.New(zap.UseDevMode(o.Debug), zap.Level(level(o.Debug)))
	log := logging.NewLogrLogger(zl.WithName("provider-cdevents"))
	// controller-runtime's own logs are noisy; show them only when debugging.
	if o.Debug {
		ctrl.SetLogger(zl)
	} else {
		ctrl.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	}
	log.Info("Starting", "version", version.Version, "sync-interval", o.SyncInterval.String(), "control-plane", o.ControlPlaneName)

	ctx := ctrl.SetupSignalHandler()
	p, err := provider.New(ctx, o, provider.WithLogger(log))
	kingpin.FatalIfError(err, "Cannot set up provider-cdevents")
	kingpin.FatalIfError(p.Start(ctx), "Cannot start controller manager")
}

func level(debug bool) zapcore.Level {
	if debug {
		return zapcore.DebugLevel
	}
	return zapcore.InfoLevel
}
