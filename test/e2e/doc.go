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

// Package e2e proves that provider-cdevents installs the way users install
// it and then does its job: the .xpkg of `make xpkg.build` is pushed to a
// registry and installed into real Crossplane v2 running against a local
// kube-apiserver, with the manifests of examples/install; the provider then
// runs with exactly the rights of the ServiceAccount Crossplane created for
// it, turns an EKS cluster's lifecycle into valid CDEvents at an HTTP sink,
// and reports, rather than crashes on, kinds it is not allowed to watch.
//
// The tests carry the e2e build tag and need binaries that `make e2e`
// builds first; run them with `make e2e`.
package e2e
