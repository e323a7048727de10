package finding

import "time"

// Event is the CloudTrail event behind a finding of `trustaudit trail`: when and by whom the
// policy was changed, so that a responder can find the session and what else it did.
type Event struct {
	Time      time.Time `json:"time"`
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Source    string    `json:"source"`
	Actor     string    `json:"actor"`
	SourceIP  string    `json:"source_ip,omitempty"`
	UserAgent string    `json:"user_agent,omitempty"`
	ErrorCode string    `json:"error_code,omitempty"`
}
