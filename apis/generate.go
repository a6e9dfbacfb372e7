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

// Remove generated CRDs so that renamed or deleted types leave nothing
// stale behind.
//go:generate rm -rf ../package/crds

// Generate deepcopy methods and CRDs with controller-gen, pinned by the
// tool directive in go.mod.
//go:generate go tool controller-gen object:headerFile=../hack/boilerplate.go.txt paths=./... crd:crdVersions=v1 output:artifacts:config=../package/crds

// Generate the read-only RBAC for the cluster kinds of the built-in catalog.
//go:generate go run ../cmd/gencatalogrbac -o ../examples/install/rbac.yaml

package apis
