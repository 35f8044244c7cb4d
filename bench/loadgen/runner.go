package loadgen

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/casespine/spine/bench/jsonscan"
)

// Renderer turns a job into a request.
type Renderer interface {
	// Path returns the request path for message g (its tenant's webhook
	// route). The result must not be modified.
	Path(g uint64) []byte
	// AppendBody appends message g's body to dst.
	AppendBody(dst []byte, g uint64) []byte
}

// Options configures a Runner. Zero fields take the documented defaults.
type Options struct {
	// BaseURL is the target's base URL. Required.
	BaseURL *url.URL
	// Rate is the open-loop send rate in requests per second; 0 runs
	// closed loop. Default 0.
	Rate float64
	// Workers is the number of concurrent senders (closed loop), or the
	// most requests in flight at once (open loop; a schedule that needs
	// more shows it as latency). Default 32 closed, 512 open.
	Workers int
	// Duration bounds the run; 0 runs until the Source ends.
	Duration time.Duration
	// Timeout bounds one request. Default 10s.
	Timeout time.Duration
}

// Result is the outcome of one send, handed to OnResult on the worker's
// goroutine. Its byte slices are valid only during the callback.
type Result struct {
	Job    Job
	Worker int
	// Intended is when the send was due (open loop) or started (closed
	// loop); Latency is measured from it.
	Intended time.Time
	Latency  time.Duration
	// Status is the HTTP status, 0 when the exchange failed.
	Status int
	// Outcome, CaseID and MessageID are the answer's status, case_id and
	// message_id fields, when it had them.
	Outcome   []byte
	CaseID    []byte
	MessageID []byte
	// ErrKind classifies a failure: "timeout", "conn", "http_<status>",
	// "bad_answer"; empty on success.
	ErrKind string
	Err     error
	// Body is the raw answer.
	Body []byte
}

// OK reports an exactly-200 answer.
func (r *Result) OK() bool { return r.Status == fasthttp.StatusOK && r.ErrKind == "" }

// Runner sends the jobs of a Source.
type Runner struct {
	o      Options
	src    Source
	render Renderer
	client *fasthttp.HostClient
	host   string
	scheme string

	// OnSend, when set, is called on the worker goroutine just before a
	// request is written.
	OnSend func(worker int, job Job, at time.Time)
	// OnResult is called on the worker goroutine with every outcome.
	OnResult func(r *Result)

	sent, completed, ok, failed atomic.Int64
}

// NewRunner prepares a runner; nothing is sent before Run.
func NewRunner(o Options, src Source, render Renderer) (*Runner, error) {
	if o.BaseURL == nil {
		return nil, errors.New("loadgen: BaseURL is required")
	}
	if o.Workers <= 0 {
		o.Workers = 32
		if o.Rate > 0 {
			o.Workers = 512
		}
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	host := o.BaseURL.Host
	tls := o.BaseURL.Scheme == "https"
	addr := host
	if _, _, err := net.SplitHostPort(host); err != nil {
		if tls {
			addr = host + ":443"
		} else {
			addr = host + ":80"
		}
	}
	c := &fasthttp.HostClient{
		Addr:                          addr,
		IsTLS:                         tls,
		Name:                          "spine-bench",
		MaxConns:                      o.Workers,
		MaxIdleConnDuration:           time.Minute,
		ReadTimeout:                   o.Timeout,
		WriteTimeout:                  o.Timeout,
		MaxConnWaitTimeout:            o.Timeout,
		DisableHeaderNamesNormalizing: true,
		NoDefaultUserAgentHeader:      true,
		MaxResponseBodySize:           1 << 20,
		ReadBufferSize:                8 << 10,
		WriteBufferSize:               8 << 10,
	}
	return &Runner{o: o, src: src, render: render, client: c, host: host, scheme: o.BaseURL.Scheme}, nil
}

// Sent, Completed, OK and Failed count requests so far.
func (r *Runner) Sent() int64      { return r.sent.Load() }
func (r *Runner) Completed() int64 { return r.completed.Load() }
func (r *Runner) OKs() int64       { return r.ok.Load() }
func (r *Runner) Failed() int64    { return r.failed.Load() }

// Workers returns the effective worker count.
func (r *Runner) Workers() int { return r.o.Workers }

// Run sends until the Source ends, Duration passes or ctx is cancelled,
// then waits for requests in flight. It returns the time from the first
// send to the last answer.
func (r *Runner) Run(ctx context.Context) time.Duration {
	start := time.Now()
	var deadline time.Time
	if r.o.Duration > 0 {
		deadline = start.Add(r.o.Duration)
	}
	var wg sync.WaitGroup
	if r.o.Rate > 0 {
		jobs := make(chan timedJob, r.o.Workers)
		for w := range r.o.Workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := r.newSender(w)
				defer s.release()
				for j := range jobs {
					s.send(j.job, j.intended)
				}
			}()
		}
		r.dispatch(ctx, start, deadline, jobs)
		close(jobs)
	} else {
		for w := range r.o.Workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := r.newSender(w)
				defer s.release()
				for ctx.Err() == nil {
					now := time.Now()
					if !deadline.IsZero() && now.After(deadline) {
						return
					}
					job, ok := r.src.Next()
					if !ok {
						return
					}
					s.send(job, now)
				}
			}()
		}
	}
	wg.Wait()
	r.client.CloseIdleConnections()
	return time.Since(start)
}

