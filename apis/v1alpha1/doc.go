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

// Package v1alpha1 holds the cdevents.crossplane.io API: where CDEvents go
// (ProviderConfig, ClusterProviderConfig), what the provider has seen of every
// Kubernetes cluster (ObservedCluster), and how to recognise cluster kinds the
// built-in catalog lacks (ClusterKind). It is the provider's only contract with
// users, so every field carries validation and a doc comment.
// +kubebuilder:object:generate=true
// +groupName=cdevents.crossplane.io
// +versionName=v1alpha1
package v1alpha1
