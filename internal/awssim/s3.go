package awssim

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// S3, as far as reading CloudTrail log archives needs it: path-style ListObjectsV2,
// GetObject and HeadObject, in S3's REST-XML protocol. The framework's REST routes render
// JSON and capture one path segment, while S3 answers XML and its keys hold slashes, so S3
// is served by its own http.Handler (S3Handler) in front of the simulator. Objects live in
// the handler's own state, put there with PutS3Object.

const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

type s3Object struct {
	body     []byte
	modified time.Time
	etag     string
}

type s3Bucket struct {
	owner   string
	objects map[string]*s3Object
}

type s3State struct {
	buckets map[string]*s3Bucket
}

func (s *Server) s3() *s3State {
	return extState(s, "s3", func() *s3State { return &s3State{buckets: map[string]*s3Bucket{}} })
}

// PutS3Object stores an object in a bucket owned by account, creating the bucket on first
// use. A bucket belongs to the account that created it; another account's requests are
// refused, as without a bucket policy.
func (s *Server) PutS3Object(account, bucket, key string, body []byte) error {
	if bucket == "" || key == "" {
		return fmt.Errorf("awssim: PutS3Object: bucket and key are required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.s3()
	b := st.buckets[bucket]
	if b == nil {
		b = &s3Bucket{owner: account, objects: map[string]*s3Object{}}
		st.buckets[bucket] = b
	}
	if b.owner != account {
		return fmt.Errorf("awssim: PutS3Object: bucket %s belongs to %s", bucket, b.owner)
	}
	sum := md5.Sum(body)
	b.objects[key] = &s3Object{body: bytes.Clone(body), modified: time.Now().UTC().Truncate(time.Second), etag: `"` + hex.EncodeToString(sum[:]) + `"`}
	return nil
}

// S3Handler returns a handler that answers S3 requests (signed for "s3") itself and passes
// every other request to the simulator.
func (s *Server) S3Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		service, region, akid, ok := parseScope(r.Header.Get("Authorization"))
		if !ok || service != "s3" {
			s.ServeHTTP(w, r)
			return
		}
		s.serveS3(w, r, region, akid)
	})
}

type s3Error struct {
	status  int
	code    string
	message string
	extra   [][2]string
}

func (s *Server) serveS3(w http.ResponseWriter, r *http.Request, region, akid string) {
	rid := s.requestID()
	w.Header().Set("x-amz-request-id", rid)
	w.Header().Set("x-amz-id-2", base64.StdEncoding.EncodeToString([]byte(rid)))
	s.mu.Lock()
	p, known := s.keys[akid]
	if !known {
		p = principal{Account: s.world.Accounts[0].ID}
	}
	s.mu.Unlock()
	c := &Call{Account: p.Account, CallerARN: p.ARN, AccessKey: akid, Region: region, Service: "s3", Header: r.Header, Params: r.URL.Query()}

	path := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	if s.serveS3Config(w, r, c, rid, bucket, key) {
		return
	}
	var (
		status  = http.StatusOK
		payload []byte
		hdr     = http.Header{}
		serr    *s3Error
	)
	s.mu.Lock()
	switch {
	case bucket == "":
		c.Operation = "Unknown"
		serr = &s3Error{http.StatusNotImplemented, "NotImplemented", "The simulator does not serve ListBuckets.", nil}
	case key == "" && r.Method == http.MethodGet && c.Params.Get("list-type") == "2":
		c.Operation = "ListObjectsV2"
		payload, serr = s.listObjectsV2(c, bucket)
		hdr.Set("Content-Type", "application/xml")
	case key != "" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		c.Operation = "GetObject"
		if r.Method == http.MethodHead {
			c.Operation = "HeadObject"
		}
		var obj *s3Object
		obj, serr = s.s3Object(c, bucket, key)
		if serr == nil {
			hdr.Set("Content-Type", "application/octet-stream")
			hdr.Set("ETag", obj.etag)
			hdr.Set("Last-Modified", obj.modified.Format(http.TimeFormat))
			hdr.Set("Accept-Ranges", "bytes")
			if r.Method == http.MethodGet {
				payload = obj.body
			} else {
				hdr.Set("Content-Length", strconv.Itoa(len(obj.body)))
			}
		}
	default:
		c.Operation = "Unknown"
		serr = &s3Error{http.StatusNotImplemented, "NotImplemented", fmt.Sprintf("The simulator does not serve %s %s for S3.", r.Method, r.URL.Path), nil}
	}
	s.mu.Unlock()
	_, _ = io.Copy(io.Discard, r.Body)

	if serr != nil {
		s.count(c, "error:"+serr.code)
		var buf bytes.Buffer
		buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
		fmt.Fprintf(&buf, "<Error><Code>%s</Code><Message>%s</Message>", serr.code, xmlEscape(serr.message))
		for _, kv := range serr.extra {
			fmt.Fprintf(&buf, "<%s>%s</%s>", kv[0], xmlEscape(kv[1]), kv[0])
		}
		fmt.Fprintf(&buf, "<RequestId>%s</RequestId></Error>", rid)
		if r.Method == http.MethodHead {
			w.WriteHeader(serr.status)
			return
		}
		writeBody(w, serr.status, "application/xml", buf.Bytes())
		return
	}
	s.count(c, "ok")
	for k, v := range hdr {
		w.Header()[k] = v
	}
	if r.Method != http.MethodHead {
		w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(payload)
	}
}

