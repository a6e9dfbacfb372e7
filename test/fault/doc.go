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

// Package fault proves the provider exact under faults: every lifecycle
// transition a cluster goes through arrives at the sink, none that did not
// happen, and any resend carries the identical CloudEvent id and timestamp.
//
// The provider runs as a real process, built from ./cmd/provider, against a
// real kube-apiserver and etcd (envtest) through a fault-injecting proxy,
// and delivers to a real HTTP sink in the test process that validates every
// event against the CDEvents schema. A load driver moves clusters of a few
// upstream kinds through their lifecycle and records every transition it
// caused; one checker compares that history with what the sinks received.
//
// The scenarios carry the fault build tag; run them with `make test.fault`.
// The proxy, sink, driver and checker are plain code so that they are
// linted and their own unit tests run with `make test`.
package fault
