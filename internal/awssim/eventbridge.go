package awssim

import (
	"encoding/json"
	"fmt"

	"github.com/trustaudit/trustaudit/internal/world"
)

// EventBridge (JSON 1.1, X-Amz-Target AWSEvents.*): ListEventBuses, DescribeEventBus,
// PutPermission and RemovePermission on the buses of world kind "eventbridge-bus" (Name the
// bus name, Policy its policy). PutPermission takes a whole Policy or one statement
// (Principal, Action, StatementId, Condition), as AWS does; RemovePermission removes one
// statement or, with RemoveAllPermissions, the policy.

const eventsTarget = "AWSEvents."

func init() {
	handleJSON("events", eventsTarget+"ListEventBuses", eventsListBuses)
	handleJSON("events", eventsTarget+"DescribeEventBus", eventsDescribeBus)
	handleJSON("events", eventsTarget+"PutPermission", eventsPutPermission)
	handleJSON("events", eventsTarget+"RemovePermission", eventsRemovePermission)
}

func busARN(c *Call, x *world.Resource) string {
	return resourceARN(c, x, "arn:%s:events:%s:%s:event-bus/%s")
}

type eventsIn struct {
	Name, EventBusName, NextToken, Policy, Principal, Action, StatementID string
	Limit                                                                 int
	RemoveAllPermissions                                                  bool
	Condition                                                             *struct{ Type, Key, Value string }
}

func eventsBus(s *Server, c *Call, in *eventsIn) (*world.Resource, error) {
	if err := jsonUnmarshal(c.Body, in); err != nil {
		return nil, err
	}
	r, aerr := s.region(c)
	if aerr != nil {
		return nil, aerr
	}
	name := in.Name
	if name == "" {
		name = in.EventBusName
	}
	if name == "" {
		name = "default"
	}
	x := findKindResource(r, "eventbridge-bus", name, func(x *world.Resource) string { return busARN(c, x) })
	if x == nil {
		return nil, &APIError{Status: 400, Code: "ResourceNotFoundException", Message: fmt.Sprintf("Event bus %s does not exist.", name), Sender: true}
	}
	return x, nil
}

func eventsListBuses(s *Server, c *Call) (any, error) {
	var in eventsIn
	if err := jsonUnmarshal(c.Body, &in); err != nil {
		return nil, err
	}
	if in.Limit < 0 || in.Limit > 100 {
		return nil, invalidParam("ValidationException", "Limit must be between 1 and 100")
	}
	r, aerr := s.region(c)
	if aerr != nil {
		return nil, aerr
	}
	var all []map[string]string
	for _, x := range kindResources(r, "eventbridge-bus") {
		all = append(all, map[string]string{"Name": x.Name, "Arn": busARN(c, x)})
	}
	max := in.Limit
	if max == 0 {
		max = 100
	}
	page, next, ok := pageOf(all, in.NextToken, max)
	if !ok {
		return nil, invalidParam("ValidationException", "Invalid NextToken")
	}
	out := map[string]any{"EventBuses": append([]map[string]string{}, page...)}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

func eventsDescribeBus(s *Server, c *Call) (any, error) {
	var in eventsIn
	x, err := eventsBus(s, c, &in)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"Name": x.Name, "Arn": busARN(c, x)}
	if x.Policy != "" {
		out["Policy"] = string(x.Policy)
	}
	return out, nil
}

// busPolicy is the bus policy as a generic document, for statement edits.
type busPolicy struct {
	Version   string            `json:"Version"`
	Statement []json.RawMessage `json:"Statement"`
}

func sidOf(stmt json.RawMessage) string {
	var s struct{ Sid string }
	_ = json.Unmarshal(stmt, &s)
	return s.Sid
}

func eventsPutPermission(s *Server, c *Call) (any, error) {
	var in eventsIn
	x, err := eventsBus(s, c, &in)
	if err != nil {
		return nil, err
	}
	if in.Policy != "" {
		if !json.Valid([]byte(in.Policy)) {
			return nil, invalidParam("ValidationException", "Policy is not valid JSON")
		}
		x.Policy = world.Policy(in.Policy)
		return map[string]any{}, nil
	}
	if in.Principal == "" || in.StatementID == "" {
		return nil, invalidParam("ValidationException", "Principal and StatementId are required without Policy")
	}
	var p busPolicy
	if x.Policy != "" {
		if err := json.Unmarshal([]byte(x.Policy), &p); err != nil {
			return nil, &APIError{Status: 500, Code: "InternalException", Message: "stored policy does not parse"}
		}
	}
	for _, st := range p.Statement {
		if sidOf(st) == in.StatementID {
			return nil, &APIError{Status: 400, Code: "ResourceAlreadyExistsException", Message: "Statement with ID " + in.StatementID + " already exists.", Sender: true}
		}
	}
	action := in.Action
	if action == "" {
		action = "events:PutEvents"
	}
	var principal any = "*"
	if in.Principal != "*" {
		principal = map[string]string{"AWS": "arn:" + arnPartition(c.Region) + ":iam::" + in.Principal + ":root"}
	}
	stmt := map[string]any{"Sid": in.StatementID, "Effect": "Allow", "Principal": principal, "Action": action, "Resource": busARN(c, x)}
	if in.Condition != nil && in.Condition.Key != "" {
		stmt["Condition"] = map[string]any{in.Condition.Type: map[string]string{in.Condition.Key: in.Condition.Value}}
	}
	b, _ := json.Marshal(stmt)
	p.Version = "2012-10-17"
	p.Statement = append(p.Statement, b)
	doc, _ := json.Marshal(p)
	x.Policy = world.Policy(doc)
	return map[string]any{}, nil
}

func eventsRemovePermission(s *Server, c *Call) (any, error) {
	var in eventsIn
	x, err := eventsBus(s, c, &in)
	if err != nil {
		return nil, err
	}
	notFound := &APIError{Status: 400, Code: "ResourceNotFoundException", Message: "EventBus does not have a policy.", Sender: true}
	if x.Policy == "" {
		return nil, notFound
	}
	if in.RemoveAllPermissions {
		x.Policy = ""
		return map[string]any{}, nil
	}
	var p busPolicy
	if err := json.Unmarshal([]byte(x.Policy), &p); err != nil {
		return nil, &APIError{Status: 500, Code: "InternalException", Message: "stored policy does not parse"}
	}
	kept := p.Statement[:0]
	for _, st := range p.Statement {
		if sidOf(st) != in.StatementID {
			kept = append(kept, st)
		}
	}
	if len(kept) == len(p.Statement) {
		return nil, &APIError{Status: 400, Code: "ResourceNotFoundException", Message: "Statement with the provided id does not exist.", Sender: true}
	}
	if len(kept) == 0 {
		x.Policy = ""
		return map[string]any{}, nil
	}
	p.Statement = kept
	doc, _ := json.Marshal(p)
	x.Policy = world.Policy(doc)
	return map[string]any{}, nil
}
