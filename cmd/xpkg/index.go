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
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Error strings.
const (
	errFmtPlatform    = "cannot parse %q: want <os>/<arch>[/<variant>]=<binary>"
	errFmtDupPlatform = "platform %s given twice"
	errNoPlatforms    = "cannot build a package for no platform"
	errFmtManifest    = "cannot read the manifest of the %s image"
	errFmtBlob        = "cannot read blob %s"
	errIndexManifest  = "cannot read the image index"
	errFmtUnpack      = "cannot unpack %s"
	errFmtEntry       = "cannot unpack %s: unexpected entry %q"
)

// layoutVersion is the content of an OCI image layout's oci-layout file.
const layoutVersion = `{"imageLayoutVersion":"1.0.0"}`

// maxBlob bounds a blob read back from a package file: the runtime layer,
// the largest, is a static Go binary of a few tens of MiB.
const maxBlob = 1 << 30

// A PlatformBinary is the provider binary built for one platform.
type PlatformBinary struct {
	Platform v1.Platform
	Path     string
}

// ParsePlatformBinary reads <os>/<arch>[/<variant>]=<path>, the form of the
// build command's --binary flag.
func ParsePlatformBinary(s string) (PlatformBinary, error) {
	plat, path, ok := strings.Cut(s, "=")
	parts := strings.Split(plat, "/")
	if !ok || path == "" || len(parts) < 2 || len(parts) > 3 {
		return PlatformBinary{}, errors.Errorf(errFmtPlatform, s)
	}
	for _, p := range parts {
		if p == "" {
			return PlatformBinary{}, errors.Errorf(errFmtPlatform, s)
		}
	}
	p := v1.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return PlatformBinary{Platform: p, Path: path}, nil
}

// Index gathers the package built for each platform into one OCI image
// index, in the order given, so that one reference serves every node:
// Crossplane and the kubelet each pick the image of their platform.
func Index(pkgs map[string]v1.Image, platforms []v1.Platform) (v1.ImageIndex, error) {
	if len(platforms) == 0 {
		return nil, errors.New(errNoPlatforms)
	}
	adds := make([]mutate.IndexAddendum, 0, len(platforms))
	seen := map[string]bool{}
	for _, p := range platforms {
		if seen[p.String()] {
			return nil, errors.Errorf(errFmtDupPlatform, p.String())
		}
		seen[p.String()] = true
		img := pkgs[p.String()]
		mt, err := img.MediaType()
		if err != nil {
			return nil, errors.Wrapf(err, errFmtManifest, p.String())
		}
		plat := p
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{MediaType: mt, Platform: &plat}})
	}
	return mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...), nil
}

// WriteLayout writes an image index as an OCI image layout packed in one
// tar file: oci-layout, index.json (the index itself) and every blob under
// blobs/sha256. Entries are sorted and every timestamp is the epoch, so the
// same index always gives the same bytes. The file is replaced only once
// the new one is complete.
func WriteLayout(path string, ii v1.ImageIndex) error {
	files, err := layoutFiles(ii)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)

	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return errors.Wrapf(err, errFmtWrite, path)
	}
	tmp := path + ".tmp"
	f, err := os.Create(filepath.Clean(tmp))
	if err != nil {
		return errors.Wrapf(err, errFmtWrite, path)
	}
	tw := tar.NewWriter(f)
	dirs := map[string]bool{}
	epoch := time.Unix(0, 0).UTC()
	for _, n := range names {
		for _, d := range parents(n) {
			if dirs[d] {
				continue
			}
			dirs[d] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: epoch}); err != nil {
				_ = f.Close()
				return errors.Wrapf(err, errFmtWrite, path)
			}
		}
		b := files[n]
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: n, Mode: 0o644, Size: int64(len(b)), ModTime: epoch}); err != nil {
			_ = f.Close()
			return errors.Wrapf(err, errFmtWrite, path)
		}
		if _, err := tw.Write(b); err != nil {
			_ = f.Close()
			return errors.Wrapf(err, errFmtWrite, path)
		}
	}
	if err := tw.Close(); err != nil {
		_ = f.Close()
		return errors.Wrapf(err, errFmtWrite, path)
	}
	if err := f.Close(); err != nil {
		return errors.Wrapf(err, errFmtWrite, path)
	}
	return errors.Wrapf(os.Rename(tmp, path), errFmtWrite, path)
}

