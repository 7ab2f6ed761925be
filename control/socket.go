package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	tocsin "github.com/tocsin-network/tocsin"
)

// request and response are the socket's wire format: one JSON object each
// way per HTTP POST to /v1/ops.
type request struct {
	Op   string          `json:"op"`
	Args json.RawMessage `json:"args,omitempty"`
}

type response struct {
	Result json.RawMessage `json:"result,omitempty"`
	Error  *wireError      `json:"error,omitempty"`
}

type wireError struct {
	Code    string              `json:"code"`
	Message string              `json:"message"`
	Fields  []tocsin.FieldError `json:"fields,omitempty"`
}

// Listen creates the admin socket at path, readable and writable by the
// instance's user only. A stale socket left by a crash is replaced; a live
// one (another server) is an error.
func Listen(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("admin socket dir: %w", err)
	}
	if _, err := os.Stat(path); err == nil {
		if conn, err := net.DialTimeout("unix", path, 200*time.Millisecond); err == nil {
			conn.Close()
			return nil, fmt.Errorf("admin socket %s is in use by another server", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove stale admin socket: %w", err)
		}
	}
	// The umask makes the socket private from the first instant, before the
	// chmod below could be raced.
	old := umask(0o077)
	ln, err := net.Listen("unix", path)
	umask(old)
	if err != nil {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("admin socket permissions: %w", err)
	}
	return ln, nil
}

// Handler serves ops over HTTP (on the admin socket's listener).
func Handler(ops *Ops) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/ops", func(w http.ResponseWriter, r *http.Request) {
		var req request
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
			writeResponse(w, nil, tocsin.Errorf(tocsin.EINVALID, "bad request: %v", err))
			return
		}
		result, err := ops.Do(r.Context(), req.Op, req.Args)
		if err != nil && tocsin.ErrorCode(err) == tocsin.EINTERNAL {
			ops.Log.ErrorContext(r.Context(), "admin operation failed", "op", req.Op, "error", err)
		}
		writeResponse(w, result, err)
	})
	return mux
}

func writeResponse(w http.ResponseWriter, result any, err error) {
	var resp response
	if err != nil {
		we := &wireError{Code: tocsin.ErrorCode(err), Message: err.Error()}
		var te *tocsin.Error
		if errors.As(err, &te) {
			we.Fields = te.Fields
			we.Message = te.Message
		}
		resp.Error = we
	} else if result != nil {
		b, merr := json.Marshal(result)
		if merr != nil {
			resp.Error = &wireError{Code: tocsin.EINTERNAL, Message: merr.Error()}
		} else {
			resp.Result = b
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

// Runner runs management operations: a Client over the socket, or Ops in
// this process.
type Runner interface {
	Run(ctx context.Context, op string, args, out any) error
}

// Client talks to a running server's admin socket.
type Client struct {
	http *http.Client
}

// Dial connects to the admin socket at path. It fails at once when no
// server listens there, so the caller can fall back to opening the
// database itself.
func Dial(ctx context.Context, path string) (*Client, error) {
	d := net.Dialer{Timeout: time.Second}
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	conn.Close()
	return &Client{http: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", path)
		},
	}}}, nil
}

// Run runs op on the server and decodes its result into out (may be nil).
// Errors come back as *tocsin.Error with the server's code and fields.
func (c *Client) Run(ctx context.Context, op string, args, out any) error {
	raw, err := json.Marshal(args)
	if err != nil {
		return err
	}
	body, err := json.Marshal(request{Op: op, Args: raw})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://tocsin/v1/ops", bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("admin socket: %w", err)
	}
	defer resp.Body.Close()
	var r response
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return fmt.Errorf("admin socket: bad response: %w", err)
	}
	if r.Error != nil {
		return &tocsin.Error{Code: r.Error.Code, Message: r.Error.Message, Fields: r.Error.Fields}
	}
	if out != nil && len(r.Result) > 0 {
		return json.Unmarshal(r.Result, out)
	}
	return nil
}

// Run executes op in-process, with the same JSON round trip as over the
// socket, so both paths behave alike.
func (o *Ops) Run(ctx context.Context, op string, args, out any) error {
	raw, err := json.Marshal(args)
	if err != nil {
		return err
	}
	result, err := o.Do(ctx, op, raw)
	if err != nil {
		return err
	}
	if out == nil || result == nil {
		return nil
	}
	b, err := json.Marshal(result)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}
