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

// Package main builds provider-cdevents' Crossplane package (.xpkg) and
// pushes it to an OCI registry with neither Docker nor the crossplane CLI:
// the runtime image of each platform is assembled with go-containerregistry,
// the package of each platform with crossplane-runtime's pkg/xpkg, and all
// of them are gathered into one OCI image index, so one reference installs
// on amd64 and arm64 control planes alike. It builds wherever Go does, and
// the same inputs always give the same digest. `make xpkg.build` and
// `make xpkg.push` run it:
//
//	xpkg build --binary linux/amd64=_output/bin/linux_amd64/provider \
//	  --binary linux/arm64=_output/bin/linux_arm64/provider -o _output/xpkg/provider-cdevents-v0.1.0.xpkg
//	xpkg push -f _output/xpkg/provider-cdevents-v0.1.0.xpkg registry.example.com/provider-cdevents:v0.1.0
//
// The .xpkg file is an OCI image layout packed in a tar file, with the
// index as its index.json.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Error strings.
const (
	errFmtRead     = "cannot read %s"
	errFmtParseRef = "cannot parse reference %q"
	errFmtWrite    = "cannot write %s"
	errFmtPush     = "cannot push to %s"
	errDigest      = "cannot compute digest"
)

func main() {
	app := kingpin.New(filepath.Base(os.Args[0]), "Builds and pushes the provider-cdevents Crossplane package without Docker.").DefaultEnvars()

	build := app.Command("build", "Build the .xpkg file and print its digest.")
	binaries := build.Flag("binary", "A static provider binary and the platform it was built for, as <os>/<arch>=<path>; repeat it for each platform the package supports.").Required().Strings()
	caBundle := build.Flag("ca-bundle", "PEM bundle of trusted roots to ship at "+CABundlePath+", so HTTPS sinks can be verified.").ExistingFile()
	packageRoot := build.Flag("package-root", "Directory of crossplane.yaml and the CRDs.").Default("package").ExistingDir()
	examplesRoot := build.Flag("examples-root", "Directory of examples shipped in the package.").Default("examples").String()
	created := build.Flag("created", "Creation time of the image, in seconds since the Unix epoch; fixed so builds are reproducible.").Envar("SOURCE_DATE_EPOCH").Default("0").Int64()
	output := build.Flag("output", "The .xpkg file to write.").Short('o').Required().String()

	push := app.Command("push", "Push an .xpkg file to a registry and print the pushed reference with its digest.")
	file := push.Flag("file", "The .xpkg file to push.").Short('f').Required().ExistingFile()
	insecure := push.Flag("insecure", "Speak plain HTTP to the registry (always done for localhost and 127.0.0.1).").Bool()
	ref := push.Arg("reference", "Where to push, as registry/repository:tag.").Required().String()

	ctx := context.Background()
	switch kingpin.MustParse(app.Parse(os.Args[1:])) {
	case build.FullCommand():
		bins := make([]PlatformBinary, 0, len(*binaries))
		for _, b := range *binaries {
			pb, err := ParsePlatformBinary(b)
			kingpin.FatalIfError(err, "Cannot build package")
			bins = append(bins, pb)
		}
		d, err := buildFile(ctx, buildArgs{
			binaries: bins, caBundle: *caBundle,
			packageRoot: *packageRoot, examplesRoot: *examplesRoot,
			created: time.Unix(*created, 0).UTC(), output: *output,
		})
		kingpin.FatalIfError(err, "Cannot build package")
		fmt.Println(d)
	case push.FullCommand():
		r, err := pushFile(ctx, *file, *ref, *insecure)
		kingpin.FatalIfError(err, "Cannot push package")
		fmt.Println(r)
	}
}

// buildArgs are the inputs of one package build.
type buildArgs struct {
	binaries     []PlatformBinary
	caBundle     string
	packageRoot  string
	examplesRoot string
	created      time.Time
	output       string
}

// buildFile builds the package of every platform, gathers them into one
// image index and writes it as an .xpkg file, returning the index's digest.
func buildFile(ctx context.Context, a buildArgs) (v1.Hash, error) {
	var ca []byte
	if a.caBundle != "" {
		var err error
		if ca, err = os.ReadFile(a.caBundle); err != nil {
			return v1.Hash{}, errors.Wrapf(err, errFmtRead, a.caBundle)
		}
	}
	pkgs := map[string]v1.Image{}
	platforms := make([]v1.Platform, 0, len(a.binaries))
	for _, b := range a.binaries {
		bin, err := os.ReadFile(b.Path)
		if err != nil {
			return v1.Hash{}, errors.Wrapf(err, errFmtRead, b.Path)
		}
		rt, err := RuntimeImage(bin, ca, a.created, b.Platform)
		if err != nil {
			return v1.Hash{}, err
		}
		img, err := Package(ctx, a.packageRoot, a.examplesRoot, rt)
		if err != nil {
			return v1.Hash{}, err
		}
		pkgs[b.Platform.String()] = img
		platforms = append(platforms, b.Platform)
	}
	ii, err := Index(pkgs, platforms)
	if err != nil {
		return v1.Hash{}, err
	}
	if err := WriteLayout(a.output, ii); err != nil {
		return v1.Hash{}, err
	}
	d, err := ii.Digest()
	return d, errors.Wrap(err, errDigest)
}

// pushFile pushes an .xpkg file, index and every platform's package, and
// returns the pushed reference pinned to the index's digest.
func pushFile(ctx context.Context, file, ref string, insecure bool) (name.Digest, error) {
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	r, err := name.ParseReference(ref, opts...)
	if err != nil {
		return name.Digest{}, errors.Wrapf(err, errFmtParseRef, ref)
	}
	dir, err := os.MkdirTemp("", "xpkg-")
	if err != nil {
		return name.Digest{}, errors.Wrapf(err, errFmtRead, file)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	ii, err := LoadLayout(file, dir)
	if err != nil {
		return name.Digest{}, err
	}
	if err := remote.WriteIndex(r, ii, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return name.Digest{}, errors.Wrapf(err, errFmtPush, r.Name())
	}
	d, err := ii.Digest()
	if err != nil {
		return name.Digest{}, errors.Wrap(err, errDigest)
	}
	return r.Context().Digest(d.String()), nil
}
