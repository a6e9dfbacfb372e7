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

package v1alpha1

import (
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
)

// TypeSinkReachable says whether the last attempt to reach a sink got an
// HTTP answer that was not a server or throttling error.
const TypeSinkReachable xpv2.ConditionType = "SinkReachable"

// GetCondition of this ClusterProviderConfig.
func (pc *ClusterProviderConfig) GetCondition(ct xpv2.ConditionType) xpv2.Condition {
	return pc.Status.GetCondition(ct)
}

// SetConditions of this ClusterProviderConfig.
func (pc *ClusterProviderConfig) SetConditions(c ...xpv2.Condition) {
	pc.Status.SetConditions(c...)
}

// GetCondition of this ProviderConfig.
func (pc *ProviderConfig) GetCondition(ct xpv2.ConditionType) xpv2.Condition {
	return pc.Status.GetCondition(ct)
}

// SetConditions of this ProviderConfig.
func (pc *ProviderConfig) SetConditions(c ...xpv2.Condition) {
	pc.Status.SetConditions(c...)
}

// GetCondition of this ClusterKind.
func (ck *ClusterKind) GetCondition(ct xpv2.ConditionType) xpv2.Condition {
	return ck.Status.GetCondition(ct)
}

// SetConditions of this ClusterKind.
func (ck *ClusterKind) SetConditions(c ...xpv2.Condition) {
	ck.Status.SetConditions(c...)
}

// A Config is either kind of provider config; one reconciler serves both.
// +kubebuilder:object:generate=false
type Config interface {
	GetName() string
	GetNamespace() string
	GetSpec() *ProviderConfigSpec
	GetStatus() *ProviderConfigStatus
	GetCondition(ct xpv2.ConditionType) xpv2.Condition
	SetConditions(c ...xpv2.Condition)
}

// GetSpec of this ClusterProviderConfig.
func (pc *ClusterProviderConfig) GetSpec() *ProviderConfigSpec { return &pc.Spec }

// GetStatus of this ClusterProviderConfig.
func (pc *ClusterProviderConfig) GetStatus() *ProviderConfigStatus { return &pc.Status }

// GetSpec of this ProviderConfig.
func (pc *ProviderConfig) GetSpec() *ProviderConfigSpec { return &pc.Spec }

// GetStatus of this ProviderConfig.
func (pc *ProviderConfig) GetStatus() *ProviderConfigStatus { return &pc.Status }

// History is every event a ledger holds, oldest first: the events pruning
// kept for replays, then the log. Replays read it, so that a cluster with a
// long history still replays from its created event.
func (s *ObservedClusterStatus) History() []LedgerEvent {
	if len(s.PinnedEvents) == 0 {
		return s.Events
	}
	return append(append(make([]LedgerEvent, 0, len(s.PinnedEvents)+len(s.Events)), s.PinnedEvents...), s.Events...)
}
