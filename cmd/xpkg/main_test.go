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
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/xpkg"
)

// The package sources of this repository, relative to this package.
const (
	packageRoot  = "../../package"
	examplesRoot = "../../examples"
)

// entry is one file of a layer.
type entry struct {
	Mode int64
	Data string
}

// filesOf returns the regular files of a layer by path, and its
// directories with an empty Data.
func filesOf(t *testing.T, l v1.Layer) map[string]entry {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatalf("l.Uncompressed(): %v", err)
	}
	defer func() { _ = rc.Close() }()
	out := map[string]entry{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("reading layer: %v", err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("reading %s: %v", h.Name, err)
		}
		out[h.Name] = entry{Mode: h.Mode, Data: string(b)}
	}
}

// layerAnnotated returns the layer of img whose manifest descriptor
// carries the xpkg annotation value.
func layerAnnotated(t *testing.T, img v1.Image, value string) v1.Layer {
	t.Helper()
	m, err := img.Manifest()
	if err != nil {
		t.Fatalf("img.Manifest(): %v", err)
	}
	for _, d := range m.Layers {
		if d.Annotations[xpkg.AnnotationKey] != value {
			continue
		}
		l, err := img.LayerByDigest(d.Digest)
		if err != nil {
			t.Fatalf("img.LayerByDigest(%s): %v", d.Digest, err)
		}
		return l
	}
	t.Fatalf("no layer annotated %s=%s", xpkg.AnnotationKey, value)
	return nil
}

// docs decodes a YAML stream into objects, skipping empty documents.
func docs(t *testing.T, s string) []unstructured.Unstructured {
	t.Helper()
	d := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(s), 4096)
	var out []unstructured.Unstructured
	for {
		u := unstructured.Unstructured{}
		err := d.Decode(&u.Object)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("decoding YAML: %v", err)
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
}

// ids names objects as kind/name, sorted.
func ids(objs []unstructured.Unstructured) []string {
	out := make([]string, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.GetKind()+"/"+o.GetName())
	}
	sort.Strings(out)
	return out
}

// sourceObjects reads every YAML object under dir, as the package build
// should find them.
func sourceObjects(t *testing.T, dir string) []unstructured.Unstructured {
	t.Helper()
	var out []unstructured.Unstructured
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".yaml" {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, docs(t, string(b))...)
		return nil
	})
	if err != nil {
		t.Fatalf("reading %s: %v", dir, err)
	}
	return out
}

