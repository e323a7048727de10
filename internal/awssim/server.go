// Package awssim is a loopback AWS: an HTTP server that speaks the real wire protocols of the
// services trustaudit reads (query/XML, REST-JSON, JSON 1.1) well enough that the unmodified
// aws-sdk-go-v2 clients and the AWS CLI work against it. It serves a world (internal/world),
// applies writes to it, counts every call, enforces the documented quotas as token buckets and
// fails the way AWS fails, so that scans, remediation and benchmarks can be tested on one
// machine without a network.
package awssim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/trustaudit/trustaudit/internal/world"
)

// Options configure a simulator.
type Options struct {
	World *world.World // required; the server works on a deep copy
	Addr  string       // default "127.0.0.1:0"
	// TimeScale multiplies every quota rate (0 or 1 = real rates), so that a benchmark of a
	// large estate keeps the shape of the real bottlenecks while running in seconds.
	TimeScale float64
	// Quotas overrides the rate (requests per second) of a bucket by name, e.g.
	// "lambda:GetPolicy", at real-time rates (TimeScale scales it like the defaults);
	// 0 means unlimited. See DefaultQuotas for the names.
	Quotas   map[string]float64
	NoQuotas bool          // disable throttling entirely
	Latency  time.Duration // fixed latency added to every answer
	Jitter   time.Duration // plus uniform random [0, Jitter)
	Faults   Faults
}

// Faults make the simulator fail the ways AWS and networks fail.
type Faults struct {
	// ErrorRate is the fraction of requests answered 500 or 503 (the service's
	// InternalFailure / ServiceUnavailable).
	ErrorRate float64
	// Deny answers AccessDenied (each service's own code: AccessDenied for the query
	// services, UnauthorizedOperation for EC2, AccessDeniedException for REST and JSON
	// services) to matching requests.
	Deny []Match
	// Unreachable regions: requests hang until the client gives up (or the server closes).
	Unreachable []string
	// Refuse regions: the connection is closed without a response.
	Refuse []string
	// Truncate is the fraction of successful responses cut off mid-body.
	Truncate float64
	Seed     int64
}

// Match selects requests; an empty field matches anything.
type Match struct{ Service, Region, Account, Operation string }

func (m Match) matches(c *Call) bool {
	return (m.Service == "" || m.Service == c.Service) &&
		(m.Region == "" || m.Region == c.Region) &&
		(m.Account == "" || m.Account == c.Account) &&
		(m.Operation == "" || m.Operation == c.Operation)
}

// Count is the number of answers of one outcome to one operation from one (account, region).
type Count struct {
	Account   string `json:"account"`
	Region    string `json:"region"`
	Service   string `json:"service"`
	Operation string `json:"operation"`
	// Outcome is "ok", "throttled", "error:<Code>" or "fault" (injected 5xx, truncated,
	// refused or unreachable).
	Outcome string `json:"outcome"`
	N       int64  `json:"n"`
}

// principal is who an access key belongs to.
type principal struct {
	Account string
	ARN     string
	UserID  string // GetCallerIdentity's UserId
	RoleARN string // for a role session: the role's ARN (trust policies name roles, not sessions)
}

// Server is a running simulator.
type Server struct {
	opts Options
	ln   net.Listener
	http *http.Server
	url  string

	// closing is closed by Close so that hanging (unreachable) requests end.
	closing   chan struct{}
	closeOnce sync.Once

	// mu guards the world, the key map and ext; handlers run with it held.
	mu    sync.Mutex
	world *world.World
	acct  map[string]int // account id -> index in world.Accounts
	keys  map[string]principal
	// ext holds per-service handler state (indexes), keyed by service name. Handlers
	// build it lazily and keep it in sync with their writes.
	ext map[string]any

	quotas *quotas

	cmu      sync.Mutex
	counters map[Count]int64 // N is zero in the key

	rmu sync.Mutex
	rng *rand.Rand

	client *awshttp.BuildableClient
}

