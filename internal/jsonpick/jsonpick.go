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

// Package jsonpick decodes JSON objects keeping only chosen fields. A
// managed resource of a cluster kind is kilobytes of spec, status and
// managed fields, of which the provider reads a few dozen values; decoding
// all of it into maps for every watch event cost the provider more CPU
// than anything else it does per event. Skipping what is not kept costs a
// scan of the bytes and allocates nothing.
//
// Kept values decode as Kubernetes' unstructured decoding does: objects
// as map[string]any, lists as []any, integers that fit as int64, other
// numbers as float64. Skipped parts are scanned for their extent, not
// validated in full: the input is an API server's answer.
package jsonpick

import (
	"bytes"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// maxDepth bounds nesting, so that no input can exhaust the stack.
const maxDepth = 1000

const (
	errFmtUnexpected = "invalid JSON: unexpected %q at offset %d"
	errFmtEnd        = "invalid JSON: unexpected end at offset %d"
	errFmtDepth      = "invalid JSON: nested deeper than %d at offset %d"
	errFmtNumber     = "invalid JSON: bad number %q at offset %d"
	errFmtEscape     = "invalid JSON: bad escape at offset %d"
	errFmtControl    = "invalid JSON: control character in string at offset %d"
	errNotObject     = "invalid JSON: not an object"
	errTrailing      = "invalid JSON: data after the top-level value"
)

// Fields is a set of field paths to keep. A path that ends at an object or
// a list keeps all of it. A path that meets a list applies to every
// element. Scalars met on the way are kept: reading them through a path
// gives what reading the whole object gives. The zero Fields keeps
// nothing; Fields are read concurrently once built.
type Fields struct {
	all  bool
	keys map[string]*Fields
}

// Keep adds a path, given as its keys, outermost first. Keep with no key
// keeps everything.
func (f *Fields) Keep(path ...string) *Fields {
	cur := f
	for _, k := range path {
		if cur.all {
			return f
		}
		if cur.keys == nil {
			cur.keys = map[string]*Fields{}
		}
		next, ok := cur.keys[k]
		if !ok {
			next = &Fields{}
			cur.keys[k] = next
		}
		cur = next
	}
	cur.all = true
	cur.keys = nil
	return f
}

// Set keeps of key what sub keeps, sub itself rather than a copy: a
// list's fields can name its items' fields this way.
func (f *Fields) Set(key string, sub *Fields) *Fields {
	if f.all {
		return f
	}
	if f.keys == nil {
		f.keys = map[string]*Fields{}
	}
	f.keys[key] = sub
	return f
}

// Decode decodes the JSON object data, keeping only f's fields.
func (f *Fields) Decode(data []byte) (map[string]any, error) {
	d := decoder{data: data}
	d.space()
	if d.i >= len(d.data) || d.data[d.i] != '{' {
		return nil, errors.New(errNotObject)
	}
	v, err := d.value(f, 0)
	if err != nil {
		return nil, err
	}
	d.space()
	if d.i != len(d.data) {
		return nil, errors.New(errTrailing)
	}
	m, _ := v.(map[string]any)
	return m, nil
}

// Value returns the extent of the value of key in the JSON object data,
// or nil when data holds no such key, and the string value of every key
// in strs met on the way. It lets a caller take one member of a small
// envelope, such as a watch event's object, without decoding the rest.
func Value(data []byte, key string, strs map[string]*string) ([]byte, error) {
	d := decoder{data: data}
	d.space()
	if !d.consume('{') {
		return nil, errors.New(errNotObject)
	}
	var out []byte
	d.space()
	if d.consume('}') {
		return nil, nil
	}
	for {
		d.space()
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		if err := d.colon(); err != nil {
			return nil, err
		}
		d.space()
		start := d.i
		if dst, ok := strs[k]; ok && d.i < len(d.data) && d.data[d.i] == '"' {
			s, err := d.str()
			if err != nil {
				return nil, err
			}
			*dst = s
		} else if err := d.skip(); err != nil {
			return nil, err
		}
		if k == key {
			out = d.data[start:d.i]
		}
		more, err := d.next('}')
		if err != nil {
			return nil, err
		}
		if !more {
			return out, nil
		}
	}
}

type decoder struct {
	data []byte
	i    int
}

func (d *decoder) space() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) consume(c byte) bool {
	if d.i < len(d.data) && d.data[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *decoder) unexpected() error {
	if d.i >= len(d.data) {
		return errors.Errorf(errFmtEnd, d.i)
	}
	return errors.Errorf(errFmtUnexpected, d.data[d.i], d.i)
}

func (d *decoder) colon() error {
	d.space()
	if !d.consume(':') {
		return d.unexpected()
	}
	return nil
}

// next reads the comma between members or elements, or the closing
// bracket; more is false at the closing bracket.
func (d *decoder) next(closing byte) (more bool, err error) {
	d.space()
	switch {
	case d.consume(','):
		return true, nil
	case d.consume(closing):
		return false, nil
	}
	return false, d.unexpected()
}

// value decodes the value at d.i, keeping what f keeps of it; f nil keeps
// nothing of an object and the caller skips instead.
func (d *decoder) value(f *Fields, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.Errorf(errFmtDepth, maxDepth, d.i)
	}
	d.space()
	if d.i >= len(d.data) {
		return nil, d.unexpected()
	}
	switch c := d.data[d.i]; {
	case c == '{':
		return d.object(f, depth)
	case c == '[':
		return d.array(f, depth)
	case c == '"':
		return d.str()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	}
	return nil, d.unexpected()
}

