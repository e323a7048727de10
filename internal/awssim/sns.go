package awssim

import (
	"strings"

	"github.com/trustaudit/trustaudit/internal/world"
)

// SNS (query protocol): ListTopics, GetTopicAttributes and SetTopicAttributes on the topics of
// world kind "sns-topic" (Name is the topic name, Policy the Policy attribute). ListTopics
// returns a fixed 100 topics per page, as AWS does.

func init() {
	xmlNamespaces["sns"] = "http://sns.amazonaws.com/doc/2010-03-31/"
	serviceProtocols["sns"] = protoQuery
	handleQuery("sns", "ListTopics", snsListTopics)
	handleQuery("sns", "GetTopicAttributes", snsGetTopicAttributes)
	handleQuery("sns", "SetTopicAttributes", snsSetTopicAttributes)
}

func snsARN(c *Call, x *world.Resource) string {
	return resourceARN(c, x, "arn:%s:sns:%s:%s:%s")
}

type snsTopicXML struct {
	TopicArn string `xml:"TopicArn"`
}

type snsListTopicsResult struct {
	Topics    []snsTopicXML `xml:"Topics>member"`
	NextToken string        `xml:"NextToken,omitempty"`
}

func snsListTopics(s *Server, c *Call) (any, error) {
	r, aerr := s.region(c)
	if aerr != nil {
		return nil, aerr
	}
	var arns []snsTopicXML
	for _, x := range kindResources(r, "sns-topic") {
		arns = append(arns, snsTopicXML{snsARN(c, x)})
	}
	page, next, ok := pageOf(arns, c.Params.Get("NextToken"), 100)
	if !ok {
		return nil, &APIError{Status: 400, Code: "InvalidParameter", Message: "Invalid parameter: NextToken", Sender: true}
	}
	return snsListTopicsResult{Topics: page, NextToken: next}, nil
}

func snsTopic(s *Server, c *Call) (*world.Resource, error) {
	r, aerr := s.region(c)
	if aerr != nil {
		return nil, aerr
	}
	arn := c.Params.Get("TopicArn")
	if !strings.HasPrefix(arn, "arn:") {
		return nil, &APIError{Status: 400, Code: "InvalidParameter", Message: "Invalid parameter: TopicArn", Sender: true}
	}
	var x *world.Resource
	for _, t := range kindResources(r, "sns-topic") {
		if snsARN(c, t) == arn {
			x = t
		}
	}
	if x == nil {
		return nil, &APIError{Status: 404, Code: "NotFound", Message: "Topic does not exist", Sender: true}
	}
	return x, nil
}

type snsEntryXML struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type snsGetTopicAttributesResult struct {
	Attributes []snsEntryXML `xml:"Attributes>entry"`
}

func snsGetTopicAttributes(s *Server, c *Call) (any, error) {
	x, err := snsTopic(s, c)
	if err != nil {
		return nil, err
	}
	out := snsGetTopicAttributesResult{Attributes: []snsEntryXML{{"TopicArn", snsARN(c, x)}, {"Owner", c.Account}}}
	if x.Policy != "" {
		out.Attributes = append(out.Attributes, snsEntryXML{"Policy", string(x.Policy)})
	}
	return out, nil
}

func snsSetTopicAttributes(s *Server, c *Call) (any, error) {
	x, err := snsTopic(s, c)
	if err != nil {
		return nil, err
	}
	if n := c.Params.Get("AttributeName"); n != "Policy" {
		return nil, &APIError{Status: 400, Code: "InvalidParameter", Message: "Invalid parameter: AttributeName", Sender: true}
	}
	v := c.Params.Get("AttributeValue")
	if v == "" {
		return nil, &APIError{Status: 400, Code: "InvalidParameter", Message: "Invalid parameter: Policy Error: null", Sender: true}
	}
	x.Policy = world.Policy(v)
	return nil, nil
}
