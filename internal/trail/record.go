// Package trail reads CloudTrail records (log files as delivered to S3, an S3 bucket, or the
// LookupEvents API) and reports the ones that change a resource policy so that it opens access
// beyond the trust boundary. Scans are periodic; an exposure that is undone between two scans
// is only visible here.
package trail

import (
	"encoding/json"
	"time"
)

// Record is the part of a CloudTrail record the detector reads. The field names are AWS's;
// everything else in the record is skipped by the decoder without being kept.
type Record struct {
	EventVersion       string          `json:"eventVersion"`
	UserIdentity       UserIdentity    `json:"userIdentity"`
	EventTime          time.Time       `json:"eventTime"`
	EventSource        string          `json:"eventSource"`
	EventName          string          `json:"eventName"`
	AWSRegion          string          `json:"awsRegion"`
	SourceIPAddress    string          `json:"sourceIPAddress"`
	UserAgent          string          `json:"userAgent"`
	ErrorCode          string          `json:"errorCode"`
	ErrorMessage       string          `json:"errorMessage"`
	RequestParameters  json.RawMessage `json:"requestParameters"`
	ResponseElements   json.RawMessage `json:"responseElements"`
	RequestID          string          `json:"requestID"`
	EventID            string          `json:"eventID"`
	EventType          string          `json:"eventType"`
	RecipientAccountID string          `json:"recipientAccountId"`
}

// UserIdentity is the caller as CloudTrail records it.
type UserIdentity struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	AccessKeyID string `json:"accessKeyId"`
	UserName    string `json:"userName"`
	InvokedBy   string `json:"invokedBy"`
}

// Actor names who made the call: the identity's ARN, or for AWS services acting on their own
// behalf (no ARN) the service that invoked the call, or at least the identity type.
func (r *Record) Actor() string {
	switch {
	case r.UserIdentity.ARN != "":
		return r.UserIdentity.ARN
	case r.UserIdentity.InvokedBy != "":
		return r.UserIdentity.InvokedBy
	default:
		return r.UserIdentity.Type
	}
}

// Account is the account whose resource the event changed. CloudTrail sets
// recipientAccountId on every record since eventVersion 1.02; the caller's account is the
// fallback for older records, which only same-account calls could produce.
func (r *Record) Account() string {
	if r.RecipientAccountID != "" {
		return r.RecipientAccountID
	}
	return r.UserIdentity.AccountID
}

// Failed reports whether AWS refused the call (the record carries an errorCode).
func (r *Record) Failed() bool { return r.ErrorCode != "" }