func (d *decoder) object(f *Fields, depth int) (any, error) {
	d.i++ // {
	out := map[string]any{}
	d.space()
	if d.consume('}') {
		return out, nil
	}
	for {
		d.space()
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		if err := d.colon(); err != nil {
			return nil, err
		}
		sub := f
		if !f.all {
			sub = f.keys[k]
		}
		if sub == nil {
			d.space()
			if err := d.skip(); err != nil {
				return nil, err
			}
		} else {
			v, err := d.value(sub, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		more, err := d.next('}')
		if err != nil {
			return nil, err
		}
		if !more {
			return out, nil
		}
	}
}

func (d *decoder) array(f *Fields, depth int) (any, error) {
	d.i++ // [
	out := []any{}
	d.space()
	if d.consume(']') {
		return out, nil
	}
	for {
		v, err := d.value(f, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		more, err := d.next(']')
		if err != nil {
			return nil, err
		}
		if !more {
			return out, nil
		}
	}
}

func (d *decoder) literal(lit string) error {
	if len(d.data)-d.i < len(lit) || string(d.data[d.i:d.i+len(lit)]) != lit {
		return d.unexpected()
	}
	d.i += len(lit)
	return nil
}

// number decodes a number as Kubernetes' unstructured decoding does: an
// integer that fits in int64 as int64, anything else as float64.
func (d *decoder) number() (any, error) {
	start := d.i
	integer := true
	d.consume('-')
	digits := d.digits()
	if digits == 0 || (d.data[d.i-digits] == '0' && digits > 1) {
		return nil, errors.Errorf(errFmtNumber, d.data[start:d.i], start)
	}
	if d.consume('.') {
		integer = false
		if d.digits() == 0 {
			return nil, errors.Errorf(errFmtNumber, d.data[start:d.i], start)
		}
	}
	if d.i < len(d.data) && (d.data[d.i] == 'e' || d.data[d.i] == 'E') {
		integer = false
		d.i++
		if !d.consume('+') {
			d.consume('-')
		}
		if d.digits() == 0 {
			return nil, errors.Errorf(errFmtNumber, d.data[start:d.i], start)
		}
	}
	s := string(d.data[start:d.i])
	if integer {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return nil, errors.Errorf(errFmtNumber, s, start)
	}
	return f, nil
}

func (d *decoder) digits() int {
	n := 0
	for d.i < len(d.data) && d.data[d.i] >= '0' && d.data[d.i] <= '9' {
		d.i++
		n++
	}
	return n
}

// str decodes the string at d.i.
func (d *decoder) str() (string, error) {
	if !d.consume('"') {
		return "", d.unexpected()
	}
	start := d.i
	for d.i < len(d.data) {
		c := d.data[d.i]
		switch {
		case c == '"':
			s := d.data[start:d.i]
			d.i++
			if !utf8.Valid(s) {
				return string([]rune(string(s))), nil
			}
			return string(s), nil
		case c == '\\':
			return d.escaped(start)
		case c < 0x20:
			return "", errors.Errorf(errFmtControl, d.i)
		}
		d.i++
	}
	return "", errors.Errorf(errFmtEnd, d.i)
}

// escaped decodes the rest of a string that holds escapes; start is the
// offset just after its opening quote.
func (d *decoder) escaped(start int) (string, error) {
	buf := make([]byte, 0, d.i-start+16)
	buf = append(buf, d.data[start:d.i]...)
	for d.i < len(d.data) {
		c := d.data[d.i]
		switch {
		case c == '"':
			d.i++
			if !utf8.Valid(buf) {
				return string([]rune(string(buf))), nil
			}
			return string(buf), nil
		case c < 0x20:
			return "", errors.Errorf(errFmtControl, d.i)
		case c != '\\':
			buf = append(buf, c)
			d.i++
			continue
		}
		if d.i+1 >= len(d.data) {
			return "", errors.Errorf(errFmtEscape, d.i)
		}
		e := d.data[d.i+1]
		d.i += 2
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", errors.Errorf(errFmtEscape, d.i)
			}
			if utf16.IsSurrogate(r) {
				// A surrogate pair is two escapes; a lone half is U+FFFD, as
				// encoding/json decodes it.
				if d.i+1 < len(d.data) && d.data[d.i] == '\\' && d.data[d.i+1] == 'u' {
					save := d.i
					d.i += 2
					r2, ok2 := d.hex4()
					if !ok2 {
						return "", errors.Errorf(errFmtEscape, d.i)
					}
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						buf = utf8.AppendRune(buf, dec)
						continue
					}
					d.i = save
				}
				r = utf8.RuneError
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", errors.Errorf(errFmtEscape, d.i-2)
		}
	}
	return "", errors.Errorf(errFmtEnd, d.i)
}

// hex4 reads the four hex digits of a \u escape.
func (d *decoder) hex4() (rune, bool) {
	if len(d.data)-d.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range d.data[d.i : d.i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r*16 + rune(c)
	}
	d.i += 4
	return r, true
}

// skip moves past the value at d.i without decoding it: strings are
// scanned for their closing quote, objects and lists for their closing
// bracket.
func (d *decoder) skip() error {
	depth := 0
	for {
		d.space()
		if d.i >= len(d.data) {
			return d.unexpected()
		}
		switch c := d.data[d.i]; c {
		case '"':
			if err := d.skipString(); err != nil {
				return err
			}
		case '{', '[':
			depth++
			if depth > maxDepth {
				return errors.Errorf(errFmtDepth, maxDepth, d.i)
			}
			d.i++
			continue
		case '}', ']':
			if depth == 0 {
				return d.unexpected()
			}
			depth--
			d.i++
		case ',', ':':
			if depth == 0 {
				return d.unexpected()
			}
			d.i++
			continue
		default:
			if err := d.skipScalar(); err != nil {
				return err
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

func (d *decoder) skipString() error {
	end := StringEnd(d.data, d.i+1)
	if end < 0 {
		return errors.Errorf(errFmtEnd, len(d.data))
	}
	d.i = end + 1
	return nil
}

// StringEnd returns the index of the quote that closes a JSON string in
// data, looking from from, which is inside the string (its opening quote
// is before it); -1 when data ends first. It jumps from quote to quote
// rather than reading every byte, since most of an object's bytes are in
// its strings: a quote closes the string unless an odd run of backslashes
// escapes it.
func StringEnd(data []byte, from int) int {
	for i := from; i < len(data); {
		q := bytes.IndexByte(data[i:], '"')
		if q < 0 {
			return -1
		}
		i += q
		slashes := 0
		for j := i - 1; j >= 0 && data[j] == '\\'; j-- {
			slashes++
		}
		if slashes%2 == 0 {
			return i
		}
		i++
	}
	return -1
}

func (d *decoder) skipScalar() error {
	start := d.i
	for d.i < len(d.data) {
		c := d.data[d.i]
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'E' {
			d.i++
			continue
		}
		break
	}
	if d.i == start {
		return d.unexpected()
	}
	return nil
}
