package awssim

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/policy"
	"github.com/trustaudit/trustaudit/internal/world"
)

// S3 bucket configuration and S3 Control, for the s3-bucket and s3-access-point kinds. Both
// are signed for "s3"; S3 Control paths start with /v20180820/ and name the account in the
// x-amz-account-id header (the SDK also puts it in front of the host, which a loopback
// address cannot carry, so the header is what counts). Buckets are world resources of kind
// "s3-bucket" in their bucket region, access points resources of kind "s3-access-point";
// policies, ACL grants and public access block flags live in the resource's Policy, Grants
// and Attributes, the account's public access block in Account.Settings ("s3:BlockPublicAcls").

const s3ControlNamespace = "http://awss3control.amazonaws.com/doc/2018-08-20/"

// s3PABFlags are the four public access block settings, in S3's order.
var s3PABFlags = []string{"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"}

// S3CanonicalID is the canonical user id the simulator gives an account: S3 never reveals
// the account id behind a canonical id, and neither does the simulator.
func S3CanonicalID(account string) string {
	sum := sha256.Sum256([]byte("canonical:" + account))
	return hex.EncodeToString(sum[:])
}

// s3Resource finds the resource of kind and name, in any account (bucket names are global)
// or in account when it is not "". Called with s.mu held.
func (s *Server) s3Resource(kind, account, name string) (*world.Account, *world.Region, *world.Resource) {
	for ai := range s.world.Accounts {
		a := &s.world.Accounts[ai]
		if account != "" && a.ID != account {
			continue
		}
		for ri := range a.Regions {
			reg := &a.Regions[ri]
			for xi := range reg.Resources {
				if x := &reg.Resources[xi]; x.Kind == kind && x.Name == name {
					return a, reg, x
				}
			}
		}
	}
	return nil, nil, nil
}

