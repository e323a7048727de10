package awssim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// CloudTrail's LookupEvents, over the trail events a test adds with AddTrailEvents. The world
// schema has no events (a snapshot of policies has no history), so they live in the
// handler's own state.

// CloudTrail answers its operations under two X-Amz-Target prefixes: the Go SDK sends the
// short one, botocore (the AWS CLI) the service model's full one.
var ctTargets = []string{"CloudTrail_20131101.", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."}

func init() {
	for _, t := range ctTargets {
		handleJSON("cloudtrail", t+"LookupEvents", lookupEvents)
	}
}

// lookupWindow is how far back LookupEvents reaches: "the last 90 days".
const lookupWindow = 90 * 24 * time.Hour

type trailEvent struct {
	id, name, source, username, accessKey, readOnly string
	time                                            time.Time
	resources                                       []ctResource
	raw                                             string
}

type ctResource struct {
	ResourceType string `json:"ResourceType,omitempty"`
	ResourceName string `json:"ResourceName,omitempty"`
}

type trailState struct {
	// events per "account/region", newest first (LookupEvents' order).
	events map[string][]trailEvent
}

func (s *Server) trail() *trailState {
	return extState(s, "cloudtrail", func() *trailState { return &trailState{events: map[string][]trailEvent{}} })
}

// AddTrailEvents records CloudTrail events (each one record as CloudTrail writes it) in the
// event history of an account and region, for LookupEvents to return.
func (s *Server) AddTrailEvents(account, region string, events ...[]byte) error {
	parsed := make([]trailEvent, 0, len(events))
	for i, raw := range events {
		ev, err := parseTrailEvent(raw)
		if err != nil {
			return fmt.Errorf("awssim: AddTrailEvents: event %d: %w", i, err)
		}
		parsed = append(parsed, ev)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.trail()
	k := account + "/" + region
	list := append(st.events[k], parsed...)
	sort.SliceStable(list, func(i, j int) bool { return list[i].time.After(list[j].time) })
	st.events[k] = list
	return nil
}

func parseTrailEvent(raw []byte) (trailEvent, error) {
	var rec struct {
		EventID      string    `json:"eventID"`
		EventName    string    `json:"eventName"`
		EventSource  string    `json:"eventSource"`
		EventTime    time.Time `json:"eventTime"`
		ReadOnly     *bool     `json:"readOnly"`
		UserIdentity struct {
			ARN            string `json:"arn"`
			UserName       string `json:"userName"`
			AccessKeyID    string `json:"accessKeyId"`
			SessionContext struct {
				SessionIssuer struct {
					UserName string `json:"userName"`
				} `json:"sessionIssuer"`
			} `json:"sessionContext"`
		} `json:"userIdentity"`
		Resources []struct {
			ARN  string `json:"ARN"`
			Type string `json:"type"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		return trailEvent{}, fmt.Errorf("not a CloudTrail record: %w", err)
	}
	if rec.EventID == "" || rec.EventName == "" || rec.EventSource == "" || rec.EventTime.IsZero() {
		return trailEvent{}, fmt.Errorf("a CloudTrail record needs eventID, eventName, eventSource and eventTime")
	}
	ev := trailEvent{
		id: rec.EventID, name: rec.EventName, source: rec.EventSource, time: rec.EventTime.UTC(),
		accessKey: rec.UserIdentity.AccessKeyID, readOnly: "false", raw: string(raw),
	}
	if rec.ReadOnly != nil && *rec.ReadOnly {
		ev.readOnly = "true"
	}
	// LookupEvents' Username: the IAM user, or the role session's name for assumed roles.
	switch {
	case rec.UserIdentity.UserName != "":
		ev.username = rec.UserIdentity.UserName
	case rec.UserIdentity.ARN != "":
		ev.username = rec.UserIdentity.ARN[strings.LastIndexByte(rec.UserIdentity.ARN, '/')+1:]
	default:
		ev.username = rec.UserIdentity.SessionContext.SessionIssuer.UserName
	}
	for _, r := range rec.Resources {
		ev.resources = append(ev.resources, ctResource{ResourceType: r.Type, ResourceName: r.ARN})
	}
	return ev, nil
}

type lookupAttribute struct {
	AttributeKey   string
	AttributeValue string
}

type lookupEventsInput struct {
	LookupAttributes []lookupAttribute
	StartTime        *float64
	EndTime          *float64
	EventCategory    string
	MaxResults       *int
	NextToken        *string
}

type ctEvent struct {
	EventID         string       `json:"EventId"`
	EventName       string       `json:"EventName"`
	ReadOnly        string       `json:"ReadOnly"`
	AccessKeyID     string       `json:"AccessKeyId,omitempty"`
	EventTime       float64      `json:"EventTime"`
	EventSource     string       `json:"EventSource"`
	Username        string       `json:"Username,omitempty"`
	Resources       []ctResource `json:"Resources"`
	CloudTrailEvent string       `json:"CloudTrailEvent"`
}

type lookupEventsOutput struct {
	Events    []ctEvent `json:"Events"`
	NextToken string    `json:"NextToken,omitempty"`
}

func ctError(code, msg string) *APIError {
	return &APIError{Status: 400, Code: code, Message: msg, Sender: true}
}

func epoch(f float64) time.Time {
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

// lookupEvents answers LookupEvents as CloudTrail does: newest first, at most one lookup
// attribute, MaxResults 1-50 (default 50), only the last 90 days, an opaque NextToken that is
// valid only for the same query.
func lookupEvents(s *Server, c *Call) (any, error) {
	if _, e := s.region(c); e != nil {
		return nil, e
	}
	var in lookupEventsInput
	if len(c.Body) > 0 {
		if err := json.Unmarshal(c.Body, &in); err != nil {
			return nil, &APIError{Status: 400, Code: "SerializationException", Message: "Could not parse the request: " + err.Error(), Sender: true}
		}
	}
	if len(in.LookupAttributes) > 1 {
		return nil, ctError("InvalidLookupAttributesException", "You can only specify one lookup attribute.")
	}
	var attr lookupAttribute
	if len(in.LookupAttributes) == 1 {
		attr = in.LookupAttributes[0]
		switch attr.AttributeKey {
		case "EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource", "AccessKeyId":
		default:
			return nil, ctError("InvalidLookupAttributesException", fmt.Sprintf("Invalid attribute key: %s", attr.AttributeKey))
		}
		if attr.AttributeValue == "" {
			return nil, ctError("InvalidLookupAttributesException", "The attribute value must not be empty.")
		}
	}
	if in.EventCategory != "" && in.EventCategory != "insight" {
		return nil, ctError("InvalidEventCategoryException", "Invalid event category: "+in.EventCategory)
	}
	limit := 50
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 50 {
			return nil, ctError("InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
		}
		limit = *in.MaxResults
	}
	now := time.Now().UTC()
	start, end := now.Add(-lookupWindow), now
	if in.StartTime != nil {
		start = epoch(*in.StartTime)
	}
	if in.EndTime != nil {
		end = epoch(*in.EndTime)
	}
	if start.After(end) {
		return nil, ctError("InvalidTimeRangeException", "Start time must be before end time.")
	}
	if oldest := now.Add(-lookupWindow); start.Before(oldest) {
		start = oldest
	}
	// The token binds the query, so that a token from one query is refused by another, as
	// CloudTrail does.
	query := fmt.Sprintf("%s|%s|%s|%s|%v|%v", c.Account, c.Region, attr.AttributeKey, attr.AttributeValue, fmtOpt(in.StartTime), fmtOpt(in.EndTime))
	offset := 0
	if in.NextToken != nil {
		var err error
		if offset, err = parseCTToken(*in.NextToken, query); err != nil {
			return nil, ctError("InvalidNextTokenException", "Invalid NextToken.")
		}
	}
	out := lookupEventsOutput{Events: []ctEvent{}}
	i := 0
	for _, ev := range s.trail().events[c.Account+"/"+c.Region] {
		if ev.time.Before(start) || ev.time.After(end) || in.EventCategory == "insight" || !ev.matches(attr) {
			continue
		}
		if i < offset {
			i++
			continue
		}
		if len(out.Events) == limit {
			out.NextToken = ctToken(query, i)
			break
		}
		out.Events = append(out.Events, ev.render())
		i++
	}
	return out, nil
}

func (ev trailEvent) matches(a lookupAttribute) bool {
	switch a.AttributeKey {
	case "":
		return true
	case "EventId":
		return ev.id == a.AttributeValue
	case "EventName":
		return ev.name == a.AttributeValue
	case "EventSource":
		return ev.source == a.AttributeValue
	case "ReadOnly":
		return ev.readOnly == a.AttributeValue
	case "Username":
		return ev.username == a.AttributeValue
	case "AccessKeyId":
		return ev.accessKey == a.AttributeValue
	case "ResourceType", "ResourceName":
		for _, r := range ev.resources {
			if (a.AttributeKey == "ResourceType" && r.ResourceType == a.AttributeValue) ||
				(a.AttributeKey == "ResourceName" && r.ResourceName == a.AttributeValue) {
				return true
			}
		}
	}
	return false
}

func (ev trailEvent) render() ctEvent {
	res := ev.resources
	if res == nil {
		res = []ctResource{}
	}
	return ctEvent{
		EventID: ev.id, EventName: ev.name, ReadOnly: ev.readOnly, AccessKeyID: ev.accessKey,
		EventTime: float64(ev.time.Unix()), EventSource: ev.source, Username: ev.username,
		Resources: res, CloudTrailEvent: ev.raw,
	}
}

func fmtOpt(f *float64) string {
	if f == nil {
		return "-"
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}

func ctToken(query string, offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(query + "#" + strconv.Itoa(offset)))
}

func parseCTToken(tok, query string) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, err
	}
	q, n, ok := strings.Cut(string(b), "#")
	if !ok || q != query {
		return 0, fmt.Errorf("token for another query")
	}
	return strconv.Atoi(n)
}
