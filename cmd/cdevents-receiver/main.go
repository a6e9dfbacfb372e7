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

// Package main runs cdevents-receiver: a CloudEvents HTTP receiver that
// validates the CDEvents it gets, prints one line per event, and shows a
// live timeline per cluster in the browser. Point the sink URL of any
// ProviderConfig at it to watch what provider-cdevents sends:
//
//	go run ./cmd/cdevents-receiver --listen 127.0.0.1:8090
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/alecthomas/kingpin/v2"
	"go.uber.org/zap/zapcore"
	"golang.org/x/sync/errgroup"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"

	"github.com/crossplane-contrib/provider-cdevents/internal/cdevent"
	"github.com/crossplane-contrib/provider-cdevents/internal/receiver"
	"github.com/crossplane-contrib/provider-cdevents/internal/version"
)

func main() {
	var (
		app = kingpin.New(filepath.Base(os.Args[0]), "Receives CDEvents over HTTP, prints them and shows a live timeline per cluster.").DefaultEnvars()

		listen     = app.Flag("listen", "Address that accepts CloudEvents (POST to any path) and, unless --ui-listen is set, serves the timeline page.").Default("127.0.0.1:8090").String()
		uiListen   = app.Flag("ui-listen", "Serve the timeline page and its API on this address instead of --listen.").String()
		maxEvents  = app.Flag("max-events", "How many events to keep in memory; the oldest are dropped beyond it.").Default("10000").Int()
		token      = app.Flag("token", "Accept events only with 'Authorization: Bearer <token>'. Guards ingestion only.").String()
		schemaDir  = app.Flag("schema-dir", "Also validate against the schema files of a CDEvents spec checkout (its schemas/ directory).").ExistingDir()
		maxStreams = app.Flag("max-streams", "How many live event streams (timeline pages) may be open at once; more are refused with 503.").Default("64").Int()
		debug      = app.Flag("debug", "Log at debug level.").Short('d').Bool()
	)
	app.Version(version.Version)
	kingpin.MustParse(app.Parse(os.Args[1:]))

	lvl := zapcore.InfoLevel
	if *debug {
		lvl = zapcore.DebugLevel
	}
	log := logging.NewLogrLogger(zap.New(zap.UseDevMode(*debug), zap.Level(lvl), zap.WriteTo(os.Stderr)).WithName("cdevents-receiver"))

	var vopts []cdevent.ValidatorOption
	if *schemaDir != "" {
		vopts = append(vopts, cdevent.WithSchemaDir(*schemaDir))
	}
	v, err := cdevent.NewValidator(vopts...)
	kingpin.FatalIfError(err, "Cannot load CDEvents schemas")
	r, err := receiver.New(
		receiver.WithStore(receiver.NewStore(*maxEvents)),
		receiver.WithValidator(v),
		receiver.WithLogger(log),
		receiver.WithPrinter(os.Stdout),
		receiver.WithBearerToken(*token),
		receiver.WithMaxSubscribers(*maxStreams),
	)
	kingpin.FatalIfError(err, "Cannot create receiver")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	ingest, err := net.Listen("tcp", *listen)
	kingpin.FatalIfError(err, "Cannot listen on %s", *listen)
	g, gctx := errgroup.WithContext(ctx)
	if *uiListen == "" {
		fmt.Fprintf(os.Stderr, "Receiving CDEvents at http://%s/ (sink URL); timeline page at http://%s/\n", ingest.Addr(), ingest.Addr())
		g.Go(func() error { return receiver.Serve(gctx, ingest, r.Handler()) })
	} else {
		ui, err := net.Listen("tcp", *uiListen)
		kingpin.FatalIfError(err, "Cannot listen on %s", *uiListen)
		fmt.Fprintf(os.Stderr, "Receiving CDEvents at http://%s/ (sink URL); timeline page at http://%s/\n", ingest.Addr(), ui.Addr())
		g.Go(func() error { return receiver.Serve(gctx, ingest, r.IngestHandler()) })
		g.Go(func() error { return receiver.Serve(gctx, ui, r.UIHandler()) })
	}
	kingpin.FatalIfError(g.Wait(), "Receiver stopped")
}