// serveS3Config answers the bucket configuration and S3 Control calls; it reports false for
// a request it does not serve (objects), which serveS3 answers as before.
func (s *Server) serveS3Config(w http.ResponseWriter, r *http.Request, c *Call, rid string, bucket, key string) bool {
	q := r.URL.Query()
	var op string
	control := strings.HasPrefix(r.URL.Path, "/v20180820/")
	switch {
	case control:
		op = s3ControlOp(r)
	case bucket == "" && r.Method == http.MethodGet:
		op = "ListBuckets"
	case key == "" && bucket != "":
		sub := ""
		for _, k := range []string{"policy", "acl", "publicAccessBlock", "policyStatus", "location"} {
			if q.Has(k) {
				sub = k
				break
			}
		}
		op = map[string]string{
			"GET policy": "GetBucketPolicy", "PUT policy": "PutBucketPolicy", "DELETE policy": "DeleteBucketPolicy",
			"GET acl": "GetBucketAcl", "PUT acl": "PutBucketAcl", "GET publicAccessBlock": "GetPublicAccessBlock", "GET policyStatus": "GetBucketPolicyStatus",
			"GET location": "GetBucketLocation",
		}[r.Method+" "+sub]
	}
	if op == "" {
		if control {
			op = "Unknown"
		} else {
			return false
		}
	}
	c.Operation = op
	if control {
		// S3 Control signs for "s3" too; it is counted and paced apart.
		c.Service = "s3control"
	}
	writeErr := func(e *s3Error) {
		var buf bytes.Buffer
		buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
		if control {
			fmt.Fprintf(&buf, "<ErrorResponse><Error><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>", e.code, xmlEscape(e.message), rid)
		} else {
			fmt.Fprintf(&buf, "<Error><Code>%s</Code><Message>%s</Message>", e.code, xmlEscape(e.message))
			for _, kv := range e.extra {
				fmt.Fprintf(&buf, "<%s>%s</%s>", kv[0], xmlEscape(kv[1]), kv[0])
			}
			fmt.Fprintf(&buf, "<RequestId>%s</RequestId></Error>", rid)
		}
		writeBody(w, e.status, "application/xml", buf.Bytes())
	}
	switch s.gate(w, r, c) {
	case gateAnswered:
		return true
	case gateServerFault:
		writeErr(&s3Error{http.StatusServiceUnavailable, "ServiceUnavailable", "Please reduce your request rate.", nil})
		return true
	case gateDenied:
		s.count(c, "error:AccessDenied")
		writeErr(errS3AccessDenied)
		return true
	case gateThrottled:
		writeErr(&s3Error{http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.", nil})
		return true
	}
	s.mu.Lock()
	status, payload, serr := s.s3ConfigOp(c, r, bucket)
	s.mu.Unlock()
	if serr != nil {
		s.count(c, "error:"+serr.code)
		writeErr(serr)
		return true
	}
	s.count(c, "ok")
	ctype := "application/xml"
	if op == "GetBucketPolicy" {
		ctype = "application/json"
	}
	if len(payload) == 0 {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(status)
		return true
	}
	writeBody(w, status, ctype, payload)
	return true
}

func s3ControlOp(r *http.Request) string {
	p := strings.TrimPrefix(r.URL.EscapedPath(), "/v20180820/")
	switch {
	case p == "configuration/publicAccessBlock" && r.Method == http.MethodGet:
		return "GetPublicAccessBlock"
	case p == "accesspoint" && r.Method == http.MethodGet:
		return "ListAccessPoints"
	case strings.HasPrefix(p, "accesspoint/") && strings.HasSuffix(p, "/policy"):
		return map[string]string{http.MethodGet: "GetAccessPointPolicy", http.MethodPut: "PutAccessPointPolicy", http.MethodDelete: "DeleteAccessPointPolicy"}[r.Method]
	case strings.HasPrefix(p, "accesspoint/") && strings.HasSuffix(p, "/policyStatus") && r.Method == http.MethodGet:
		return "GetAccessPointPolicyStatus"
	}
	return ""
}

func xmlDoc(v any) ([]byte, *s3Error) {
	var buf bytes.Buffer
	buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		return nil, &s3Error{http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.", nil}
	}
	return buf.Bytes(), nil
}

var errS3AccessDenied = &s3Error{http.StatusForbidden, "AccessDenied", "Access Denied", nil}

// s3ConfigOp runs one operation. Called with s.mu held.
func (s *Server) s3ConfigOp(c *Call, r *http.Request, bucket string) (int, []byte, *s3Error) {
	if strings.HasPrefix(r.URL.Path, "/v20180820/") {
		return s.s3ControlOp(c, r)
	}
	if c.Operation == "ListBuckets" {
		return s.listBuckets(c)
	}
	acct, reg, b := s.s3Resource("s3-bucket", "", bucket)
	if b == nil {
		return 0, nil, &s3Error{http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist", [][2]string{{"BucketName", bucket}}}
	}
	if acct.ID != c.Account {
		return 0, nil, errS3AccessDenied
	}
	if exp := r.Header.Get("x-amz-expected-bucket-owner"); exp != "" && exp != acct.ID {
		return 0, nil, errS3AccessDenied
	}
	switch c.Operation {
	case "GetBucketLocation":
		type loc struct {
			XMLName xml.Name `xml:"LocationConstraint"`
			Xmlns   string   `xml:"xmlns,attr"`
			Value   string   `xml:",chardata"`
		}
		v := reg.Name
		if v == "us-east-1" {
			v = ""
		}
		out, e := xmlDoc(loc{Xmlns: s3Namespace, Value: v})
		return http.StatusOK, out, e
	case "GetBucketPolicy":
		if b.Policy == "" {
			return 0, nil, &s3Error{http.StatusNotFound, "NoSuchBucketPolicy", "The bucket policy does not exist", [][2]string{{"BucketName", bucket}}}
		}
		return http.StatusOK, []byte(b.Policy), nil
	case "PutBucketPolicy":
		body, err := readAllBody(r)
		if err != nil || !jsonObject(body) {
			return 0, nil, &s3Error{http.StatusBadRequest, "MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'", nil}
		}
		if s3Blocks(acct, b, "BlockPublicPolicy") && s3PublicPolicy(acct.ID, "arn:"+arnPartition(reg.Name)+":s3:::"+b.Name, access.KindS3Bucket, body) {
			return 0, nil, errS3AccessDenied
		}
		b.Policy = world.Policy(body)
		return http.StatusNoContent, nil, nil
	case "DeleteBucketPolicy":
		b.Policy = ""
		return http.StatusNoContent, nil, nil
	case "GetBucketAcl":
		return s.bucketACL(acct.ID, b)
	case "PutBucketAcl":
		return s.putBucketACL(r, acct, b)
	case "GetPublicAccessBlock":
		return pabAnswer(b.Attributes, "", s3Namespace)
	case "GetBucketPolicyStatus":
		// The simulator does not judge policies; it answers as S3 does for a bucket whose
		// policy it has not found public, and a bucket with no policy has no status.
		if b.Policy == "" {
			return 0, nil, &s3Error{http.StatusNotFound, "NoSuchBucketPolicy", "The bucket policy does not exist", nil}
		}
		out := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<PolicyStatus xmlns="%s"><IsPublic>false</IsPublic></PolicyStatus>`, s3Namespace)
		return http.StatusOK, []byte(out), nil
	}
	return 0, nil, &s3Error{http.StatusNotImplemented, "NotImplemented", "The simulator does not serve " + c.Operation, nil}
}

// readAllBody returns the request body serveS3 has not read yet.
func readAllBody(r *http.Request) ([]byte, error) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(r.Body)
	return buf.Bytes(), err
}

func jsonObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 1 && b[0] == '{'
}

// pabAnswer renders a public access block from attributes named as S3 names them, with
// prefix before each name (account settings are "s3:BlockPublicAcls"); none set is S3's
// NoSuchPublicAccessBlockConfiguration.
func pabAnswer(attrs map[string]string, prefix, ns string) (int, []byte, *s3Error) {
	set := false
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<PublicAccessBlockConfiguration xmlns="%s">`, ns)
	for _, f := range s3PABFlags {
		v, ok := attrs[prefix+f]
		if ok {
			set = true
		}
		fmt.Fprintf(&buf, "<%s>%t</%s>", f, strings.EqualFold(v, "true"), f)
	}
	buf.WriteString("</PublicAccessBlockConfiguration>")
	if !set {
		return 0, nil, &s3Error{http.StatusNotFound, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found", nil}
	}
	return http.StatusOK, buf.Bytes(), nil
}

// bucketACL renders a bucket's grants. The owner always holds FULL_CONTROL, as a bucket
// created without an ACL does; world grants add to it. A CanonicalUser grantee written as
// a 12-digit account id is shown as that account's canonical id.
func (s *Server) bucketACL(owner string, b *world.Resource) (int, []byte, *s3Error) {
	var buf bytes.Buffer
	ownerID := S3CanonicalID(owner)
	fmt.Fprintf(&buf, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<AccessControlPolicy xmlns="%s"><Owner><ID>%s</ID></Owner><AccessControlList>`, s3Namespace, ownerID)
	grant := func(typ, id, perm string) {
		field := "ID"
		switch typ {
		case "Group":
			field = "URI"
		case "AmazonCustomerByEmail":
			field = "EmailAddress"
		}
		fmt.Fprintf(&buf, `<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="%s"><%s>%s</%s></Grantee><Permission>%s</Permission></Grant>`, typ, field, xmlEscape(id), field, perm)
	}
	grant("CanonicalUser", ownerID, "FULL_CONTROL")
	for _, g := range b.Grants {
		typ, id := g.GranteeType, g.Grantee
		if typ == "" {
			switch {
			case strings.HasPrefix(id, "http://"):
				typ = "Group"
			case strings.Contains(id, "@"):
				typ = "AmazonCustomerByEmail"
			default:
				typ = "CanonicalUser"
			}
		}
		if typ == "CanonicalUser" && len(id) == 12 {
			id = S3CanonicalID(id)
		}
		for _, p := range g.Permissions {
			grant(typ, id, p)
		}
	}
	buf.WriteString("</AccessControlList></AccessControlPolicy>")
	return http.StatusOK, buf.Bytes(), nil
}

type s3ListedBucket struct {
	Name         string `xml:"Name"`
	CreationDate string `xml:"CreationDate"`
	BucketRegion string `xml:"BucketRegion"`
	BucketArn    string `xml:"BucketArn,omitempty"`
}

// listBuckets lists the caller's buckets by name, filtered by bucket-region and prefix,
// max-buckets (default and cap 10000) a page. Called with s.mu held.
func (s *Server) listBuckets(c *Call) (int, []byte, *s3Error) {
	a := s.account(c.Account)
	if a == nil {
		return 0, nil, errS3AccessDenied
	}
	q := c.Params
	max := 10000
	if v := q.Get("max-buckets"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return 0, nil, &s3Error{http.StatusBadRequest, "InvalidArgument", "max-buckets must be between 1 and 10000", nil}
		}
		max = n
	}
	after := ""
	if t := q.Get("continuation-token"); t != "" {
		raw, err := base64.RawURLEncoding.DecodeString(t)
		if err != nil {
			return 0, nil, &s3Error{http.StatusBadRequest, "InvalidArgument", "The continuation token provided is incorrect", nil}
		}
		after = string(raw)
	}
	var all []s3ListedBucket
	for _, reg := range a.Regions {
		if !reg.Enabled() || (q.Get("bucket-region") != "" && reg.Name != q.Get("bucket-region")) {
			continue
		}
		for _, x := range reg.Resources {
			if x.Kind == "s3-bucket" && strings.HasPrefix(x.Name, q.Get("prefix")) && x.Name > after {
				all = append(all, s3ListedBucket{Name: x.Name, CreationDate: "2024-01-01T00:00:00.000Z", BucketRegion: reg.Name, BucketArn: "arn:" + arnPartition(reg.Name) + ":s3:::" + x.Name})
			}
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	res := struct {
		XMLName           xml.Name         `xml:"ListAllMyBucketsResult"`
		Xmlns             string           `xml:"xmlns,attr"`
		OwnerID           string           `xml:"Owner>ID"`
		Buckets           []s3ListedBucket `xml:"Buckets>Bucket"`
		ContinuationToken string           `xml:"ContinuationToken,omitempty"`
		Prefix            string           `xml:"Prefix,omitempty"`
	}{Xmlns: s3Namespace, OwnerID: S3CanonicalID(a.ID), Prefix: q.Get("prefix")}
	if len(all) > max {
		res.ContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(all[max-1].Name))
		all = all[:max]
	}
	res.Buckets = all
	out, e := xmlDoc(res)
	return http.StatusOK, out, e
}

// s3ControlOp answers the S3 Control operations. Called with s.mu held.
func (s *Server) s3ControlOp(c *Call, r *http.Request) (int, []byte, *s3Error) {
	acctID := r.Header.Get("x-amz-account-id")
	if acctID == "" {
		return 0, nil, &s3Error{http.StatusBadRequest, "InvalidRequest", "Missing required header for this request: x-amz-account-id", nil}
	}
	if acctID != c.Account {
		return 0, nil, errS3AccessDenied
	}
	a := s.account(acctID)
	if a == nil {
		return 0, nil, errS3AccessDenied
	}
	switch c.Operation {
	case "GetPublicAccessBlock":
		return pabAnswer(a.Settings, "s3:", s3ControlNamespace)
	case "ListAccessPoints":
		return s.listAccessPoints(c, a)
	case "Unknown":
		return 0, nil, &s3Error{http.StatusNotImplemented, "NotImplemented", fmt.Sprintf("The simulator does not serve %s %s for S3 Control.", r.Method, r.URL.Path), nil}
	}
	rest := strings.TrimPrefix(r.URL.EscapedPath(), "/v20180820/accesspoint/")
	name, err := url.PathUnescape(rest[:strings.IndexByte(rest, '/')])
	if err != nil {
		return 0, nil, &s3Error{http.StatusBadRequest, "InvalidURI", "Couldn't parse the specified URI.", nil}
	}
	var ap *world.Resource
	for ri := range a.Regions {
		if a.Regions[ri].Name != c.Region {
			continue
		}
		for xi := range a.Regions[ri].Resources {
			if x := &a.Regions[ri].Resources[xi]; x.Kind == "s3-access-point" && x.Name == name {
				ap = x
			}
		}
	}
	if ap == nil {
		return 0, nil, &s3Error{http.StatusNotFound, "NoSuchAccessPoint", "The specified accesspoint does not exist", nil}
	}
	switch c.Operation {
	case "GetAccessPointPolicy":
		if ap.Policy == "" {
			return 0, nil, &s3Error{http.StatusNotFound, "NoSuchAccessPointPolicy", "The specified accesspoint policy does not exist", nil}
		}
		out, e := xmlDoc(struct {
			XMLName xml.Name `xml:"GetAccessPointPolicyResult"`
			Xmlns   string   `xml:"xmlns,attr"`
			Policy  string   `xml:"Policy"`
		}{Xmlns: s3ControlNamespace, Policy: string(ap.Policy)})
		return http.StatusOK, out, e
	case "GetAccessPointPolicyStatus":
		out := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<GetAccessPointPolicyStatusResult xmlns="%s"><PolicyStatus><IsPublic>false</IsPublic></PolicyStatus></GetAccessPointPolicyStatusResult>`, s3ControlNamespace)
		return http.StatusOK, []byte(out), nil
	case "PutAccessPointPolicy":
		body, err := readAllBody(r)
		var req struct {
			Policy string `xml:"Policy"`
		}
		if err != nil || xml.Unmarshal(body, &req) != nil || !jsonObject([]byte(req.Policy)) {
			return 0, nil, &s3Error{http.StatusBadRequest, "MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'", nil}
		}
		if s3Blocks(a, ap, "BlockPublicPolicy") && s3PublicPolicy(a.ID, "", access.KindS3AccessPoint, []byte(req.Policy)) {
			return 0, nil, errS3AccessDenied
		}
		ap.Policy = world.Policy(req.Policy)
		return http.StatusOK, nil, nil
	case "DeleteAccessPointPolicy":
		ap.Policy = ""
		return http.StatusOK, nil, nil
	}
	return 0, nil, &s3Error{http.StatusNotImplemented, "NotImplemented", "The simulator does not serve " + c.Operation, nil}
}

type s3AccessPoint struct {
	Name            string `xml:"Name"`
	NetworkOrigin   string `xml:"NetworkOrigin"`
	Bucket          string `xml:"Bucket"`
	AccessPointArn  string `xml:"AccessPointArn"`
	Alias           string `xml:"Alias"`
	BucketAccountID string `xml:"BucketAccountId"`
}

// listAccessPoints lists the access points of the caller's region, maxResults (default and
// cap 1000) a page, optionally of one bucket. Called with s.mu held.
func (s *Server) listAccessPoints(c *Call, a *world.Account) (int, []byte, *s3Error) {
	q := c.Params
	max := 1000
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1000 {
			return 0, nil, &s3Error{http.StatusBadRequest, "InvalidArgument", "maxResults must be between 0 and 1000", nil}
		}
		if n > 0 {
			max = n
		}
	}
	after := ""
	if t := q.Get("nextToken"); t != "" {
		raw, err := base64.RawURLEncoding.DecodeString(t)
		if err != nil {
			return 0, nil, &s3Error{http.StatusBadRequest, "InvalidToken", "The continuation token provided is incorrect", nil}
		}
		after = string(raw)
	}
	var all []s3AccessPoint
	for _, reg := range a.Regions {
		if reg.Name != c.Region {
			continue
		}
		for _, x := range reg.Resources {
			if x.Kind != "s3-access-point" || x.Name <= after || (q.Get("bucket") != "" && x.Attributes["Bucket"] != q.Get("bucket")) {
				continue
			}
			arn := x.ARN
			if arn == "" {
				arn = fmt.Sprintf("arn:%s:s3:%s:%s:accesspoint/%s", arnPartition(reg.Name), reg.Name, a.ID, x.Name)
			}
			origin := x.Attributes["NetworkOrigin"]
			if origin == "" {
				origin = "Internet"
			}
			all = append(all, s3AccessPoint{Name: x.Name, NetworkOrigin: origin, Bucket: x.Attributes["Bucket"], AccessPointArn: arn, Alias: x.Name + "-s3alias", BucketAccountID: a.ID})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	res := struct {
		XMLName   xml.Name        `xml:"ListAccessPointsResult"`
		Xmlns     string          `xml:"xmlns,attr"`
		List      []s3AccessPoint `xml:"AccessPointList>AccessPoint"`
		NextToken string          `xml:"NextToken,omitempty"`
	}{Xmlns: s3ControlNamespace}
	if len(all) > max {
		res.NextToken = base64.RawURLEncoding.EncodeToString([]byte(all[max-1].Name))
		all = all[:max]
	}
	res.List = all
	out, e := xmlDoc(res)
	return http.StatusOK, out, e
}

// s3ACLBody is a PutBucketAcl body.
type s3ACLBody struct {
	Owner struct {
		ID string `xml:"ID"`
	} `xml:"Owner"`
	Grants []struct {
		Grantee struct {
			Type         string `xml:"http://www.w3.org/2001/XMLSchema-instance type,attr"`
			ID           string `xml:"ID"`
			URI          string `xml:"URI"`
			EmailAddress string `xml:"EmailAddress"`
		} `xml:"Grantee"`
		Permission string `xml:"Permission"`
	} `xml:"AccessControlList>Grant"`
}

var s3CannedACLs = map[string][]world.Grant{
	"private":            nil,
	"public-read":        {{Grantee: "http://acs.amazonaws.com/groups/global/AllUsers", GranteeType: "Group", Permissions: []string{"READ"}}},
	"public-read-write":  {{Grantee: "http://acs.amazonaws.com/groups/global/AllUsers", GranteeType: "Group", Permissions: []string{"READ", "WRITE"}}},
	"authenticated-read": {{Grantee: "http://acs.amazonaws.com/groups/global/AuthenticatedUsers", GranteeType: "Group", Permissions: []string{"READ"}}},
}

// putBucketACL replaces a bucket's grants with a canned ACL (x-amz-acl) or the body's
// AccessControlPolicy; the owner's own grant is implied, as GetBucketAcl shows it. With
// BlockPublicAcls on the bucket or the account, an ACL granting AllUsers or
// AuthenticatedUsers is refused, as S3 refuses it. Called with s.mu held.
func (s *Server) putBucketACL(r *http.Request, acct *world.Account, b *world.Resource) (int, []byte, *s3Error) {
	var grants []world.Grant
	if canned := r.Header.Get("x-amz-acl"); canned != "" {
		g, ok := s3CannedACLs[canned]
		if !ok {
			return 0, nil, &s3Error{http.StatusBadRequest, "InvalidArgument", "The canned ACL " + canned + " is not supported by the simulator", nil}
		}
		grants = append(grants, g...)
	} else {
		body, err := readAllBody(r)
		var in s3ACLBody
		if err != nil || xml.Unmarshal(body, &in) != nil {
			return 0, nil, &s3Error{http.StatusBadRequest, "MalformedACLError", "The XML you provided was not well-formed or did not validate against our published schema", nil}
		}
		ownerID := S3CanonicalID(acct.ID)
		index := map[string]int{}
		for _, g := range in.Grants {
			id, typ := g.Grantee.ID, "CanonicalUser"
			switch {
			case g.Grantee.URI != "":
				id, typ = g.Grantee.URI, "Group"
			case g.Grantee.EmailAddress != "":
				id, typ = g.Grantee.EmailAddress, "AmazonCustomerByEmail"
			}
			if id == "" || g.Permission == "" {
				return 0, nil, &s3Error{http.StatusBadRequest, "MalformedACLError", "Each grant needs a grantee and a permission", nil}
			}
			if id == ownerID {
				continue
			}
			i, ok := index[id]
			if !ok {
				i = len(grants)
				index[id] = i
				grants = append(grants, world.Grant{Grantee: id, GranteeType: typ})
			}
			grants[i].Permissions = append(grants[i].Permissions, g.Permission)
		}
	}
	blocked := s3Blocks(acct, b, "BlockPublicAcls")
	for _, g := range grants {
		if blocked && (g.Grantee == "http://acs.amazonaws.com/groups/global/AllUsers" || g.Grantee == "http://acs.amazonaws.com/groups/global/AuthenticatedUsers") {
			return 0, nil, errS3AccessDenied
		}
	}
	b.Grants = grants
	return http.StatusOK, nil, nil
}

// s3Blocks reports whether a public access block flag is on for the resource or the account.
func s3Blocks(acct *world.Account, r *world.Resource, flag string) bool {
	return strings.EqualFold(r.Attributes[flag], "true") || strings.EqualFold(acct.Settings["s3:"+flag], "true")
}

// s3PublicPolicy reports whether a policy grants the public, which BlockPublicPolicy makes
// S3 refuse to store. S3 has its own definition of public; the simulator uses trustaudit's.
func s3PublicPolicy(owner, arn string, k access.Kind, doc []byte) bool {
	d, err := policy.Parse(doc)
	if err != nil {
		return false
	}
	return access.Evaluate(access.Input{Kind: k, Owner: owner, ResourceARN: arn, Doc: d}, access.Boundary{}).Public
}
