package wsprobe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
)

// Close codes of the Spine socket contract.
const (
	CodeNormal       = websocket.CloseNormalClosure // 1000
	CodeGoingAway    = websocket.CloseGoingAway     // 1001
	CodeTokenInvalid = 4001
	CodeForbidden    = 4003
	CodeSlowConsumer = 4008
	CodeOverCap      = 4029
	CodeBadFrame     = 4400
)

// CodeName names a close code for reports.
func CodeName(code int) string {
	switch code {
	case CodeNormal:
		return "1000_normal"
	case CodeGoingAway:
		return "1001_going_away"
	case CodeTokenInvalid:
		return "4001_token_invalid"
	case CodeForbidden:
		return "4003_forbidden"
	case CodeSlowConsumer:
		return "4008_slow_consumer"
	case CodeOverCap:
		return "4029_over_cap"
	case CodeBadFrame:
		return "4400_bad_frame"
	case websocket.CloseAbnormalClosure:
		return "1006_abnormal"
	}
	return strconv.Itoa(code)
}

// Options configures a Dialer. Zero fields take the documented defaults.
type Options struct {
	// BaseURL is the node's http(s) base URL. Required.
	BaseURL *url.URL
	// TokenInQuery sends the token as ?access_token= instead of an
	// Authorization header. Default false.
	TokenInQuery bool
	// ReadBufferSize and WriteBufferSize size each connection's I/O
	// buffers in bytes. Defaults 4096 and 512. Many idle sockets want them
	// small; a busy fan-out wants a larger read buffer.
	ReadBufferSize, WriteBufferSize int
	// HandshakeTimeout bounds dial plus upgrade. Default 10s.
	HandshakeTimeout time.Duration
	// ReadLimit bounds one frame in bytes. Default 16 MiB.
	ReadLimit int64
}

// Dialer opens event sockets. It is safe for concurrent use.
type Dialer struct {
	o    Options
	d    *websocket.Dialer
	base string
}

// NewDialer returns a dialer for o.BaseURL.
func NewDialer(o Options) (*Dialer, error) {
	if o.BaseURL == nil {
		return nil, errors.New("wsprobe: BaseURL is required")
	}
	if o.ReadBufferSize == 0 {
		o.ReadBufferSize = 4096
	}
	if o.WriteBufferSize == 0 {
		o.WriteBufferSize = 512
	}
	if o.HandshakeTimeout == 0 {
		o.HandshakeTimeout = 10 * time.Second
	}
	if o.ReadLimit == 0 {
		o.ReadLimit = 16 << 20
	}
	scheme := "ws"
	if o.BaseURL.Scheme == "https" {
		scheme = "wss"
	}
	nd := &net.Dialer{Timeout: o.HandshakeTimeout}
	return &Dialer{
		o:    o,
		base: scheme + "://" + o.BaseURL.Host,
		d: &websocket.Dialer{
			NetDialContext:   nd.DialContext,
			HandshakeTimeout: o.HandshakeTimeout,
			ReadBufferSize:   o.ReadBufferSize,
			WriteBufferSize:  o.WriteBufferSize,
			WriteBufferPool:  &sync.Pool{},
		},
	}, nil
}

// DialError is a socket that could not be opened.
type DialError struct {
	// Kind is "http_<status>" for a refused upgrade, "timeout" or "dial".
	Kind   string
	Status int
	Body   string
	Err    error
}

func (e *DialError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("upgrade refused: %d %s", e.Status, e.Body)
	}
	return fmt.Sprintf("dial: %v", e.Err)
}

func (e *DialError) Unwrap() error { return e.Err }

// Conn is one open event socket.
type Conn struct {
	ws  *websocket.Conn
	buf []byte

	closeOnce sync.Once
}

// Dial opens tenant cid's event socket with token.
func (d *Dialer) Dial(ctx context.Context, cid, token string) (*Conn, error) {
	u := d.base + "/admin/clients/" + url.PathEscape(cid) + "/events"
	var h http.Header
	if d.o.TokenInQuery {
		u += "?access_token=" + url.QueryEscape(token)
	} else {
		h = http.Header{"Authorization": {"Bearer " + token}}
	}
	ws, resp, err := d.d.DialContext(ctx, u, h)
	if err != nil {
		de := &DialError{Err: err, Kind: "dial"}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
			de.Kind = "timeout"
		}
		if resp != nil {
			de.Status = resp.StatusCode
			de.Kind = "http_" + strconv.Itoa(resp.StatusCode)
			if resp.Body != nil {
				b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
				resp.Body.Close()
				de.Body = string(b)
			}
		}
		return nil, de
	}
	ws.SetReadLimit(d.o.ReadLimit)
	return &Conn{ws: ws}, nil
}

// Next returns the next text frame. The slice is valid until the next call.
// Binary frames are returned too; control frames are handled inside (pings
// are answered).
func (c *Conn) Next() ([]byte, error) {
	_, r, err := c.ws.NextReader()
	if err != nil {
		return nil, err
	}
	if c.buf == nil {
		c.buf = make([]byte, 0, 4096)
	}
	c.buf = c.buf[:0]
	for {
		if len(c.buf) == cap(c.buf) {
			c.buf = append(c.buf, 0)[:len(c.buf)]
		}
		n, err := r.Read(c.buf[len(c.buf):cap(c.buf)])
		c.buf = c.buf[:len(c.buf)+n]
		if err == io.EOF {
			return c.buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// SetReadDeadline bounds the next reads.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.ws.SetReadDeadline(t) }

// CloseNormal sends a 1000 close frame; the reader then sees the server's
// close answer as a *websocket.CloseError with code 1000.
func (c *Conn) CloseNormal() error {
	return c.ws.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bench done"), time.Now().Add(2*time.Second))
}

// WriteText sends a text frame (used to provoke 4400).
func (c *Conn) WriteText(b []byte) error { return c.ws.WriteMessage(websocket.TextMessage, b) }

// Close closes the TCP connection. It is idempotent.
func (c *Conn) Close() error {
	var err error
	c.closeOnce.Do(func() { err = c.ws.Close() })
	return err
}

// CloseCode extracts the close code from a read error: the peer's code for
// a close frame, 1006 for a connection that dropped without one, and 0 for
// an error that is neither.
func CloseCode(err error) int {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	if err == nil {
		return 0
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		return websocket.CloseAbnormalClosure
	}
	return 0
}

// Lines calls fn with every non-empty newline-separated line of frame.
func Lines(frame []byte, fn func(line []byte)) {
	for len(frame) > 0 {
		i := bytes.IndexByte(frame, '\n')
		if i < 0 {
			i = len(frame)
		}
		line := frame[:i]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if len(line) > 0 {
			fn(line)
		}
		if i == len(frame) {
			return
		}
		frame = frame[i+1:]
	}
}