// Start serves a deep copy of opts.World on opts.Addr.
func Start(opts Options) (*Server, error) {
	if opts.World == nil {
		return nil, errors.New("awssim: Options.World is required")
	}
	if len(opts.World.Accounts) == 0 {
		return nil, errors.New("awssim: the world has no accounts")
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.TimeScale <= 0 {
		opts.TimeScale = 1
	}
	w := deepCopyWorld(opts.World)
	s := &Server{
		opts:     opts,
		closing:  make(chan struct{}),
		world:    w,
		ext:      map[string]any{},
		counters: map[Count]int64{},
		rng:      rand.New(rand.NewPCG(uint64(opts.Faults.Seed), 0x5eed)),
		quotas:   newQuotas(opts, time.Now),
	}
	s.indexWorld()
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("awssim: listen on %s: %w", opts.Addr, err)
	}
	s.ln = ln
	s.url = "http://" + ln.Addr().String()
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          nil,
	}
	s.client = awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = 1000
		t.MaxIdleConnsPerHost = 1000
		t.Proxy = nil // loopback: never through a proxy from the environment
	})
	go func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("awssim: serve", "err", err)
		}
	}()
	return s, nil
}

// indexWorld rebuilds the account index and the world's access keys; called with s.mu held
// or before the server is shared.
func (s *Server) indexWorld() {
	s.acct = make(map[string]int, len(s.world.Accounts))
	if s.keys == nil {
		s.keys = map[string]principal{}
	}
	for i, a := range s.world.Accounts {
		s.acct[a.ID] = i
		for _, k := range a.AccessKeys {
			s.keys[k.ID] = principal{Account: a.ID, ARN: k.ARN, UserID: userIDFor(a.ID, k.ARN)}
		}
	}
}

// URL is the simulator's endpoint, http://127.0.0.1:PORT.
func (s *Server) URL() string { return s.url }

// Close stops the server and ends every request in flight, hanging ones included.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { close(s.closing) })
	return s.http.Close()
}

// Config returns an aws.Config that talks to the simulator as the given access key (the
// secret is irrelevant: signatures are not verified) in the given region, with the SDK's
// default retryer. Clients share one keep-alive pool so that a benchmark does not run out
// of loopback ports.
func (s *Server) Config(accessKeyID, region string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(accessKeyID, "simulator-secret", "")),
		BaseEndpoint: aws.String(s.url),
		HTTPClient:   s.client,
		Retryer:      func() aws.Retryer { return retry.NewStandard() },
	}
}

// World returns a deep copy of the current state, so a test can assert what writes did.
func (s *Server) World() *world.World {
	s.mu.Lock()
	defer s.mu.Unlock()
	return deepCopyWorld(s.world)
}

// account returns the account with the given id, or nil. Called with s.mu held.
func (s *Server) account(id string) *world.Account {
	i, ok := s.acct[id]
	if !ok {
		return nil
	}
	return &s.world.Accounts[i]
}

// extState is the handler state kept in ext under key, made by create on first use.
func extState[T any](s *Server, key string, create func() T) T {
	if s.ext == nil {
		s.ext = map[string]any{}
	}
	st, ok := s.ext[key].(T)
	if !ok {
		st = create()
		s.ext[key] = st
	}
	return st
}

// region returns the caller's region in the caller's account. A region the account does not
// know, or one that is not opted in, is answered as AWS answers a call to a disabled
// opt-in region: the credentials are not valid there. Called with s.mu held.
func (s *Server) region(c *Call) (*world.Region, *APIError) {
	a := s.account(c.Account)
	if a != nil {
		for i := range a.Regions {
			r := &a.Regions[i]
			if r.Name == c.Region {
				if !r.Enabled() {
					return nil, invalidTokenError(c)
				}
				return r, nil
			}
		}
	}
	return nil, invalidTokenError(c)
}

// invalidTokenError is what a region that is not enabled for the account answers.
func invalidTokenError(c *Call) *APIError {
	msg := "The security token included in the request is invalid."
	switch protocolOf(c) {
	case protoEC2:
		return &APIError{Status: 401, Code: "AuthFailure", Message: "AWS was not able to validate the provided access credentials", Sender: true}
	case protoQuery:
		return &APIError{Status: 403, Code: "InvalidClientTokenId", Message: msg, Sender: true}
	default:
		return &APIError{Status: 403, Code: "UnrecognizedClientException", Message: msg, Sender: true}
	}
}

// Counters returns every count, sorted by account, region, service, operation, outcome.
func (s *Server) Counters() []Count {
	s.cmu.Lock()
	out := make([]Count, 0, len(s.counters))
	for k, n := range s.counters {
		k.N = n
		out = append(out, k)
	}
	s.cmu.Unlock()
	sortCounts(out)
	return out
}

