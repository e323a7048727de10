package awssim

import (
	"fmt"
	"strings"

	"github.com/trustaudit/trustaudit/internal/world"
)

// SQS (JSON 1.0, X-Amz-Target AmazonSQS.*): ListQueues, GetQueueAttributes, GetQueueUrl and
// SetQueueAttributes on the queues of world kind "sqs-queue" (Name is the queue name,
// Policy the Policy attribute). Queue URLs have AWS's form
// https://sqs.REGION.amazonaws.com/ACCOUNT/NAME; a queue of another account is answered as
// missing, since cross-account access is not modelled.

const sqsTarget = "AmazonSQS."

func init() {
	handleJSON("sqs", sqsTarget+"ListQueues", sqsListQueues)
	handleJSON("sqs", sqsTarget+"GetQueueAttributes", sqsGetQueueAttributes)
	handleJSON("sqs", sqsTarget+"SetQueueAttributes", sqsSetQueueAttributes)
	handleJSON("sqs", sqsTarget+"GetQueueUrl", sqsGetQueueURL)
}

func sqsURL(c *Call, name string) string {
	return fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", c.Region, c.Account, name)
}

func sqsARN(c *Call, x *world.Resource) string {
	return resourceARN(c, x, "arn:%s:sqs:%s:%s:%s")
}

func sqsNoQueue() *APIError {
	return &APIError{Status: 400, Code: "com.amazonaws.sqs#QueueDoesNotExist", Message: "The specified queue does not exist.", Sender: true}
}

func sqsQueue(s *Server, c *Call, url string) (*world.Resource, error) {
	r, aerr := s.region(c)
	if aerr != nil {
		return nil, aerr
	}
	parts := strings.Split(strings.TrimSuffix(url, "/"), "/")
	if len(parts) < 2 || parts[len(parts)-2] != c.Account {
		return nil, sqsNoQueue()
	}
	x := findKindResource(r, "sqs-queue", parts[len(parts)-1], nil)
	if x == nil {
		return nil, sqsNoQueue()
	}
	return x, nil
}

func sqsListQueues(s *Server, c *Call) (any, error) {
	var in struct {
		MaxResults      int
		NextToken       string
		QueueNamePrefix string
	}
	if err := jsonUnmarshal(c.Body, &in); err != nil {
		return nil, err
	}
	if in.MaxResults < 0 || in.MaxResults > 1000 {
		return nil, invalidParam("com.amazonaws.sqs#InvalidParameterValue", "Value for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.")
	}
	r, aerr := s.region(c)
	if aerr != nil {
		return nil, aerr
	}
	var urls []string
	for _, x := range kindResources(r, "sqs-queue") {
		if strings.HasPrefix(x.Name, in.QueueNamePrefix) {
			urls = append(urls, sqsURL(c, x.Name))
		}
	}
	max := in.MaxResults
	if max == 0 {
		max = 1000 // without MaxResults AWS returns at most 1000 and no token
	}
	page, next, ok := pageOf(urls, in.NextToken, max)
	if !ok {
		return nil, badToken("com.amazonaws.sqs#InvalidParameterValue")
	}
	out := map[string]any{}
	if len(page) > 0 {
		out["QueueUrls"] = page
	}
	if next != "" && in.MaxResults > 0 {
		out["NextToken"] = next
	}
	return out, nil
}

func sqsGetQueueAttributes(s *Server, c *Call) (any, error) {
	var in struct {
		QueueURL       string `json:"QueueUrl"`
		AttributeNames []string
	}
	if err := jsonUnmarshal(c.Body, &in); err != nil {
		return nil, err
	}
	x, err := sqsQueue(s, c, in.QueueURL)
	if err != nil {
		return nil, err
	}
	attrs := map[string]string{}
	for _, n := range in.AttributeNames {
		if (n == "Policy" || n == "All") && x.Policy != "" {
			attrs["Policy"] = string(x.Policy)
		}
		if n == "QueueArn" || n == "All" {
			attrs["QueueArn"] = sqsARN(c, x)
		}
	}
	out := map[string]any{}
	if len(attrs) > 0 {
		out["Attributes"] = attrs
	}
	return out, nil
}

func sqsSetQueueAttributes(s *Server, c *Call) (any, error) {
	var in struct {
		QueueURL   string `json:"QueueUrl"`
		Attributes map[string]string
	}
	if err := jsonUnmarshal(c.Body, &in); err != nil {
		return nil, err
	}
	x, err := sqsQueue(s, c, in.QueueURL)
	if err != nil {
		return nil, err
	}
	for k := range in.Attributes {
		if k != "Policy" {
			return nil, invalidParam("com.amazonaws.sqs#InvalidAttributeName", "Unknown Attribute "+k+".")
		}
	}
	if p, ok := in.Attributes["Policy"]; ok {
		x.Policy = world.Policy(p)
	}
	return map[string]any{}, nil
}

func sqsGetQueueURL(s *Server, c *Call) (any, error) {
	var in struct {
		QueueName              string
		QueueOwnerAWSAccountID string `json:"QueueOwnerAWSAccountId"`
	}
	if err := jsonUnmarshal(c.Body, &in); err != nil {
		return nil, err
	}
	if in.QueueOwnerAWSAccountID != "" && in.QueueOwnerAWSAccountID != c.Account {
		return nil, sqsNoQueue()
	}
	x, err := sqsQueue(s, c, c.Account+"/"+in.QueueName)
	if err != nil {
		return nil, err
	}
	return map[string]any{"QueueUrl": sqsURL(c, x.Name)}, nil
}