func TestRuntimeImage(t *testing.T) {
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	type args struct {
		binary   []byte
		caBundle []byte
		platform v1.Platform
	}
	type want struct {
		files    map[string]entry
		platform []string
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"BinaryOnly": {
			reason: "The binary should be the entrypoint, executable, under directories a non-root user can traverse.",
			args:   args{binary: []byte("provider binary"), platform: v1.Platform{OS: "linux", Architecture: "amd64"}},
			want: want{files: map[string]entry{
				"usr/":                   {Mode: 0o755},
				"usr/local/":             {Mode: 0o755},
				"usr/local/bin/":         {Mode: 0o755},
				"usr/local/bin/provider": {Mode: 0o755, Data: "provider binary"},
			}, platform: []string{"linux", "amd64", ""}},
		},
		"WithCABundle": {
			reason: "A CA bundle should be where Go looks for trusted roots, readable by the nonroot user.",
			args:   args{binary: []byte("provider binary"), caBundle: []byte("-----BEGIN CERTIFICATE-----"), platform: v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}},
			want: want{files: map[string]entry{
				"usr/":                              {Mode: 0o755},
				"usr/local/":                        {Mode: 0o755},
				"usr/local/bin/":                    {Mode: 0o755},
				"usr/local/bin/provider":            {Mode: 0o755, Data: "provider binary"},
				"etc/":                              {Mode: 0o755},
				"etc/ssl/":                          {Mode: 0o755},
				"etc/ssl/certs/":                    {Mode: 0o755},
				"etc/ssl/certs/ca-certificates.crt": {Mode: 0o644, Data: "-----BEGIN CERTIFICATE-----"},
			}, platform: []string{"linux", "arm64", "v8"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			img, err := RuntimeImage(tc.args.binary, tc.args.caBundle, created, tc.args.platform)
			if err != nil {
				t.Fatalf("RuntimeImage(...): %v", err)
			}
			ls, err := img.Layers()
			if err != nil {
				t.Fatalf("img.Layers(): %v", err)
			}
			if len(ls) != 1 {
				t.Fatalf("RuntimeImage(...): want 1 layer, got %d", len(ls))
			}
			if diff := cmp.Diff(tc.want.files, filesOf(t, ls[0])); diff != "" {
				t.Errorf("\n%s\nRuntimeImage(...): layer files: -want, +got:\n%s", tc.reason, diff)
			}
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatalf("img.ConfigFile(): %v", err)
			}
			got := []string{cf.OS, cf.Architecture, cf.Variant, cf.Config.User, strings.Join(cf.Config.Entrypoint, " "), cf.Created.UTC().String()}
			want := append(append([]string{}, tc.want.platform...), "65532", "/usr/local/bin/provider", created.String())
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("\n%s\nRuntimeImage(...): os, arch, variant, user, entrypoint, created: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestPackage(t *testing.T) {
	rt, err := RuntimeImage([]byte("provider binary"), nil, time.Unix(0, 0), v1.Platform{OS: "linux", Architecture: "amd64"})
	if err != nil {
		t.Fatalf("RuntimeImage(...): %v", err)
	}
	img, err := Package(context.Background(), packageRoot, examplesRoot, rt)
	if err != nil {
		t.Fatalf("Package(...): %v", err)
	}

	t.Run("PackageYAML", func(t *testing.T) {
		files := filesOf(t, layerAnnotated(t, img, xpkg.PackageAnnotation))
		objs := docs(t, files[xpkg.StreamFile].Data)
		want := ids(sourceObjects(t, packageRoot))
		if diff := cmp.Diff(want, ids(objs)); diff != "" {
			t.Errorf("\nThe package layer should hold package.yaml with the metadata and every CRD under %s.\nPackage(...): -want, +got:\n%s", packageRoot, diff)
		}
		for _, o := range objs {
			if o.GetKind() != "Provider" {
				continue
			}
			caps, _, _ := unstructured.NestedStringSlice(o.Object, "spec", "capabilities")
			if diff := cmp.Diff([]string{"safe-start"}, caps); diff != "" {
				t.Errorf("\nThe provider reads CRDs and copes with late activation, so it should declare safe-start.\nPackage(...): capabilities: -want, +got:\n%s", diff)
			}
		}
	})

	t.Run("Examples", func(t *testing.T) {
		files := filesOf(t, layerAnnotated(t, img, xpkg.ExamplesAnnotation))
		want := ids(sourceObjects(t, examplesRoot))
		if diff := cmp.Diff(want, ids(docs(t, files[xpkg.XpkgExamplesFile].Data))); diff != "" {
			t.Errorf("\nThe examples layer should hold every example under %s, the installation manifests among them.\nPackage(...): -want, +got:\n%s", examplesRoot, diff)
		}
	})

	t.Run("Runtime", func(t *testing.T) {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatalf("img.ConfigFile(): %v", err)
		}
		got := []string{cf.Config.User, strings.Join(cf.Config.Entrypoint, " ")}
		if diff := cmp.Diff([]string{"65532", "/usr/local/bin/provider"}, got); diff != "" {
			t.Errorf("\nCrossplane runs the package image itself as the provider, so it should keep the runtime's user and entrypoint.\nPackage(...): user, entrypoint: -want, +got:\n%s", diff)
		}
	})
}

// TestReproducible builds the package for two platforms twice from the
// same inputs, writes each to a file, loads it back and pushes it: the
// files must be identical and every digest the same, so a release can be
// rebuilt and checked, and what is pushed is what was built. What the
// registry serves must be one OCI image index from which each platform
// pulls the package holding its own binary.
func TestReproducible(t *testing.T) {
	dir := t.TempDir()
	platforms := []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}
	var bins []PlatformBinary
	for _, p := range platforms {
		bin := filepath.Join(dir, p.OS+"_"+p.Architecture, "provider")
		if err := os.MkdirAll(filepath.Dir(bin), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(bin, []byte("provider binary for "+p.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		bins = append(bins, PlatformBinary{Platform: p, Path: bin})
	}
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	reg := strings.TrimPrefix(srv.URL, "http://")

	digests := map[string]v1.Hash{}
	for _, run := range []string{"first", "second"} {
		out := filepath.Join(dir, run, "provider-cdevents.xpkg")
		d, err := buildFile(context.Background(), buildArgs{
			binaries: bins, packageRoot: packageRoot, examplesRoot: examplesRoot,
			created: time.Unix(0, 0), output: out,
		})
		if err != nil {
			t.Fatalf("buildFile(...): %v", err)
		}
		digests[run+" build"] = d

		loaded, err := LoadLayout(out, t.TempDir())
		if err != nil {
			t.Fatalf("LoadLayout(...): %v", err)
		}
		if digests[run+" load"], err = loaded.Digest(); err != nil {
			t.Fatal(err)
		}

		pushed, err := pushFile(context.Background(), out, reg+"/provider-cdevents:"+run, false)
		if err != nil {
			t.Fatalf("pushFile(...): %v", err)
		}
		if digests[run+" push"], err = v1.NewHash(pushed.DigestStr()); err != nil {
			t.Fatal(err)
		}
		// What the registry serves, which is what Crossplane fetches.
		r, err := name.ParseReference(reg + "/provider-cdevents:" + run)
		if err != nil {
			t.Fatal(err)
		}
		desc, err := remote.Head(r)
		if err != nil {
			t.Fatalf("remote.Head(...): %v", err)
		}
		digests[run+" registry"] = desc.Digest
		if desc.MediaType != types.OCIImageIndex {
			t.Errorf("registry media type: want %s, got %s", types.OCIImageIndex, desc.MediaType)
		}
	}

	want := digests["first build"]
	for k, got := range digests {
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("\nEvery build, load and push of the same inputs should have one digest.\n%s: -want (first build), +got:\n%s", k, diff)
		}
	}

	a, err := os.ReadFile(filepath.Join(dir, "first", "provider-cdevents.xpkg"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "second", "provider-cdevents.xpkg"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("the two .xpkg files built from the same inputs differ")
	}

	// Each platform pulls its own package: the package layers, and the
	// runtime layer with the binary built for it.
	r, err := name.ParseReference(reg + "/provider-cdevents:first")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range platforms {
		img, err := remote.Image(r, remote.WithPlatform(p))
		if err != nil {
			t.Fatalf("remote.Image(%s): %v", p, err)
		}
		files := filesOf(t, layerAnnotated(t, img, xpkg.PackageAnnotation))
		if _, ok := files[xpkg.StreamFile]; !ok {
			t.Errorf("%s: the package layer has no %s", p, xpkg.StreamFile)
		}
		ls, err := img.Layers()
		if err != nil {
			t.Fatal(err)
		}
		found := ""
		for _, l := range ls {
			if f, ok := filesOf(t, l)[strings.TrimPrefix(BinaryPath, "/")]; ok {
				found = f.Data
			}
		}
		if diff := cmp.Diff("provider binary for "+p.String(), found); diff != "" {
			t.Errorf("\nThe image of %s should run the binary built for it.\nbinary: -want, +got:\n%s", p, diff)
		}
	}
}

func TestParsePlatformBinary(t *testing.T) {
	type want struct {
		pb  PlatformBinary
		err bool
	}
	cases := map[string]struct {
		reason string
		arg    string
		want   want
	}{
		"OSArch": {
			reason: "An os/arch pair names the platform of the binary.",
			arg:    "linux/arm64=_output/bin/linux_arm64/provider",
			want:   want{pb: PlatformBinary{Platform: v1.Platform{OS: "linux", Architecture: "arm64"}, Path: "_output/bin/linux_arm64/provider"}},
		},
		"Variant": {
			reason: "A variant may follow the architecture.",
			arg:    "linux/arm/v7=bin",
			want:   want{pb: PlatformBinary{Platform: v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}, Path: "bin"}},
		},
		"BarePath": {
			reason: "A path without its platform is ambiguous in a multi-platform package.",
			arg:    "_output/bin/provider",
			want:   want{err: true},
		},
		"NoPath": {
			reason: "A platform without a binary cannot be built.",
			arg:    "linux/amd64=",
			want:   want{err: true},
		},
		"EmptyPart": {
			reason: "Every part of the platform must be named.",
			arg:    "linux/=bin",
			want:   want{err: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParsePlatformBinary(tc.arg)
			if (err != nil) != tc.want.err {
				t.Fatalf("\n%s\nParsePlatformBinary(%q): want error %t, got %v", tc.reason, tc.arg, tc.want.err, err)
			}
			if diff := cmp.Diff(tc.want.pb, got); diff != "" {
				t.Errorf("\n%s\nParsePlatformBinary(%q): -want, +got:\n%s", tc.reason, tc.arg, diff)
			}
		})
	}
}

func TestIndexRefusesDuplicatePlatforms(t *testing.T) {
	rt, err := RuntimeImage([]byte("provider binary"), nil, time.Unix(0, 0), v1.Platform{OS: "linux", Architecture: "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	p := v1.Platform{OS: "linux", Architecture: "amd64"}
	if _, err := Index(map[string]v1.Image{p.String(): rt}, []v1.Platform{p, p}); err == nil {
		t.Errorf("Index(...) with one platform twice: want an error, got none")
	}
	if _, err := Index(nil, nil); err == nil {
		t.Errorf("Index(...) without platforms: want an error, got none")
	}
}