// layoutFiles renders the files of an OCI image layout holding ii.
func layoutFiles(ii v1.ImageIndex) (map[string][]byte, error) {
	raw, err := ii.RawManifest()
	if err != nil {
		return nil, errors.Wrap(err, errIndexManifest)
	}
	im, err := ii.IndexManifest()
	if err != nil {
		return nil, errors.Wrap(err, errIndexManifest)
	}
	files := map[string][]byte{
		"oci-layout": []byte(layoutVersion),
		"index.json": raw,
	}
	blob := func(h v1.Hash, b []byte) { files["blobs/"+h.Algorithm+"/"+h.Hex] = b }
	for _, d := range im.Manifests {
		img, err := ii.Image(d.Digest)
		if err != nil {
			return nil, errors.Wrapf(err, errFmtManifest, d.Digest.String())
		}
		m, err := img.RawManifest()
		if err != nil {
			return nil, errors.Wrapf(err, errFmtManifest, d.Digest.String())
		}
		blob(d.Digest, m)
		cfg, err := img.RawConfigFile()
		if err != nil {
			return nil, errors.Wrapf(err, errFmtManifest, d.Digest.String())
		}
		cn, err := img.ConfigName()
		if err != nil {
			return nil, errors.Wrapf(err, errFmtManifest, d.Digest.String())
		}
		blob(cn, cfg)
		ls, err := img.Layers()
		if err != nil {
			return nil, errors.Wrapf(err, errFmtManifest, d.Digest.String())
		}
		for _, l := range ls {
			h, err := l.Digest()
			if err != nil {
				return nil, errors.Wrapf(err, errFmtManifest, d.Digest.String())
			}
			if _, ok := files["blobs/"+h.Algorithm+"/"+h.Hex]; ok {
				continue
			}
			rc, err := l.Compressed()
			if err != nil {
				return nil, errors.Wrapf(err, errFmtBlob, h.String())
			}
			b, err := io.ReadAll(rc)
			_ = rc.Close()
			if err != nil {
				return nil, errors.Wrapf(err, errFmtBlob, h.String())
			}
			blob(h, b)
		}
	}
	return files, nil
}

// LoadLayout unpacks a package file written by WriteLayout into dir and
// returns its image index, read from there. dir must outlive every use of
// the index.
func LoadLayout(path, dir string) (v1.ImageIndex, error) {
	f, err := os.Open(filepath.Clean(path))
	if err != nil {
		return nil, errors.Wrapf(err, errFmtRead, path)
	}
	defer func() { _ = f.Close() }()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, errors.Wrapf(err, errFmtUnpack, path)
		}
		name := filepath.Clean(h.Name)
		if filepath.IsAbs(name) || name == ".." || strings.HasPrefix(name, ".."+string(filepath.Separator)) {
			return nil, errors.Errorf(errFmtEntry, path, h.Name)
		}
		target := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o750); err != nil {
				return nil, errors.Wrapf(err, errFmtUnpack, path)
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o750); err != nil {
				return nil, errors.Wrapf(err, errFmtUnpack, path)
			}
			b, err := io.ReadAll(io.LimitReader(tr, maxBlob))
			if err != nil {
				return nil, errors.Wrapf(err, errFmtUnpack, path)
			}
			if err := os.WriteFile(target, b, 0o600); err != nil {
				return nil, errors.Wrapf(err, errFmtUnpack, path)
			}
		default:
			return nil, errors.Errorf(errFmtEntry, path, h.Name)
		}
	}
	ii, err := layout.ImageIndexFromPath(dir)
	return ii, errors.Wrapf(err, errFmtLoad, path)
}
