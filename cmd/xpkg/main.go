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
// the runtime image is assembled with go-containerregistry and the package
// with crossplane-runtime's pkg/xpkg, so it builds wherever Go does, and the
// same inputs always give the same digest. `make xpkg.build` and
// `make xpkg.push` run it:
//
//	xpkg build --binary _output/bin/linux_amd64/provider -o _output/xpkg/provider-cdevents-v0.1.0.xpkg
//	xpkg push -f _output/xpkg/provider-cdevents-v0.1.0.xpkg registry.example.com/provider-cdevents:v0.1.0
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
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// DefaultRepository names the package inside the .xpkg file when no tag
// is given. The name is not part of the package's digest.
const DefaultRepository = "xpkg.crossplane.io/crossplane-contrib/provider-cdevents"

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
	binary := build.Flag("binary", "Static linux/amd64 provider binary to run as the package's runtime.").Required().ExistingFile()
	caBundle := build.Flag("ca-bundle", "PEM bundle of trusted roots to ship at "+CABundlePath+", so HTTPS sinks can be verified.").ExistingFile()
	packageRoot := build.Flag("package-root", "Directory of crossplane.yaml and the CRDs.").Default("package").ExistingDir()
	examplesRoot := build.Flag("examples-root", "Directory of examples shipped in the package.").Default("examples").String()
	created := build.Flag("created", "Creation time of the image, in seconds since the Unix epoch; fixed so builds are reproducible.").Envar("SOURCE_DATE_EPOCH").Default("0").Int64()
	tag := build.Flag("tag", "Image name recorded in the .xpkg file.").Default(DefaultRepository + ":latest").String()
	output := build.Flag("output", "The .xpkg file to write.").Short('o').Required().String()

	push := app.Command("push", "Push an .xpkg file to a registry and print the pushed reference with its digest.")
	file := push.Flag("file", "The .xpkg file to push.").Short('f').Required().ExistingFile()
	insecure := push.Flag("insecure", "Speak plain HTTP to the registry (always done for localhost and 127.0.0.1).").Bool()
	ref := push.Arg("reference", "Where to push, as registry/repository:tag.").Required().String()

	ctx := context.Background()
	switch kingpin.MustParse(app.Parse(os.Args[1:])) {
	case build.FullCommand():
		d, err := buildFile(ctx, buildArgs{
			binary: *binary, caBundle: *caBundle,
			packageRoot: *packageRoot, examplesRoot: *examplesRoot,
			created: time.Unix(*created, 0).UTC(), tag: *tag, output: *output,
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
	binary       string
	caBundle     string
	packageRoot  string
	examplesRoot string
	created      time.Time
	tag          string
	output       string
}

// buildFile builds the package and writes it as an .xpkg file (an image
// tarball), returning its digest.
func buildFile(ctx context.Context, a buildArgs) (v1.Hash, error) {
	bin, err := os.ReadFile(a.binary)
	if err != nil {
		return v1.Hash{}, errors.Wrapf(err, errFmtRead, a.binary)
	}
	var ca []byte
	if a.caBundle != "" {
		if ca, err = os.ReadFile(a.caBundle); err != nil {
			return v1.Hash{}, errors.Wrapf(err, errFmtRead, a.caBundle)
		}
	}
	rt, err := RuntimeImage(bin, ca, a.created)
	if err != nil {
		return v1.Hash{}, err
	}
	img, err := Package(ctx, a.packageRoot, a.examplesRoot, rt)
	if err != nil {
		return v1.Hash{}, err
	}
	if err := Write(a.output, a.tag, img); err != nil {
		return v1.Hash{}, err
	}
	d, err := img.Digest()
	return d, errors.Wrap(err, errDigest)
}

// Write writes a package as an .xpkg file, replacing it only once the new
// one is complete.
func Write(path, tag string, img v1.Image) error {
	t, err := name.NewTag(tag)
	if err != nil {
		return errors.Wrapf(err, errFmtParseRef, tag)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return errors.Wrapf(err, errFmtWrite, path)
	}
	tmp := path + ".tmp"
	if err := tarball.WriteToFile(tmp, t, img); err != nil {
		return errors.Wrapf(err, errFmtWrite, path)
	}
	return errors.Wrapf(os.Rename(tmp, path), errFmtWrite, path)
}

// pushFile pushes an .xpkg file with its layer annotations restored and
// returns the pushed reference pinned to its digest.
func pushFile(ctx context.Context, file, ref string, insecure bool) (name.Digest, error) {
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	r, err := name.ParseReference(ref, opts...)
	if err != nil {
		return name.Digest{}, errors.Wrapf(err, errFmtParseRef, ref)
	}
	img, err := Load(file)
	if err != nil {
		return name.Digest{}, err
	}
	if err := remote.Write(r, img, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return name.Digest{}, errors.Wrapf(err, errFmtPush, r.Name())
	}
	d, err := img.Digest()
	if err != nil {
		return name.Digest{}, errors.Wrap(err, errDigest)
	}
	return r.Context().Digest(d.String()), nil
}
