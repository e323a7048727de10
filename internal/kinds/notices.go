package kinds

import "github.com/trustaudit/trustaudit/internal/world"

// Noticer is a kind that knows of grants it leaves unjudged because the service itself
// neutralises them (an S3 ACL that IgnorePublicAcls makes S3 ignore). The scan reports them
// as notices: they are not exposures today, but one setting away from being one.
type Noticer interface {
	Notices(acct *world.Account) []string
}
