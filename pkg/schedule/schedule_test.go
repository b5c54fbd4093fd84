package schedule_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/koppel/koppel/pkg/admin"
	"github.com/koppel/koppel/pkg/schedule"
)

func TestScheduler(t *testing.T) {
	s := schedule.New(nil)
	var ticks, manual atomic.Int32
	release := make(chan struct{})
	s.Add(schedule.Task{Profile: "shop", Name: "import_orders", Interval: 50 * time.Millisecond,
		Run: func(context.Context, func(string)) (string, error) { ticks.Add(1); return "3 orders", nil }})
	s.Add(schedule.Task{Profile: "shop", Name: "reconcile",
		Run: func(_ context.Context, report func(string)) (string, error) {
			report("halfway")
			manual.Add(1)
			<-release
			return "", errors.New("snelstart down")
		}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	deadline := time.Now().Add(5 * time.Second)
	for ticks.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if ticks.Load() < 3 {
		t.Fatalf("interval task ran %d times", ticks.Load())
	}
	if manual.Load() != 0 {
		t.Fatal("on-demand task ran by itself")
	}
	if err := s.RunNow("shop", "nope"); !errors.Is(err, admin.ErrUnknownTask) {
		t.Errorf("unknown task: %v", err)
	}
	if err := s.RunNow("shop", "reconcile"); err != nil {
		t.Fatal(err)
	}
	for manual.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.RunNow("shop", "reconcile"); !errors.Is(err, schedule.ErrRunning) {
		t.Errorf("run-now while running: %v", err)
	}
	if st := s.List(); st[1].LastNote != "running: halfway" || !st[1].Running {
		t.Errorf("progress while running: %+v", st[1])
	}
	started := make(chan struct{})
	if err := s.Start(ctx, "shop", "import", func(context.Context, func(string)) (string, error) {
		close(started)
		return "imported", nil
	}); err != nil {
		t.Fatal(err)
	}
	<-started
	close(release)
	for time.Now().Before(deadline) {
		st := s.List()
		if len(st) == 3 && !st[2].Running && !st[2].LastRun.IsZero() && !st[1].LastRun.IsZero() {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	st := s.List()
	st[0], st[1] = st[1], st[0] // sorted: import, import_orders, reconcile
	if st[0].Task != "import_orders" || !st[0].LastOK || st[0].LastNote != "3 orders" || st[0].NextRun.IsZero() || st[0].Every != "50ms" {
		t.Errorf("import_orders status %+v", st[0])
	}
	if st[1].Task != "import" || !st[1].LastOK || st[1].LastNote != "imported" {
		t.Errorf("import status %+v", st[1])
	}
	if st[2].Task != "reconcile" || st[2].LastOK || st[2].LastNote != "snelstart down" || st[2].Every != "on demand" {
		t.Errorf("reconcile status %+v", st[2])
	}
}
