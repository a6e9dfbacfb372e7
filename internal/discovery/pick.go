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

package discovery

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-cdevents/internal/catalog"
	"github.com/crossplane-contrib/provider-cdevents/internal/jsonpick"
	"github.com/crossplane-contrib/provider-cdevents/internal/normalize"
)

const (
	errEncode       = "the picking client sends no bodies"
	errDecodeList   = "cannot decode a list"
	errDecodeObject = "cannot decode an object"
	errDecodeEvent  = "cannot decode a watch event"
	errDecodeStatus = "cannot decode a status"
	mediaTypeJSON   = "application/json"
)

// lister lists and watches the objects of one cluster kind: a dynamic
// client's resource does, and so does a pickingClient, which decodes only
// what the profile reads.
type lister interface {
	List(ctx context.Context, opts metav1.ListOptions) (*unstructured.UnstructuredList, error)
	Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
}

// pickers makes the clients that list and watch cluster kinds. They share
// one HTTP client, so one connection pool, and one client-side rate limit,
// as the kinds' resources of one dynamic client would.
type pickers struct {
	cfg    *rest.Config
	client *http.Client
	params runtime.ParameterCodec
}

func newPickers(cfg *rest.Config) (*pickers, error) {
	c := rest.CopyConfig(cfg)
	c.ContentType = mediaTypeJSON
	c.AcceptContentTypes = mediaTypeJSON
	if c.UserAgent == "" {
		c.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	if c.RateLimiter == nil {
		qps, burst := c.QPS, c.Burst
		if qps == 0 {
			qps, burst = rest.DefaultQPS, rest.DefaultBurst
		}
		if qps > 0 {
			c.RateLimiter = flowcontrol.NewTokenBucketRateLimiter(qps, burst)
		}
	}
	hc, err := rest.HTTPClientFor(c)
	if err != nil {
		return nil, err
	}
	s := runtime.NewScheme()
	metav1.AddToGroupVersion(s, metav1.Unversioned)
	return &pickers{cfg: c, client: hc, params: runtime.NewParameterCodec(s)}, nil
}

// forKind returns a client of one kind's objects that keeps of each only
// what profile p reads (see normalize.Fields).
func (ps *pickers) forKind(gvr schema.GroupVersionResource, p *catalog.Profile) (lister, error) {
	fields := normalize.Fields(p)
	c := rest.CopyConfig(ps.cfg)
	c.NegotiatedSerializer = pickingSerializer{object: pickingDecoder{fields: fields}}
	rc, err := rest.UnversionedRESTClientForConfigAndClient(c, ps.client)
	if err != nil {
		return nil, err
	}
	path := []string{"apis", gvr.Group, gvr.Version, gvr.Resource}
	if gvr.Group == "" {
		path = []string{"api", gvr.Version, gvr.Resource}
	}
	list := &jsonpick.Fields{}
	for _, k := range []string{"apiVersion", "kind"} {
		list.Keep(k)
	}
	for _, k := range []string{"resourceVersion", "continue", "remainingItemCount"} {
		list.Keep("metadata", k)
	}
	list.Set("items", fields)
	return &pickingClient{rest: rc, path: path, params: ps.params, list: list}, nil
}

// pickingClient lists and watches one kind through the API server's JSON,
// decoding of each object only the fields its profile reads. Decoding
// every watch event in full into maps, as the dynamic client does, was the
// larger part of the provider's CPU per event: a managed resource is
// kilobytes of spec and managed fields, of which it reads a few values.
type pickingClient struct {
	rest   *rest.RESTClient
	path   []string
	params runtime.ParameterCodec
	list   *jsonpick.Fields
}

// List lists one page, as the dynamic client's List does: items without
// a kind of their own take the list's.
func (c *pickingClient) List(ctx context.Context, opts metav1.ListOptions) (*unstructured.UnstructuredList, error) {
	res := c.rest.Get().AbsPath(c.path...).SpecificallyVersionedParams(&opts, c.params, metav1.Unversioned).Do(ctx)
	if err := res.Error(); err != nil {
		return nil, err
	}
	raw, err := res.Raw()
	if err != nil {
		return nil, err
	}
	m, err := c.list.Decode(raw)
	if err != nil {
		return nil, errors.Wrap(err, errDecodeList)
	}
	items, _ := m["items"].([]any)
	delete(m, "items")
	out := &unstructured.UnstructuredList{Object: m, Items: make([]unstructured.Unstructured, 0, len(items))}
	kind := strings.TrimSuffix(out.GetKind(), "List")
	for _, it := range items {
		o, ok := it.(map[string]any)
		if !ok {
			return nil, errors.New(errDecodeList)
		}
		u := unstructured.Unstructured{Object: o}
		if u.GetKind() == "" && u.GetAPIVersion() == "" {
			u.SetKind(kind)
			u.SetAPIVersion(out.GetAPIVersion())
		}
		out.Items = append(out.Items, u)
	}
	return out, nil
}

// Watch watches from opts.ResourceVersion, as the dynamic client's Watch
// does.
func (c *pickingClient) Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	opts.Watch = true
	return c.rest.Get().AbsPath(c.path...).SpecificallyVersionedParams(&opts, c.params, metav1.Unversioned).Watch(ctx)
}

