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
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
)

// The comparison's load driver runs in a process of its own, this test
// binary started again with envLoadDriver set: its CPU, a status write's
// encoding and decoding of a whole realistic object, is larger and more
// variable than what the comparison measures per event, so sharing the
// process with the watcher or the provider would drown their figures.
const envLoadDriver = "BENCH_LOAD_DRIVER"

// driverHello tells the load driver where the API server is and which
// fleet to adopt.
type driverHello struct {
	Host     string
	CAData   []byte
	CertData []byte
	KeyData  []byte
	Labels   map[string]string
}

// driverPhase asks the load driver for one phase of load.
type driverPhase struct {
	Names []string
	Rate  int
	Secs  int
}

// driverWrite is one status write the load driver made.
type driverWrite struct {
	Name      string
	Lifecycle v1alpha1.Lifecycle
	Done      time.Time
}

// driverResult is what one phase of load did.
type driverResult struct {
	Adopted int `json:",omitempty"`
	Took    []time.Duration
	Writes  []driverWrite
	Errors  []string
}

// runLoadDriver is the load driver's process: it adopts the fleet, then
// runs each phase it reads from stdin and answers on stdout, until stdin
// closes.
func runLoadDriver() int {
	in, out := json.NewDecoder(os.Stdin), json.NewEncoder(os.Stdout)
	var h driverHello
	if err := in.Decode(&h); err != nil {
		fmt.Fprintln(os.Stderr, "load driver:", err)
		return 1
	}
	c := &rest.Config{Host: h.Host, TLSClientConfig: rest.TLSClientConfig{CAData: h.CAData, CertData: h.CertData, KeyData: h.KeyData}, QPS: -1, WarningHandler: rest.NoWarnings{}}
	dyn, err := dynamic.NewForConfig(c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load driver:", err)
		return 1
	}
	ctx := context.Background()
	fleet := fleetsim.NewFleet(dyn, h.Labels, fleetsim.WithSize(fleetsim.Realistic))
	n, err := fleet.Adopt(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load driver:", err)
		return 1
	}
	if err := out.Encode(driverResult{Adopted: n}); err != nil {
		return 1
	}
	fl := newFlipper(fleet)
	for {
		var ph driverPhase
		if err := in.Decode(&ph); err != nil {
			if errors.Is(err, io.EOF) {
				return 0
			}
			fmt.Fprintln(os.Stderr, "load driver:", err)
			return 1
		}
		fl.begin()
		fl.run(ctx, ph.Names, ph.Rate, ph.Secs)
		r := driverResult{Took: fl.took}
		for name, ws := range fl.writes {
			for _, w := range ws {
				r.Writes = append(r.Writes, driverWrite{Name: name, Lifecycle: w.Lifecycle, Done: w.Done})
			}
		}
		for _, err := range fl.errs {
			r.Errors = append(r.Errors, err.Error())
		}
		if err := out.Encode(r); err != nil {
			return 1
		}
	}
}

// loadDriver runs the load driver's process and collects what each phase
// of load wrote.
type loadDriver struct {
	cmd *exec.Cmd
	in  *json.Encoder
	out *json.Decoder

	writes map[string][]Write
	took   []time.Duration
	errs   []error
}

// startLoadDriver starts the load driver on the fleet with labels, whose
// clusters exist already.
func startLoadDriver(c *rest.Config, labels map[string]string) (*loadDriver, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), envLoadDriver+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	d := &loadDriver{cmd: cmd, in: json.NewEncoder(stdin), out: json.NewDecoder(stdout)}
	if err := d.in.Encode(driverHello{Host: c.Host, CAData: c.CAData, CertData: c.CertData, KeyData: c.KeyData, Labels: labels}); err != nil {
		d.stop()
		return nil, err
	}
	var r driverResult
	if err := d.out.Decode(&r); err != nil {
		d.stop()
		return nil, errors.Wrap(err, "load driver did not start")
	}
	progress("comparison: load driver (pid %d) adopted %d clusters", cmd.Process.Pid, r.Adopted)
	return d, nil
}

// pid is the load driver process's.
func (d *loadDriver) pid() int { return d.cmd.Process.Pid }

// begin starts a new phase: its writes are recorded apart.
func (d *loadDriver) begin() {
	d.writes, d.took, d.errs = map[string][]Write{}, nil, nil
}

// run has the driver write rate transitions a second for secs seconds,
// round robin over names, and returns how many it wrote.
func (d *loadDriver) run(names []string, rate, secs int) int {
	if err := d.in.Encode(driverPhase{Names: names, Rate: rate, Secs: secs}); err != nil {
		d.errs = append(d.errs, err)
		return 0
	}
	var r driverResult
	if err := d.out.Decode(&r); err != nil {
		d.errs = append(d.errs, errors.Wrap(err, "load driver did not answer"))
		return 0
	}
	d.took = r.Took
	for _, w := range r.Writes {
		d.writes[w.Name] = append(d.writes[w.Name], Write{Lifecycle: w.Lifecycle, Done: w.Done})
	}
	for _, e := range r.Errors {
		d.errs = append(d.errs, errors.New(e))
	}
	return len(r.Took)
}

// stop ends the driver's process.
func (d *loadDriver) stop() {
	_ = d.cmd.Process.Kill()
	_ = d.cmd.Wait()
}
