package kinds

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Remediation is optional: a kind that can take access away implements one of the two
// interfaces below, and internal/fix drives it (plan, backup, apply, verify, restore). They
// are split by how the service lets a policy change, because that decides what "remove
// exactly the offending access" can mean:
//
//   - DocumentRemediator: the whole document is read and written back (SES identity
//     policies, IAM trust policies), so single principals can be cut out of a statement.
//   - StatementRemediator: statements are removed and added one at a time by statement id
//     (Lambda permissions), so the unit of removal is the statement, and every write can be
//     made conditional on the revision that was read.

// PolicyRef names one policy of one resource.
type PolicyRef struct {
	Account     string
	Region      string // the resource's region; GlobalRegion for IAM
	ResourceARN string
	PolicyName  string // SES only
}

// LivePolicy is a policy as read now: the document decoded from any transport encoding
// ("" when the resource has no policy) and, where the service has one, the revision a
// conditional write must name.
type LivePolicy struct {
	Document string
	Revision string
}

// Reader reads one policy as it is now.
type Reader interface {
	Kind
	ReadPolicy(ctx context.Context, cfg aws.Config, ref PolicyRef) (LivePolicy, error)
	// FixActions are the IAM actions remediation and restore call, beyond the scan's.
	FixActions() []string
}

// DocumentRemediator writes whole documents.
type DocumentRemediator interface {
	Reader
	// WritePolicy replaces the policy with doc; doc == "" deletes it. Only kinds for which
	// CanDelete is true are ever asked to delete.
	WritePolicy(ctx context.Context, cfg aws.Config, ref PolicyRef, doc string) error
	// CanDelete reports whether a policy may be left with no statement (deleted): an SES
	// identity can do without a policy, an IAM role cannot do without its trust policy.
	CanDelete() bool
}

// StatementRemediator removes and re-adds single statements.
type StatementRemediator interface {
	Reader
	// RemoveStatement removes the statement with id sid, failing rather than acting if
	// the policy is no longer at revision (so a concurrent change is never overwritten).
	RemoveStatement(ctx context.Context, cfg aws.Config, ref PolicyRef, sid, revision string) error
	// AddStatement re-creates a statement removed earlier, exactly as it was, failing if
	// the policy is no longer at revision ("" when the resource has no policy).
	AddStatement(ctx context.Context, cfg aws.Config, ref PolicyRef, statement json.RawMessage, revision string) error
	// CheckStatement reports why AddStatement could not re-create statement exactly (nil
	// when it can): remediation refuses to remove what it could not put back.
	CheckStatement(ref PolicyRef, statement json.RawMessage) error
}

// ErrNoSuchResource is returned (wrapped) by ReadPolicy when the resource itself is gone,
// as opposed to a resource without a policy.
var ErrNoSuchResource = errors.New("the resource does not exist")