// pickingSerializer is the client's only serializer: JSON, whose objects
// decode through pickingDecoder and whose watch events decode their
// envelope only.
type pickingSerializer struct {
	object pickingDecoder
}

func (s pickingSerializer) SupportedMediaTypes() []runtime.SerializerInfo {
	return []runtime.SerializerInfo{{
		MediaType:        mediaTypeJSON,
		MediaTypeType:    "application",
		MediaTypeSubType: "json",
		EncodesAsText:    true,
		Serializer:       s.object,
		StreamSerializer: &runtime.StreamSerializerInfo{
			EncodesAsText: true,
			Serializer:    eventDecoder{},
			Framer:        frameReaders{},
		},
	}}
}

func (s pickingSerializer) EncoderForVersion(e runtime.Encoder, _ runtime.GroupVersioner) runtime.Encoder {
	return e
}

func (s pickingSerializer) DecoderToVersion(d runtime.Decoder, _ runtime.GroupVersioner) runtime.Decoder {
	return d
}

// pickingDecoder decodes an object keeping only its fields; a Status (an
// error answer, or a watch's error event) decodes whole, so that errors
// keep their reason.
type pickingDecoder struct {
	fields *jsonpick.Fields
}

func (d pickingDecoder) Decode(data []byte, _ *schema.GroupVersionKind, _ runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	m, err := d.fields.Decode(data)
	if err != nil {
		return nil, nil, errors.Wrap(err, errDecodeObject)
	}
	u := &unstructured.Unstructured{Object: m}
	gvk := u.GroupVersionKind()
	if gvk.Kind == "Status" && gvk.Group == "" && gvk.Version == "v1" {
		st := &metav1.Status{}
		if err := json.Unmarshal(data, st); err != nil {
			return nil, nil, errors.Wrap(err, errDecodeStatus)
		}
		return st, &gvk, nil
	}
	return u, &gvk, nil
}

func (pickingDecoder) Encode(runtime.Object, io.Writer) error { return errors.New(errEncode) }

func (pickingDecoder) Identifier() runtime.Identifier { return "cdevents-picking-json" }

// eventDecoder decodes a watch event's envelope: its type, and the extent
// of its object, which pickingDecoder then decodes.
type eventDecoder struct{}

func (eventDecoder) Decode(data []byte, _ *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	ev, ok := into.(*metav1.WatchEvent)
	if !ok {
		return nil, nil, errors.New(errDecodeEvent)
	}
	var typ string
	obj, err := jsonpick.Value(data, "object", map[string]*string{"type": &typ})
	if err != nil {
		return nil, nil, errors.Wrap(err, errDecodeEvent)
	}
	ev.Type = typ
	ev.Object = runtime.RawExtension{Raw: obj}
	return ev, nil, nil
}

func (eventDecoder) Encode(runtime.Object, io.Writer) error { return errors.New(errEncode) }

func (eventDecoder) Identifier() runtime.Identifier { return "cdevents-watch-event-envelope" }