type timedJob struct {
	job      Job
	intended time.Time
}

// dispatch hands out jobs on the open-loop schedule: job i is due at
// start + i/Rate. It sleeps only when ahead; when behind (workers all busy)
// it hands out overdue jobs at once, keeping their intended times.
func (r *Runner) dispatch(ctx context.Context, start, deadline time.Time, jobs chan<- timedJob) {
	interval := float64(time.Second) / r.o.Rate
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for i := int64(0); ctx.Err() == nil; i++ {
		due := start.Add(time.Duration(float64(i) * interval))
		if !deadline.IsZero() && due.After(deadline) {
			return
		}
		if d := time.Until(due); d > 0 {
			timer.Reset(d)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		}
		job, ok := r.src.Next()
		if !ok {
			return
		}
		select {
		case jobs <- timedJob{job: job, intended: due}:
		case <-ctx.Done():
			return
		}
	}
}

type sender struct {
	r      *Runner
	worker int
	req    *fasthttp.Request
	resp   *fasthttp.Response
	body   []byte
	uri    []byte
	res    Result
}

func (r *Runner) newSender(w int) *sender {
	s := &sender{r: r, worker: w, req: fasthttp.AcquireRequest(), resp: fasthttp.AcquireResponse()}
	s.req.Header.SetMethod(fasthttp.MethodPost)
	s.req.Header.SetContentType("application/json")
	s.req.Header.SetHost(r.host)
	s.req.SetTimeout(r.o.Timeout)
	return s
}

func (s *sender) release() {
	fasthttp.ReleaseRequest(s.req)
	fasthttp.ReleaseResponse(s.resp)
}

func (s *sender) send(job Job, intended time.Time) {
	r := s.r
	s.body = r.render.AppendBody(s.body[:0], job.G)
	s.uri = append(s.uri[:0], r.scheme...)
	s.uri = append(s.uri, "://"...)
	s.uri = append(s.uri, r.host...)
	s.uri = append(s.uri, r.render.Path(job.G)...)
	s.req.SetRequestURIBytes(s.uri)
	s.req.SetBodyRaw(s.body)
	s.resp.Reset()
	now := time.Now()
	if r.OnSend != nil {
		r.OnSend(s.worker, job, now)
	}
	r.sent.Add(1)
	err := r.client.Do(s.req, s.resp)
	end := time.Now()

	res := &s.res
	*res = Result{Job: job, Worker: s.worker, Intended: intended, Latency: end.Sub(intended)}
	switch {
	case err != nil:
		res.Err = err
		if errors.Is(err, fasthttp.ErrTimeout) || errors.Is(err, fasthttp.ErrDialTimeout) {
			res.ErrKind = "timeout"
		} else {
			res.ErrKind = "conn"
		}
	default:
		res.Status = s.resp.StatusCode()
		res.Body = s.resp.Body()
		if res.Status != fasthttp.StatusOK {
			res.ErrKind = "http_" + strconv.Itoa(res.Status)
			break
		}
		o := jsonscan.NewObject(res.Body)
		for {
			k, v, ok := o.Next()
			if !ok {
				break
			}
			switch string(k) {
			case "status":
				res.Outcome, _ = jsonscan.String(v)
			case "case_id":
				res.CaseID, _ = jsonscan.String(v)
			case "message_id":
				res.MessageID, _ = jsonscan.String(v)
			}
		}
		if o.Err() != nil || len(res.Outcome) == 0 {
			res.ErrKind = "bad_answer"
		}
	}
	r.completed.Add(1)
	if res.ErrKind == "" {
		r.ok.Add(1)
	} else {
		r.failed.Add(1)
	}
	if r.OnResult != nil {
		r.OnResult(res)
	}
}
