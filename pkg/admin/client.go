package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/koppel/koppel/pkg/pipeline"
	"github.com/koppel/koppel/pkg/timeline"
)

// Client talks to a running koppel's admin API; the CLI uses it.
type Client struct {
	BaseURL string // e.g. http://localhost:8080
	Token   string
	Actor   string // recorded with replays and discards
	HTTP    *http.Client
}

// APIError is a 4xx or 5xx answer of the admin API.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("koppel admin API: %d: %s", e.Status, e.Message)
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+"/admin/v1"+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if c.Actor != "" {
		req.Header.Set("X-Koppel-Actor", c.Actor)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("koppel admin API at %s: %w (is koppel running?)", c.BaseURL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 400 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(data, &e) != nil || e.Error == "" {
			e.Error = string(bytes.TrimSpace(data))
		}
		return &APIError{Status: resp.StatusCode, Message: e.Error}
	}
	if out == nil {
		return nil
	}
	if raw, ok := out.(*json.RawMessage); ok {
		*raw = data
		return nil
	}
	return json.Unmarshal(data, out)
}

// Order returns an order's timeline.
func (c *Client) Order(ctx context.Context, profile, order string) (*OrderView, error) {
	v := &OrderView{Timeline: &timeline.Timeline{}}
	return v, c.do(ctx, http.MethodGet, "/orders/"+url.PathEscape(profile)+"/"+url.PathEscape(order), nil, v)
}

// Recent returns recently active orders.
func (c *Client) Recent(ctx context.Context, profile string, limit int) ([]timeline.RecentOrder, error) {
	return c.RecentMatching(ctx, timeline.RecentFilter{Profile: profile, Limit: limit})
}

// RecentMatching returns the recently active orders f selects.
func (c *Client) RecentMatching(ctx context.Context, f timeline.RecentFilter) ([]timeline.RecentOrder, error) {
	var out []timeline.RecentOrder
	q := url.Values{}
	if f.Profile != "" {
		q.Set("profile", f.Profile)
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	if f.Attention {
		q.Set("attention", "true")
	}
	return out, c.do(ctx, http.MethodGet, "/orders?"+q.Encode(), nil, &out)
}

// DeadLetters lists dead letters matching f.
func (c *Client) DeadLetters(ctx context.Context, f pipeline.DeadLetterFilter) ([]DeadLetterView, error) {
	q := url.Values{}
	for k, v := range map[string]string{"stage": f.Stage, "profile": f.Profile, "error": f.ErrorContains, "order": f.Order} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if !f.Since.IsZero() {
		q.Set("since", f.Since.Format(time.RFC3339))
	}
	if !f.Until.IsZero() {
		q.Set("until", f.Until.Format(time.RFC3339))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out []DeadLetterView
	return out, c.do(ctx, http.MethodGet, "/dlq?"+q.Encode(), nil, &out)
}

// DeadLetter returns one dead letter with its headers and body.
func (c *Client) DeadLetter(ctx context.Context, seq uint64) (*DeadLetterView, error) {
	var out DeadLetterView
	return &out, c.do(ctx, http.MethodGet, "/dlq/"+strconv.FormatUint(seq, 10), nil, &out)
}

// Replay replays dead letter seq and returns its new ORDERS sequence.
func (c *Client) Replay(ctx context.Context, seq uint64, reason string) (uint64, error) {
	var out struct {
		OrdersSeq uint64 `json:"orders_seq"`
	}
	err := c.do(ctx, http.MethodPost, "/dlq/"+strconv.FormatUint(seq, 10)+"/replay", ActionRequest{Reason: reason}, &out)
	return out.OrdersSeq, err
}

// Discard discards dead letter seq for reason.
func (c *Client) Discard(ctx context.Context, seq uint64, reason string) error {
	return c.do(ctx, http.MethodPost, "/dlq/"+strconv.FormatUint(seq, 10)+"/discard", ActionRequest{Reason: reason}, nil)
}

// BulkReplay replays (or with DryRun lists) the dead letters req selects.
func (c *Client) BulkReplay(ctx context.Context, req BulkReplayRequest) ([]DeadLetterView, error) {
	var out struct {
		DeadLetters []DeadLetterView `json:"dead_letters"`
	}
	return out.DeadLetters, c.do(ctx, http.MethodPost, "/dlq/replay", req, &out)
}

// Tasks lists the profiles' scheduled tasks.
func (c *Client) Tasks(ctx context.Context) ([]TaskStatus, error) {
	var out []TaskStatus
	return out, c.do(ctx, http.MethodGet, "/tasks", nil, &out)
}

// RunTask starts a task now.
func (c *Client) RunTask(ctx context.Context, profile, task string) error {
	return c.do(ctx, http.MethodPost, "/tasks/"+url.PathEscape(profile)+"/"+url.PathEscape(task)+"/run", nil, nil)
}

// Import starts a manual import in the running koppel.
func (c *Client) Import(ctx context.Context, profile string, since time.Time) error {
	return c.do(ctx, http.MethodPost, "/import", ImportRequest{Profile: profile, Since: since}, nil)
}

// Raw GETs path under /admin/v1 and returns the JSON as the API sent it.
func (c *Client) Raw(ctx context.Context, path string) (json.RawMessage, error) {
	var out json.RawMessage
	return out, c.do(ctx, http.MethodGet, path, nil, &out)
}
