// Package schedule runs each profile's tasks (import orders, refresh
// caches, reconcile) on their intervals, remembers each task's last run,
// outcome and next run, and starts a task on demand ("run now"). It
// implements admin.Tasks.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/koppel/koppel/pkg/admin"
)

// Func is a task's work. It returns a short note for people ("12 orders, 3
// pages") or an error. While it runs it may report progress, which the
// task list shows as its note.
type Func func(ctx context.Context, report func(note string)) (note string, err error)

// Task is one profile's task.
type Task struct {
	Profile  string
	Name     string        // e.g. "import_orders"
	Interval time.Duration // 0: only on demand
	Run      Func
}

// ErrRunning means the task is running already.
var ErrRunning = errors.New("schedule: task is already running")

// Scheduler runs tasks. Create with New, add tasks, then Run.
type Scheduler struct {
	log   *slog.Logger
	mu    sync.Mutex
	tasks map[string]*entry
	wake  chan struct{}
	now   func() time.Time
}

type entry struct {
	task    Task
	status  admin.TaskStatus
	running bool
	trigger chan struct{}
}

// New returns an empty Scheduler.
func New(log *slog.Logger) *Scheduler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{log: log, tasks: map[string]*entry{}, now: time.Now}
}

// Add registers t. Add after Run has started is not supported.
func (s *Scheduler) Add(t Task) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tasks[t.Profile+"/"+t.Name] = &entry{task: t, trigger: make(chan struct{}, 1),
		status: admin.TaskStatus{Profile: t.Profile, Task: t.Name, Interval: t.Interval, Every: every(t.Interval)}}
}

func every(d time.Duration) string {
	if d <= 0 {
		return "on demand"
	}
	return d.String()
}

// Run runs every task on its interval until ctx ends. The first run of each
// comes after a random part of its interval (at most a minute), so a
// restart does not start every profile at once.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	entries := make([]*entry, 0, len(s.tasks))
	for _, e := range s.tasks {
		entries = append(entries, e)
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, e := range entries {
		wg.Add(1)
		go func() { defer wg.Done(); s.loop(ctx, e) }()
	}
	wg.Wait()
	return nil
}

func (s *Scheduler) loop(ctx context.Context, e *entry) {
	var timer <-chan time.Time
	schedule := func(d time.Duration) {
		if e.task.Interval <= 0 {
			timer = nil
			return
		}
		s.mu.Lock()
		e.status.NextRun = s.now().Add(d)
		s.mu.Unlock()
		timer = time.After(d)
	}
	first := min(e.task.Interval, time.Minute)
	if first > 0 {
		first = time.Duration(rand.Int64N(int64(first)))
	}
	schedule(first)
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer:
		case <-e.trigger:
		}
		s.runOnce(ctx, e)
		schedule(e.task.Interval)
	}
}

func (s *Scheduler) runOnce(ctx context.Context, e *entry) {
	s.mu.Lock()
	e.running = true
	e.status.Running = true
	s.mu.Unlock()
	start := s.now()
	report := func(note string) {
		s.mu.Lock()
		e.status.LastNote = "running: " + note
		s.mu.Unlock()
	}
	note, err := e.task.Run(ctx, report)
	s.mu.Lock()
	defer s.mu.Unlock()
	e.running = false
	e.status.Running = false
	e.status.LastRun = start
	e.status.LastOK = err == nil
	e.status.LastNote = note
	if err != nil {
		e.status.LastNote = err.Error()
		s.log.Warn("task failed", "profile", e.task.Profile, "task", e.task.Name, "err", err)
	} else {
		s.log.Info("task done", "profile", e.task.Profile, "task", e.task.Name, "note", note, "took", s.now().Sub(start).Round(time.Millisecond))
	}
}

// List implements admin.Tasks.
func (s *Scheduler) List() []admin.TaskStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]admin.TaskStatus, 0, len(s.tasks))
	for _, e := range s.tasks {
		out = append(out, e.status)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Profile+"/"+out[i].Task < out[j].Profile+"/"+out[j].Task })
	return out
}

// Start runs fn once now as the on-demand task name of profile (added when
// new), e.g. a manual import; ErrRunning when it is running already.
func (s *Scheduler) Start(ctx context.Context, profile, name string, fn Func) error {
	key := profile + "/" + name
	s.mu.Lock()
	e, ok := s.tasks[key]
	if !ok {
		e = &entry{task: Task{Profile: profile, Name: name}, trigger: make(chan struct{}, 1),
			status: admin.TaskStatus{Profile: profile, Task: name, Every: every(0)}}
		s.tasks[key] = e
	}
	if e.running {
		s.mu.Unlock()
		return ErrRunning
	}
	e.task.Run = fn
	e.running = true
	e.status.Running = true
	s.mu.Unlock()
	go func() {
		s.mu.Lock()
		e.running = false
		s.mu.Unlock()
		s.runOnce(ctx, e)
	}()
	return nil
}

// RunNow implements admin.Tasks: it starts the task at once, or reports
// ErrRunning or admin.ErrUnknownTask.
func (s *Scheduler) RunNow(profile, task string) error {
	s.mu.Lock()
	e, ok := s.tasks[profile+"/"+task]
	running := ok && e.running
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %s/%s", admin.ErrUnknownTask, profile, task)
	}
	if running {
		return ErrRunning
	}
	select {
	case e.trigger <- struct{}{}:
		return nil
	default:
		return ErrRunning // a run-now is already queued
	}
}
