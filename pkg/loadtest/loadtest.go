// Package loadtest drives HTTP load against a server on this machine and
// reports throughput and latency percentiles. It is koppel's own load tool,
// so the receiver and its baselines are measured with the same client.
package loadtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Request is one request the tool sends; bodies are sent round-robin.
type Request struct {
	Body   []byte
	Header http.Header
}

// Config describes a run. Either Rate (open loop: requests are started on
// a fixed schedule, so a slow server cannot slow the offered load) or
// closed loop (each of Concurrency workers sends its next request when the
// last one is answered).
type Config struct {
	URL         string
	Requests    []Request
	Concurrency int           // workers; default 32
	Rate        int           // requests per second; 0 = closed loop
	Duration    time.Duration // default 5s; the run always ends by itself
	MaxRequests int           // stop after this many; 0 = no limit
	WantStatus  int           // the status that counts as success; default 202
}

// Result summarises a run.
type Result struct {
	Requests int
	Errors   int // transport errors and unexpected statuses
	// Dropped counts open-loop starts skipped because every worker was
	// busy: the server fell behind the offered rate.
	Dropped    int
	Elapsed    time.Duration
	Throughput float64 // successful requests per second
	P50, P90   time.Duration
	P99, Max   time.Duration
	FirstError string
}

func (r Result) String() string {
	return fmt.Sprintf("%d req in %s: %.0f req/s, p50 %s p90 %s p99 %s max %s, %d errors, %d dropped",
		r.Requests, r.Elapsed.Round(time.Millisecond), r.Throughput, r.P50, r.P90, r.P99, r.Max, r.Errors, r.Dropped)
}

// Run sends load as c describes and returns the result. Only loopback or
// local addresses should be targets.
func Run(ctx context.Context, c Config) (Result, error) {
	if len(c.Requests) == 0 {
		return Result{}, errors.New("loadtest: no requests")
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 32
	}
	if c.Duration <= 0 {
		c.Duration = 5 * time.Second
	}
	if c.WantStatus == 0 {
		c.WantStatus = http.StatusAccepted
	}
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		MaxIdleConns:        c.Concurrency * 2,
		MaxIdleConnsPerHost: c.Concurrency * 2,
		MaxConnsPerHost:     c.Concurrency * 2,
		IdleConnTimeout:     30 * time.Second,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}

	ctx, cancel := context.WithTimeout(ctx, c.Duration)
	defer cancel()

	var (
		next      atomic.Int64
		errs      atomic.Int64
		dropped   atomic.Int64
		firstErr  atomic.Value
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, 1<<16)
	)
	do := func() {
		i := next.Add(1) - 1
		if c.MaxRequests > 0 && i >= int64(c.MaxRequests) {
			return
		}
		r := c.Requests[int(i)%len(c.Requests)]
		req, _ := http.NewRequest(http.MethodPost, c.URL, bytes.NewReader(r.Body))
		for k, v := range r.Header {
			req.Header[k] = v
		}
		start := time.Now()
		resp, err := client.Do(req)
		lat := time.Since(start)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.WantStatus {
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return // the run ended mid-request
			}
			errs.Add(1)
			firstErr.CompareAndSwap(nil, err.Error())
			return
		}
		mu.Lock()
		latencies = append(latencies, lat)
		mu.Unlock()
	}

	start := time.Now()
	var wg sync.WaitGroup
	done := func() bool {
		return ctx.Err() != nil || (c.MaxRequests > 0 && next.Load() >= int64(c.MaxRequests))
	}
	if c.Rate > 0 {
		// Open loop: a ticker hands out start permits; workers take them.
		permits := make(chan struct{}, c.Concurrency*4)
		for range c.Concurrency {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range permits {
					do()
				}
			}()
		}
		interval := time.Second / time.Duration(c.Rate)
		begin := time.Now()
		for sent := 0; !done(); sent++ {
			due := begin.Add(time.Duration(sent) * interval)
			if d := time.Until(due); d > 0 {
				time.Sleep(d)
			}
			select {
			case permits <- struct{}{}:
			default:
				dropped.Add(1)
			}
		}
		close(permits)
	} else {
		for range c.Concurrency {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !done() {
					do()
				}
			}()
		}
	}
	wg.Wait()
	elapsed := time.Since(start)

	slices.Sort(latencies)
	res := Result{Requests: len(latencies) + int(errs.Load()), Errors: int(errs.Load()), Dropped: int(dropped.Load()), Elapsed: elapsed}
	if s, ok := firstErr.Load().(string); ok {
		res.FirstError = s
	}
	if n := len(latencies); n > 0 {
		res.Throughput = float64(n) / elapsed.Seconds()
		res.P50 = latencies[n*50/100]
		res.P90 = latencies[n*90/100]
		res.P99 = latencies[n*99/100]
		res.Max = latencies[n-1]
	}
	return res, nil
}
