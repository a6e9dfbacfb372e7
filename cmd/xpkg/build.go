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

package main

import (
	"context"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/afero"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/xpkg"
	"github.com/crossplane/crossplane-runtime/v2/pkg/xpkg/parser"
	"github.com/crossplane/crossplane-runtime/v2/pkg/xpkg/parser/examples"
)

// Error strings.
const (
	errMetaScheme     = "cannot build package metadata scheme"
	errObjectScheme   = "cannot build package object scheme"
	errBuildPackage   = "cannot build package"
	errAnnotateLayers = "cannot annotate package layers"
	errFmtLoad        = "cannot load package %s"
)

// Package builds the Crossplane package the way `crossplane xpkg build`
// does: package.yaml from the metadata and CRDs under packageRoot, the
// examples under examplesRoot (YAML files only), and the runtime image as
// its base, so Crossplane runs the package itself as the provider. Layers
// are annotated, as `crossplane xpkg push` does, because Crossplane finds
// package.yaml by its layer annotation.
func Package(ctx context.Context, packageRoot, examplesRoot string, runtime v1.Image) (v1.Image, error) {
	metaScheme, err := xpkg.BuildMetaScheme()
	if err != nil {
		return nil, errors.Wrap(err, errMetaScheme)
	}
	objScheme, err := xpkg.BuildObjectScheme()
	if err != nil {
		return nil, errors.Wrap(err, errObjectScheme)
	}
	yamlOnly := parser.FsFilters(parser.SkipDirs(), parser.SkipNotYAML(), parser.SkipEmpty())
	fs := afero.NewOsFs()
	b := xpkg.New(
		parser.NewFsBackend(fs, parser.FsDir(packageRoot), yamlOnly),
		parser.NewFsBackend(fs, parser.FsDir(examplesRoot), yamlOnly),
		parser.New(metaScheme, objScheme),
		examples.New(),
	)
	img, _, err := b.Build(ctx, xpkg.WithBase(runtime))
	if err != nil {
		return nil, errors.Wrap(err, errBuildPackage)
	}
	img, err = xpkg.AnnotateLayers(img)
	return img, errors.Wrap(err, errAnnotateLayers)
}
