// Package policy models IAM policy documents as AWS APIs return them and parses them strictly.
//
// It is pure: no AWS SDK imports, no I/O. The analysis in internal/access reads only these
// types, so the parser can change without touching the judgement.
package policy

// Effect is a statement's Effect. AWS treats the value as case sensitive, so only the two
// exact spellings parse.
type Effect string

const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Document is a parsed policy. Version is kept as written (not validated: AWS evaluates
// principals the same under every version).
type Document struct {
	Version    string
	ID         string
	Statements []Statement
}

// Statement is one statement, normalised: every string-or-list field is a list.
//
// The Has* flags distinguish "absent" from "empty list", which matters for Deny coverage
// (an absent Resource covers everything in a resource policy).
type Statement struct {
	Index  int    // position in the Statement list, 0-based
	Sid    string // "" when absent
	Effect Effect

	// Exactly one of Principal and NotPrincipal is non-nil (the parser enforces it).
	Principal    *Principal
	NotPrincipal *Principal

	Action         []string
	NotAction      []string
	HasAction      bool
	HasNotAction   bool
	Resource       []string
	NotResource    []string
	HasResource    bool
	HasNotResource bool

	// Conditions in document order (operator order, then key order as written).
	Conditions []Condition
}

// Principal holds the principal element. Wildcard is true for the bare string "*"
// (Principal: "*"). A bare non-"*" string is read as {"AWS": value} (lenient, as PU's tests
// use it). Values are kept exactly as written, in document order.
type Principal struct {
	Wildcard      bool
	AWS           []string
	Service       []string
	Federated     []string
	CanonicalUser []string
}

// SetQualifier is the ForAnyValue:/ForAllValues: prefix of a condition operator.
type SetQualifier int

const (
	SetNone SetQualifier = iota
	ForAnyValue
	ForAllValues
)

// Condition is one (operator, key) pair with its values.
//
// Operator is the operator as written. Base is the canonical spelling of the operator
// without prefix and IfExists suffix (for example "StringEquals", "ArnLike",
// "IpAddress", "Null"), matched case-insensitively against the known operators; Known is
// false for an operator no AWS grammar has (for example "ForAnyValuesStringLike"), in which
// case Base is the operator as written and Set/IfExists are left at their zero values
// (half-recognised syntax must not be acted on). Null takes no IfExists suffix, so
// "NullIfExists" is unknown.
// Key is the key as written; KeyLower its lower-case form (keys are case-insensitive).
// Values are the condition values as strings (booleans and numbers rendered as JSON would).
type Condition struct {
	Operator string
	Base     string
	Known    bool
	Set      SetQualifier
	IfExists bool
	Key      string
	KeyLower string
	Values   []string
}
