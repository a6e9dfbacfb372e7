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

package ledger

import (
	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

// RESTMapper maps the one kind a ledger's client reads and writes, the
// cluster-scoped ObservedCluster. The manager's mapper, which discovers
// every group, builds a "no match" error for each group it tries before
// the right one on every request: a few kilobytes and a few percent of
// the provider's CPU at a ledger write per transition, for a mapping that
// never changes.
func RESTMapper() meta.RESTMapper {
	m := meta.NewDefaultRESTMapper(nil)
	m.Add(v1alpha1.ObservedClusterGroupVersionKind, meta.RESTScopeRoot)
	return m
}
