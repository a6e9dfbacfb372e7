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
	"io"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-cdevents/internal/jsonpick"
)

const (
	// maxFrameBytes bounds one watch event, so that a stream that never
	// ends its value cannot grow the buffer without limit.
	maxFrameBytes = 64 << 20
	// readChunk is how much a frame reader asks of the stream at a time.
	readChunk = 32 << 10

	errFrameTooLarge  = "watch event larger than 64 MiB"
	errFrameTrailing  = "watch stream ended inside an event"
	errFmtFrameNotObj = "watch event does not start with an object or a list: %q"
)

// frameReaders cuts a watch's JSON stream into events, one per Read, by
// scanning for the bracket that closes each: brackets inside strings are
// skipped, nothing else is checked (the event decoder checks the event).
// client-go's JSON framer decodes every event with encoding/json only to
// find where it ends, which cost more than picking the fields afterwards.
type frameReaders struct{}

func (frameReaders) NewFrameReader(r io.ReadCloser) io.ReadCloser { return &frameReader{r: r} }

// NewFrameWriter is never used: the picking client sends no bodies.
func (frameReaders) NewFrameWriter(w io.Writer) io.Writer { return w }

// frameReader returns one event per Read; an event larger than the
// caller's buffer is returned over several Reads, each but the last
// answering io.ErrShortBuffer, as streaming decoders expect.
type frameReader struct {
	r io.ReadCloser
	// buf[start:end] is read and not yet returned; frame is the part of
	// it that is the event being returned.
	buf        []byte
	start, end int
	frame      int
	eof        bool
	// The scan of the next event, kept across reads of the stream so that
	// an event arriving in many pieces is scanned once: scanned bytes
	// from start, at depth, inside a string or not.
	scanned int
	depth   int
	inStr   bool
	opened  bool
}

func (f *frameReader) Read(p []byte) (int, error) {
	if f.frame == 0 {
		if err := f.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, f.buf[f.start:f.start+f.frame])
	f.start += n
	f.frame -= n
	if f.frame > 0 {
		return n, io.ErrShortBuffer
	}
	return n, nil
}

// next finds the next event, reading until the buffer holds all of it.
func (f *frameReader) next() error {
	for {
		n, err := f.scan()
		if err != nil {
			return err
		}
		if n > 0 {
			f.frame = n
			f.scanned, f.depth, f.inStr, f.opened = 0, 0, false, false
			return nil
		}
		if f.eof {
			if !f.opened {
				return io.EOF
			}
			return errors.New(errFrameTrailing)
		}
		if err := f.fill(); err != nil {
			return err
		}
	}
}

// scan goes on scanning the next event from where the last scan stopped,
// and returns its length once its closing bracket is read; 0 while it is
// not whole yet. White space before an event is skipped.
func (f *frameReader) scan() (int, error) {
	data := f.buf[f.start:f.end]
	for i := f.scanned; i < len(data); i++ {
		c := data[i]
		switch {
		case f.inStr:
			end := jsonpick.StringEnd(data, i)
			if end < 0 {
				f.scanned = len(data)
				return 0, nil
			}
			i, f.inStr = end, false
		case !f.opened:
			switch c {
			case ' ', '\t', '\n', '\r':
				// Space between events belongs to the next.
			case '{', '[':
				f.opened, f.depth = true, 1
			default:
				return 0, errors.Errorf(errFmtFrameNotObj, c)
			}
		case c == '"':
			f.inStr = true
		case c == '{' || c == '[':
			f.depth++
		case c == '}' || c == ']':
			f.depth--
			if f.depth == 0 {
				return i + 1, nil
			}
		}
	}
	f.scanned = len(data)
	return 0, nil
}

// fill reads more of the stream, moving what is left of the buffer to its
// start and growing it when full. A buffer grown for a large event is let
// go once that event is returned, so that a watch does not keep it.
func (f *frameReader) fill() error {
	if f.start == f.end && len(f.buf) > 4*readChunk {
		f.buf, f.start, f.end = nil, 0, 0
	}
	if f.start > 0 {
		f.end = copy(f.buf, f.buf[f.start:f.end])
		f.start = 0
	}
	if len(f.buf)-f.end < readChunk {
		if f.end+readChunk > maxFrameBytes {
			return errors.New(errFrameTooLarge)
		}
		grown := make([]byte, min(max(2*len(f.buf), f.end+readChunk), maxFrameBytes))
		copy(grown, f.buf[:f.end])
		f.buf = grown
	}
	n, err := f.r.Read(f.buf[f.end:])
	f.end += n
	if errors.Is(err, io.EOF) {
		f.eof = true
		return nil
	}
	return err
}

func (f *frameReader) Close() error { return f.r.Close() }
