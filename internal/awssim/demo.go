package awssim

import (
	_ "embed"
	"fmt"

	"github.com/trustaudit/trustaudit/internal/world"
)

// demoWorld is the estate `trustaudit simulate` and `trustaudit scan --demo` serve: one
// instance of every misconfiguration the project's rule pages describe, beside clean
// resources, spread over an organization's two accounts and three enabled regions (plus a
// disabled opt-in region). demo/README.md lists what each resource demonstrates.
//
//go:embed demo/world.json
var demoWorld []byte

// Demo credentials: the auditor user of each account. Any secret is accepted.
const (
	DemoAccessKey       = "AKIADEMO111122223333" // arn:aws:iam::111122223333:user/auditor (management account)
	DemoSharedAccessKey = "AKIADEMO444455556666" // arn:aws:iam::444455556666:user/auditor
	DemoAuditRole       = "trustaudit-audit"     // in both accounts, trusting 111122223333
)

// DemoWorld returns a fresh copy of the embedded demo world.
func DemoWorld() *world.World {
	w, err := world.Parse("demo/world.json", demoWorld)
	if err != nil {
		panic(fmt.Sprintf("awssim: the embedded demo world is invalid: %v", err)) // caught by TestDemoWorld
	}
	return w
}
