package loadtest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/loadtest"
)

func TestRunCountsSuccessAndErrors(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%4 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	for name, cfg := range map[string]loadtest.Config{
		"closed loop": {Concurrency: 4, MaxRequests: 400, Duration: 10 * time.Second},
		"open loop":   {Concurrency: 4, MaxRequests: 400, Rate: 2000, Duration: 10 * time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			n.Store(0)
			cfg.URL = srv.URL
			cfg.Requests = []loadtest.Request{{Body: []byte(`{}`)}}
			res, err := loadtest.Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res.Requests != 400 || res.Errors != 100 {
				t.Errorf("requests %d errors %d, want 400 and 100", res.Requests, res.Errors)
			}
			if res.P50 <= 0 || res.P99 < res.P50 || res.Max < res.P99 || res.Throughput <= 0 {
				t.Errorf("implausible result %s", res)
			}
		})
	}
}
