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

package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// FillRequired adds to obj every field the schema requires that obj lacks,
// recursively, with a placeholder of the field's type (an enum's first
// value), so that an object of any CRD can be created knowing only its
// schema.
func FillRequired(obj map[string]any, s *apiextensionsv1.JSONSchemaProps) {
	if s == nil {
		return
	}
	for _, name := range s.Required {
		prop, ok := s.Properties[name]
		if !ok {
			continue
		}
		v, has := obj[name]
		if !has {
			v = placeholder(&prop)
			obj[name] = v
		}
		if m, isMap := v.(map[string]any); isMap {
			FillRequired(m, &prop)
		}
	}
}

// placeholder is a value of a schema's type.
func placeholder(s *apiextensionsv1.JSONSchemaProps) any {
	if len(s.Enum) > 0 {
		var v any
		if err := json.Unmarshal(s.Enum[0].Raw, &v); err == nil {
			return v
		}
	}
	switch s.Type {
	case "object":
		return map[string]any{}
	case "array":
		return []any{}
	case "integer":
		return int64(1)
	case "number":
		return 1.0
	case "boolean":
		return false
	}
	return "bench"
}

// IsWatch says whether a request is a watch.
func IsWatch(u *url.URL) bool {
	w := u.Query().Get("watch")
	return w == "true" || w == "1"
}

// Connections counts this process's established TCP connections to a
// local port: how many connections its HTTP clients hold to the API
// server. It reads /proc, so it is -1 where there is none.
func Connections(port int) int {
	inodes := map[string]bool{}
	links, err := filepath.Glob("/proc/self/fd/*")
	if err != nil {
		return -1
	}
	for _, l := range links {
		t, err := os.Readlink(l)
		if err == nil && strings.HasPrefix(t, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(t, "socket:["), "]")] = true
		}
	}
	n, found := 0, false
	for _, f := range []string{"/proc/self/net/tcp", "/proc/self/net/tcp6"} {
		c, ok := countConnections(f, port, inodes)
		if ok {
			found = true
			n += c
		}
	}
	if !found {
		return -1
	}
	return n
}

// countConnections counts the established connections of a /proc/net/tcp
// table whose remote port is port and whose socket is one of inodes.
func countConnections(path string, port int, inodes map[string]bool) (int, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	const established = "01"
	want := fmt.Sprintf(":%04X", port)
	n := 0
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		// sl local remote st ... uid timeout inode
		if len(fields) < 10 || fields[3] != established || !strings.HasSuffix(fields[2], want) || !inodes[fields[9]] {
			continue
		}
		n++
	}
	return n, true
}

// Port is the port of a URL's host, 443 for https without one.
func Port(host string) int {
	u, err := url.Parse(host)
	if err != nil {
		return 0
	}
	if p := u.Port(); p != "" {
		n, _ := strconv.Atoi(p)
		return n
	}
	if u.Scheme == "http" {
		return 80
	}
	return 443
}