// ResetCounters forgets every count.
func (s *Server) ResetCounters() {
	s.cmu.Lock()
	s.counters = map[Count]int64{}
	s.cmu.Unlock()
}

func (s *Server) count(c *Call, outcome string) {
	k := Count{Account: c.Account, Region: c.Region, Service: c.Service, Operation: c.Operation, Outcome: outcome}
	s.cmu.Lock()
	s.counters[k]++
	s.cmu.Unlock()
}

func (s *Server) float64() float64 {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	return s.rng.Float64()
}

func (s *Server) int64n(n int64) int64 {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	return s.rng.Int64N(n)
}

func (s *Server) requestID() string {
	s.rmu.Lock()
	a, b := s.rng.Uint64(), s.rng.Uint64()
	s.rmu.Unlock()
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

// gateOutcome is what latency, the injected faults and the quota made of a call.
type gateOutcome int

const (
	gatePass        gateOutcome = iota // go on to the handler
	gateAnswered                       // a network fault answered, or the client left
	gateServerFault                    // answer a 5xx (counted "fault")
	gateDenied                         // answer AccessDenied (the caller counts its code)
	gateThrottled                      // answer the service's throttling error (counted "throttled")
)

// gate applies, the same way for every protocol, the latency, the injected faults and the
// quota to a decoded call; the caller renders the error in its protocol.
func (s *Server) gate(w http.ResponseWriter, r *http.Request, c *Call) gateOutcome {
	if err := s.sleep(r.Context()); err != nil {
		return gateAnswered
	}
	if s.networkFault(w, r, c) {
		return gateAnswered
	}
	if s.opts.Faults.ErrorRate > 0 && s.float64() < s.opts.Faults.ErrorRate {
		s.count(c, "fault")
		return gateServerFault
	}
	for _, m := range s.opts.Faults.Deny {
		if m.matches(c) {
			return gateDenied
		}
	}
	if !s.quotas.allow(c) {
		s.count(c, "throttled")
		return gateThrottled
	}
	return gatePass
}

// networkFault plays a region that refuses connections or never answers, for every protocol.
// It reports whether it took the request.
func (s *Server) networkFault(w http.ResponseWriter, r *http.Request, c *Call) bool {
	switch {
	case contains(s.opts.Faults.Refuse, c.Region):
		s.count(c, "fault")
		refuse(w)
		return true
	case contains(s.opts.Faults.Unreachable, c.Region):
		s.count(c, "fault")
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		refuse(w)
		return true
	}
	return false
}

// ServeHTTP decodes, routes, accounts for and answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sim/") {
		s.serveControl(w, r)
		return
	}
	// S3 and S3 Control (both signed for "s3") speak REST-XML with their own errors.
	if service, region, akid, ok := parseScope(r.Header.Get("Authorization")); ok && service == "s3" {
		s.serveS3(w, r, region, akid)
		return
	}
	rid := s.requestID()
	w.Header().Set("x-amzn-RequestId", rid)

	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		return // the client went away
	}
	c := &Call{Header: r.Header, Body: body}
	service, region, akid, ok := parseScope(r.Header.Get("Authorization"))
	if !ok {
		writeJSONError(w, rid, "", &APIError{Status: 403, Code: "MissingAuthenticationTokenException", Message: "Missing Authentication Token", Sender: true})
		return
	}
	c.Service, c.Region, c.AccessKey = service, region, akid
	s.mu.Lock()
	p, known := s.keys[akid]
	if !known {
		first := s.world.Accounts[0].ID
		p = principal{Account: first, ARN: "arn:aws:iam::" + first + ":root", UserID: first}
	}
	s.mu.Unlock()
	c.Account, c.CallerARN = p.Account, p.ARN

	rt, apiErr := route(r, c)
	if apiErr != nil {
		c.Operation = firstNonEmpty(c.Operation, "Unknown")
		s.count(c, "error:"+apiErr.Code)
		s.writeError(w, rid, rt.proto, c, apiErr)
		return
	}

	// Latency first, so that every answer, throttles and faults included, pays it.
	switch s.gate(w, r, c) {
	case gateAnswered:
		return
	case gateServerFault:
		s.writeError(w, rid, rt.proto, c, serverFault(rt.proto, s.int64n(2) == 0))
		return
	case gateDenied:
		e := accessDenied(rt.proto, c)
		s.count(c, "error:"+e.Code)
		s.writeError(w, rid, rt.proto, c, e)
		return
	case gateThrottled:
		s.writeError(w, rid, rt.proto, c, throttleError(rt.proto, c))
		return
	}

	s.mu.Lock()
	var (
		status = http.StatusOK
		result any
	)
	if e := s.disabledRegion(c); e != nil {
		err = e
	} else {
		switch rt.proto {
		case protoQuery, protoEC2:
			result, err = rt.query(s, c)
		case protoREST:
			status, result, err = rt.rest(s, c)
		case protoJSON:
			result, err = rt.json(s, c)
		}
	}
	s.mu.Unlock()

	if err != nil {
		var ae *APIError
		if !errors.As(err, &ae) {
			slog.Debug("awssim: handler failed", "service", c.Service, "operation", c.Operation, "err", err)
			ae = &APIError{Status: 500, Code: "InternalFailure", Message: "The request processing has failed because of an unknown error, exception or failure."}
		}
		s.count(c, "error:"+ae.Code)
		s.writeError(w, rid, rt.proto, c, ae)
		return
	}
	payload, ctype, err := renderSuccess(rt.proto, c, rid, result, r.Header.Get("Content-Type"))
	if err != nil {
		ae := &APIError{Status: 500, Code: "InternalFailure", Message: "The simulator could not render its answer: " + err.Error()}
		s.count(c, "error:"+ae.Code)
		s.writeError(w, rid, rt.proto, c, ae)
		return
	}
	if s.opts.Faults.Truncate > 0 && len(payload) > 1 && s.float64() < s.opts.Faults.Truncate {
		s.count(c, "fault")
		// Announce the whole body and send half: net/http closes the connection when the
		// handler returns short of the Content-Length, and the client sees an unexpected EOF.
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Content-Length", fmt.Sprint(len(payload)))
		w.WriteHeader(status)
		_, _ = w.Write(payload[:len(payload)/2])
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		refuse(w)
		return
	}
	s.count(c, "ok")
	if ctype != "" {
		w.Header().Set("Content-Type", ctype)
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(payload)))
	w.WriteHeader(status)
	_, _ = w.Write(payload)
}

