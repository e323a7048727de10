//go:build unix

package awssim

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trustaudit/trustaudit/internal/world"
)

// The OU tree cross-checked against moto (moto_server), an emulator that shares nothing
// with this one: a tree is built in moto through its API, the same tree (moto's ids
// included) is served by the simulator, and every tree call must answer both the same, key
// for key. Where moto departs from AWS's documented behaviour, the simulator keeps to AWS
// and the check leaves the call out:
//
//   - moto checks no id pattern: a malformed ParentId is ParentNotFoundException there,
//     InvalidInputException (INVALID_PATTERN) on AWS.
//   - moto answers ListParents of an unknown account with AccountNotFoundException, AWS with
//     ChildNotFoundException (the only not-found error ListParents documents).
//   - moto answers DescribeOrganizationalUnit of a root id with the root.
//   - moto writes "NextToken": null on a last page where AWS leaves it out, and calls its
//     management account JoinedMethod CREATED; both are left out of the comparison.

const motoOrgKey = "AKIAMOTOORGTREE00001" // not an account id: moto puts the caller in 123456789012

func TestOrganizationsTreeAgreesWithMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server; skipped with -short")
	}
	if _, err := exec.LookPath("moto_server"); err != nil {
		t.Skip("moto_server is not on PATH (pip install 'moto[server]'); skipping the moto cross-check")
	}
	motoURL := startMotoServer(t)
	moto := func(op, body string) map[string]any {
		t.Helper()
		status, doc := orgsPost(t, motoURL, motoOrgKey, op, body)
		if status != http.StatusOK {
			t.Fatalf("moto %s %s: %d %v", op, body, status, doc)
		}
		return doc
	}
	str := func(doc map[string]any, path ...string) string {
		var v any = doc
		for _, k := range path {
			v = v.(map[string]any)[k]
		}
		return v.(string)
	}

	// The tree: the management account and "shared" under the root; Workloads > Prod with
	// two accounts; an empty Sandbox.
	org := moto("CreateOrganization", `{"FeatureSet":"ALL"}`)
	orgID, mgmt := str(org, "Organization", "Id"), str(org, "Organization", "MasterAccountId")
	root := moto("ListRoots", `{}`)["Roots"].([]any)[0].(map[string]any)["Id"].(string)
	createOU := func(parent, name string) string {
		return str(moto("CreateOrganizationalUnit", `{"ParentId":"`+parent+`","Name":"`+name+`"}`), "OrganizationalUnit", "Id")
	}
	workloads := createOU(root, "Workloads")
	prod := createOU(workloads, "Prod")
	sandbox := createOU(root, "Sandbox")
	w := &world.World{SchemaVersion: world.SchemaVersion, Organization: &world.Organization{ID: orgID, ManagementAccount: mgmt, Root: root,
		Units: []world.OrganizationalUnit{{ID: workloads, Name: "Workloads", Parent: root}, {ID: prod, Name: "Prod", Parent: workloads}, {ID: sandbox, Name: "Sandbox", Parent: root}}}}
	accts := moto("ListAccounts", `{}`)["Accounts"].([]any)
	m := accts[0].(map[string]any)
	w.Accounts = append(w.Accounts, world.Account{ID: mgmt, Name: m["Name"].(string), Email: m["Email"].(string),
		AccessKeys: []world.AccessKey{{ID: motoOrgKey, ARN: "arn:aws:iam::" + mgmt + ":user/auditor"}}})
	for _, a := range []struct{ name, parent string }{{"shared", ""}, {"prod-a", prod}, {"prod-b", prod}} {
		email := a.name + "@example.com"
		id := str(moto("CreateAccount", `{"AccountName":"`+a.name+`","Email":"`+email+`"}`), "CreateAccountStatus", "AccountId")
		if a.parent != "" {
			moto("MoveAccount", `{"AccountId":"`+id+`","SourceParentId":"`+root+`","DestinationParentId":"`+a.parent+`"}`)
		}
		w.Accounts = append(w.Accounts, world.Account{ID: id, Name: a.name, Email: email, Parent: a.parent})
	}
	if err := w.Validate(); err != nil {
		t.Fatalf("the mirrored world: %v", err)
	}
	s := fwStart(t, Options{World: w, NoQuotas: true})

	calls := [][2]string{{"ListRoots", `{}`}}
	for _, p := range []string{root, workloads, prod, sandbox} {
		calls = append(calls,
			[2]string{"ListChildren", `{"ParentId":"` + p + `","ChildType":"ACCOUNT"}`},
			[2]string{"ListChildren", `{"ParentId":"` + p + `","ChildType":"ORGANIZATIONAL_UNIT"}`},
			[2]string{"ListOrganizationalUnitsForParent", `{"ParentId":"` + p + `"}`},
			[2]string{"ListAccountsForParent", `{"ParentId":"` + p + `"}`})
	}
	for _, ou := range []string{workloads, prod, sandbox} {
		calls = append(calls,
			[2]string{"DescribeOrganizationalUnit", `{"OrganizationalUnitId":"` + ou + `"}`},
			[2]string{"ListParents", `{"ChildId":"` + ou + `"}`})
	}
	for _, a := range w.Accounts {
		calls = append(calls, [2]string{"ListParents", `{"ChildId":"` + a.ID + `"}`})
	}
	unknownOU := strings.TrimSuffix(prod, prod[len(prod)-8:]) + "zzzzzzzz"
	calls = append(calls,
		[2]string{"ListChildren", `{"ParentId":"` + unknownOU + `","ChildType":"ACCOUNT"}`},
		[2]string{"ListAccountsForParent", `{"ParentId":"r-zzzz"}`},
		[2]string{"ListOrganizationalUnitsForParent", `{"ParentId":"` + unknownOU + `"}`},
		[2]string{"DescribeOrganizationalUnit", `{"OrganizationalUnitId":"` + unknownOU + `"}`},
		[2]string{"ListChildren", `{"ParentId":"` + root + `","ChildType":"POLICY"}`})

	for _, c := range calls {
		mStatus, mDoc := orgsPost(t, motoURL, motoOrgKey, c[0], c[1])
		sStatus, sDoc := orgsPost(t, s.URL(), motoOrgKey, c[0], c[1])
		if mStatus != sStatus {
			t.Errorf("%s %s: moto %d %v, simulator %d %v", c[0], c[1], mStatus, mDoc, sStatus, sDoc)
			continue
		}
		if mStatus != http.StatusOK {
			if mDoc["__type"] != sDoc["__type"] {
				t.Errorf("%s %s: moto %v, simulator %v", c[0], c[1], mDoc["__type"], sDoc["__type"])
			}
			continue
		}
		if diff := cmp.Diff(motoComparable(mDoc), motoComparable(sDoc)); diff != "" {
			t.Errorf("%s %s (-moto +simulator):\n%s", c[0], c[1], diff)
		}
	}
}

// motoComparable drops what the two may differ in without either being wrong: a null
// NextToken, join times and methods.
func motoComparable(doc map[string]any) map[string]any {
	if doc["NextToken"] == nil {
		delete(doc, "NextToken")
	}
	if accts, ok := doc["Accounts"].([]any); ok {
		for _, a := range accts {
			delete(a.(map[string]any), "JoinedTimestamp")
			delete(a.(map[string]any), "JoinedMethod")
		}
	}
	return doc
}

// startMotoServer runs moto_server on a free loopback port in its own process group (the
// command is often a shim that execs Python), with no AWS settings from the machine, and
// kills the group when the test ends.
func startMotoServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	url := "http://127.0.0.1:" + port
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	var log bytes.Buffer
	cmd := exec.Command("moto_server", "-H", "127.0.0.1", "-p", port)
	cmd.Env = append(env, "HOME="+t.TempDir())
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start moto_server: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		if t.Failed() {
			t.Logf("moto_server log:\n%s", log.String())
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/moto-api/", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("moto_server exited before answering: %v", err)
		case <-ctx.Done():
			t.Fatalf("moto_server did not answer on %s within 30s", url)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
