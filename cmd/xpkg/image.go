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
	"io"
	"path"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Where the runtime image keeps its files, and who it runs as. They match
// cluster/images/provider-cdevents/Dockerfile, so both images behave alike.
const (
	// BinaryPath is the provider binary in the image, its entrypoint.
	BinaryPath = "/usr/local/bin/provider"
	// CABundlePath is where Go's crypto/x509 looks for trusted roots on
	// Linux, and where distroless images keep them.
	CABundlePath = "/etc/ssl/certs/ca-certificates.crt"
	// User is distroless' nonroot user: the provider needs no privileges.
	User = "65532"
)

// Error strings.
const (
	errWriteTar    = "cannot write image layer"
	errLayer       = "cannot create image layer"
	errAppendLayer = "cannot append layer to image"
	errConfigFile  = "cannot read image config"
	errSetConfig   = "cannot set image config"
)

// A file is one regular file of the runtime image.
type file struct {
	path string
	mode int64
	data []byte
}

// RuntimeImage assembles the image that runs the provider on one platform
// without Docker: one layer holding the static binary built for it (and,
// when given, a CA bundle so that HTTPS sinks with public certificates can
// be verified), with the entrypoint, user and platform set. Every
// timestamp is created, so the same inputs always give the same digest.
func RuntimeImage(binary, caBundle []byte, created time.Time, p v1.Platform) (v1.Image, error) {
	files := []file{{path: BinaryPath, mode: 0o755, data: binary}}
	if len(caBundle) > 0 {
		files = append(files, file{path: CABundlePath, mode: 0o644, data: caBundle})
	}
	layer, err := layerOf(files, created)
	if err != nil {
		return nil, err
	}
	img, err := mutate.Append(empty.Image, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:   v1.Time{Time: created},
			CreatedBy: "provider-cdevents xpkg build",
			Comment:   "provider binary at " + BinaryPath,
		},
	})
	if err != nil {
		return nil, errors.Wrap(err, errAppendLayer)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, errors.Wrap(err, errConfigFile)
	}
	cf = cf.DeepCopy()
	cf.OS = p.OS
	cf.Architecture = p.Architecture
	cf.Variant = p.Variant
	cf.Created = v1.Time{Time: created}
	cf.Config.Entrypoint = []string{BinaryPath}
	cf.Config.User = User
	img, err = mutate.ConfigFile(img, cf)
	return img, errors.Wrap(err, errSetConfig)
}

// layerOf writes files, and the directories above them, into one
// uncompressed tar owned by root, then wraps it as a gzipped layer.
func layerOf(files []file, modTime time.Time) (v1.Layer, error) {
	buf := &bytes.Buffer{}
	tw := tar.NewWriter(buf)
	dirs := map[string]bool{}
	for _, f := range files {
		name := strings.TrimPrefix(f.path, "/")
		for _, d := range parents(name) {
			if dirs[d] {
				continue
			}
			dirs[d] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: modTime}); err != nil {
				return nil, errors.Wrap(err, errWriteTar)
			}
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: f.mode, Size: int64(len(f.data)), ModTime: modTime}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, errors.Wrap(err, errWriteTar)
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, errors.Wrap(err, errWriteTar)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, errors.Wrap(err, errWriteTar)
	}
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	})
	return l, errors.Wrap(err, errLayer)
}

// parents returns the directories above a slash-separated relative path,
// outermost first: usr, usr/local, usr/local/bin for usr/local/bin/provider.
func parents(name string) []string {
	var out []string
	for d := path.Dir(name); d != "." && d != "/"; d = path.Dir(d) {
		out = append([]string{d}, out...)
	}
	return out
}