// globalServices have one endpoint for every region; whatever region they are signed with
// is served and they share one quota per account.
var globalServices = map[string]bool{"iam": true, "organizations": true, "account": true}

// disabledRegion answers for regional services called in a region the caller's account has
// not opted in to, as AWS does before any handler sees the call. Called with s.mu held.
func (s *Server) disabledRegion(c *Call) error {
	if globalServices[c.Service] {
		return nil
	}
	a := s.account(c.Account)
	if a == nil {
		return nil
	}
	for _, r := range a.Regions {
		if r.Name == c.Region && !r.Enabled() {
			return invalidTokenError(c)
		}
	}
	return nil
}

func (s *Server) sleep(ctx context.Context) error {
	d := s.opts.Latency
	if s.opts.Jitter > 0 {
		d += time.Duration(s.int64n(int64(s.opts.Jitter)))
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closing:
		return errors.New("closing")
	}
}

// refuse closes the connection without (another byte of) a response.
func refuse(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // a reset, as a refusing load balancer sends
			}
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// serveControl answers the unsigned control endpoints: GET /_sim/counters and
// POST /_sim/reset.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/_sim/counters" && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(s.Counters())
	case r.URL.Path == "/_sim/reset" && r.Method == http.MethodPost:
		s.ResetCounters()
		w.WriteHeader(http.StatusNoContent)
	default:
		http.Error(w, "unknown simulator control endpoint; use GET /_sim/counters or POST /_sim/reset", http.StatusNotFound)
	}
}

// parseScope reads the SigV4 credential scope: Credential=AKID/date/REGION/SERVICE/aws4_request.
func parseScope(auth string) (service, region, akid string, ok bool) {
	i := strings.Index(auth, "Credential=")
	if i < 0 {
		return "", "", "", false
	}
	cred := auth[i+len("Credential="):]
	if j := strings.IndexAny(cred, ", "); j >= 0 {
		cred = cred[:j]
	}
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" {
		return "", "", "", false
	}
	return parts[3], parts[2], parts[0], true
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func firstNonEmpty(a ...string) string {
	for _, s := range a {
		if s != "" {
			return s
		}
	}
	return ""
}

// compactJSON is used by renderers to keep bodies small and deterministic.
func compactJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