// s3BucketFor returns a bucket the caller may read. Called with s.mu held.
func (s *Server) s3BucketFor(c *Call, bucket string) (*s3Bucket, *s3Error) {
	b := s.s3().buckets[bucket]
	if b == nil {
		return nil, &s3Error{http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist", [][2]string{{"BucketName", bucket}}}
	}
	if b.owner != c.Account {
		return nil, &s3Error{http.StatusForbidden, "AccessDenied", "Access Denied", nil}
	}
	return b, nil
}

func (s *Server) s3Object(c *Call, bucket, key string) (*s3Object, *s3Error) {
	b, serr := s.s3BucketFor(c, bucket)
	if serr != nil {
		return nil, serr
	}
	obj := b.objects[key]
	if obj == nil {
		return nil, &s3Error{http.StatusNotFound, "NoSuchKey", "The specified key does not exist.", [][2]string{{"Key", key}}}
	}
	return obj, nil
}

type listBucketResult struct {
	XMLName               xml.Name         `xml:"ListBucketResult"`
	Xmlns                 string           `xml:"xmlns,attr"`
	Name                  string           `xml:"Name"`
	Prefix                string           `xml:"Prefix"`
	Delimiter             string           `xml:"Delimiter,omitempty"`
	MaxKeys               int              `xml:"MaxKeys"`
	KeyCount              int              `xml:"KeyCount"`
	IsTruncated           bool             `xml:"IsTruncated"`
	EncodingType          string           `xml:"EncodingType,omitempty"`
	ContinuationToken     string           `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string           `xml:"NextContinuationToken,omitempty"`
	StartAfter            string           `xml:"StartAfter,omitempty"`
	Contents              []s3Content      `xml:"Contents"`
	CommonPrefixes        []s3CommonPrefix `xml:"CommonPrefixes"`
}

type s3Content struct {
	Key          string `xml:"Key"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int    `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
}

type s3CommonPrefix struct {
	Prefix string `xml:"Prefix"`
}

// listObjectsV2 lists keys in UTF-8 binary order, rolling keys up to their next delimiter
// into CommonPrefixes, max-keys (default and cap 1000) entries a page, each common prefix
// counting as one entry, as S3 does. Called with s.mu held.
func (s *Server) listObjectsV2(c *Call, bucket string) ([]byte, *s3Error) {
	b, serr := s.s3BucketFor(c, bucket)
	if serr != nil {
		return nil, serr
	}
	q := c.Params
	prefix, delim := q.Get("prefix"), q.Get("delimiter")
	maxKeys := 1000
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, &s3Error{http.StatusBadRequest, "InvalidArgument", "Provided max-keys not an integer or within integer range", [][2]string{{"ArgumentName", "max-keys"}, {"ArgumentValue", v}}}
		}
		maxKeys = min(n, 1000)
	}
	// A continuation token holds the last entry listed; when that was a common prefix, every
	// key it rolled up was listed with it.
	after, rolledUp := q.Get("start-after"), ""
	token := q.Get("continuation-token")
	if token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			return nil, &s3Error{http.StatusBadRequest, "InvalidArgument", "The continuation token provided is incorrect", [][2]string{{"ArgumentName", "continuation-token"}}}
		}
		after = string(raw)
		if delim != "" && strings.HasSuffix(after, delim) {
			rolledUp = after
		}
	}
	encode := func(v string) string { return v }
	if et := q.Get("encoding-type"); et == "url" {
		encode = func(v string) string { return strings.ReplaceAll(url.QueryEscape(v), "%2F", "/") }
	} else if et != "" {
		return nil, &s3Error{http.StatusBadRequest, "InvalidArgument", "Invalid Encoding Method specified in Request", [][2]string{{"ArgumentName", "encoding-type"}}}
	}
	keys := make([]string, 0, len(b.objects))
	for k := range b.objects {
		if strings.HasPrefix(k, prefix) && k > after && (rolledUp == "" || !strings.HasPrefix(k, rolledUp)) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	res := listBucketResult{
		Xmlns: s3Namespace, Name: bucket, Prefix: encode(prefix), Delimiter: encode(delim), MaxKeys: maxKeys,
		ContinuationToken: token, StartAfter: encode(q.Get("start-after")), EncodingType: q.Get("encoding-type"),
	}
	last := ""
	for _, k := range keys {
		entry := k
		isPrefix := false
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				entry = k[:len(prefix)+i+len(delim)]
				isPrefix = true
			}
		}
		if isPrefix && entry == last {
			continue // rolled up into the common prefix already listed
		}
		if res.KeyCount == maxKeys {
			res.IsTruncated = true
			res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(last))
			break
		}
		last = entry
		res.KeyCount++
		if isPrefix {
			res.CommonPrefixes = append(res.CommonPrefixes, s3CommonPrefix{Prefix: encode(entry)})
			continue
		}
		obj := b.objects[k]
		res.Contents = append(res.Contents, s3Content{
			Key: encode(k), LastModified: obj.modified.Format("2006-01-02T15:04:05.000Z"),
			ETag: obj.etag, Size: len(obj.body), StorageClass: "STANDARD",
		})
	}
	var buf bytes.Buffer
	buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	if err := xml.NewEncoder(&buf).Encode(res); err != nil {
		return nil, &s3Error{http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.", nil}
	}
	return buf.Bytes(), nil
}
