package world_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trustaudit/trustaudit/internal/awssim"
	"github.com/trustaudit/trustaudit/internal/world"
)

const trustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}`

// base is a valid world touching every part of the schema; each case below breaks one rule.
func base() *world.World {
	return &world.World{
		SchemaVersion: world.SchemaVersion,
		Organization: &world.Organization{ID: "o-abcdefghij", ManagementAccount: "111122223333", Root: "r-abcd", Units: []world.OrganizationalUnit{
			{ID: "ou-abcd-11111111", Name: "Security", Parent: "r-abcd"},
			{ID: "ou-abcd-22222222", Name: "Workloads", Parent: "r-abcd"},
			{ID: "ou-abcd-33333333", Name: "Prod", Parent: "ou-abcd-22222222"},
		}},
		Accounts: []world.Account{{
			ID:         "111122223333",
			AccessKeys: []world.AccessKey{{ID: "AKIA1", ARN: "arn:aws:iam::111122223333:user/a"}},
			IAM:        world.IAM{Roles: []world.Role{{Name: "r", Path: "/x/", AssumeRolePolicy: trustPolicy}}},
			Regions: []world.Region{{
				Name:          "us-east-1",
				SESIdentities: []world.SESIdentity{{Identity: "a@example.com", Type: world.SESEmailAddress, Policies: map[string]world.Policy{"p": trustPolicy}}, {Identity: "example.com", Type: world.SESDomain}},
				LambdaFunctions: []world.LambdaFunction{{
					Name:     "f",
					Versions: []world.LambdaVersion{{Version: "1"}},
					Aliases:  []world.LambdaAlias{{Name: "live", FunctionVersion: "1"}, {Name: "dev", FunctionVersion: "$LATEST"}},
				}},
				LambdaLayers: []world.LambdaLayer{{Name: "l", Versions: []world.LayerVersion{{Version: 1}}}},
				Resources: []world.Resource{{
					Kind: "ebs-snapshot", Name: "snap-1", ARN: "arn:aws:ec2:us-east-1::snapshot/snap-1",
					Shares: []string{"all"}, Grants: []world.Grant{{Grantee: "444455556666", Permissions: []string{"Decrypt"}}},
				}},
			}, {Name: "ap-east-1", OptInStatus: world.OptInDisabled}},
		}, {ID: "444455556666", Parent: "ou-abcd-33333333"}},
	}
}

// chain gives the organization n nested OUs below the root and puts account 1 in the deepest.
func chain(w *world.World, n int) {
	parent := w.Organization.Root
	w.Organization.Units = nil
	for i := range n {
		id := fmt.Sprintf("ou-abcd-%08d", i+1)
		w.Organization.Units = append(w.Organization.Units, world.OrganizationalUnit{ID: id, Name: fmt.Sprint("level", i+1), Parent: parent})
		parent = id
	}
	w.Accounts[1].Parent = parent
}

func TestValidateNamesThePlace(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(w *world.World)
		want   string
	}{
		{"schema version", func(w *world.World) { w.SchemaVersion = 2 }, "schema_version: expected 1, found 2"},
		{"no accounts", func(w *world.World) { w.Accounts = nil; w.Organization = nil }, "accounts: expected at least one account"},
		{"account id", func(w *world.World) { w.Accounts[1].ID = "4444" }, `accounts[1].id: expected a 12-digit account id, found "4444"`},
		{"account twice", func(w *world.World) { w.Accounts[1].ID = "111122223333" }, "accounts[1].id: account 111122223333 appears twice"},
		{"access key id", func(w *world.World) { w.Accounts[0].AccessKeys[0].ID = "" }, "accounts[0].access_keys[0].id: expected an access key id"},
		{"access key twice", func(w *world.World) {
			w.Accounts[1].AccessKeys = []world.AccessKey{{ID: "AKIA1", ARN: "arn:aws:iam::444455556666:user/b"}}
		}, "accounts[1].access_keys[0].id: access key AKIA1 appears twice"},
		{"access key arn", func(w *world.World) { w.Accounts[0].AccessKeys[0].ARN = "arn:aws:iam::444455556666:user/a" },
			`accounts[0].access_keys[0].arn: expected an IAM ARN in account 111122223333, found "arn:aws:iam::444455556666:user/a"`},
		{"role name", func(w *world.World) { w.Accounts[0].IAM.Roles[0].Name = "a b" },
			`accounts[0].iam.roles[0].name: expected a role name of 1-64 characters [\w+=,.@-], found "a b"`},
		{"role twice", func(w *world.World) {
			w.Accounts[0].IAM.Roles = append(w.Accounts[0].IAM.Roles, world.Role{Name: "R", AssumeRolePolicy: trustPolicy})
		}, `accounts[0].iam.roles[1].name: role "R" appears twice (IAM names are case-insensitive)`},
		{"role path", func(w *world.World) { w.Accounts[0].IAM.Roles[0].Path = "x/" },
			`accounts[0].iam.roles[0].path: expected a path that starts and ends with /, found "x/"`},
		{"role trust policy", func(w *world.World) { w.Accounts[0].IAM.Roles[0].AssumeRolePolicy = "" },
			"accounts[0].iam.roles[0].assume_role_policy: expected a trust policy (every role has one)"},
		{"region name", func(w *world.World) { w.Accounts[0].Regions[0].Name = "useast1" },
			`accounts[0].regions[0].name: expected a region name like us-east-1, found "useast1"`},
		{"region twice", func(w *world.World) { w.Accounts[0].Regions[1].Name = "us-east-1" },
			"accounts[0].regions[1].name: region us-east-1 appears twice"},
		{"opt-in status", func(w *world.World) { w.Accounts[0].Regions[1].OptInStatus = "enabled" },
			`accounts[0].regions[1].opt_in_status: expected ENABLED_BY_DEFAULT, ENABLED or DISABLED, found "enabled"`},
		{"disabled region with resources", func(w *world.World) {
			w.Accounts[0].Regions[1].Resources = []world.Resource{{Kind: "sqs-queue", Name: "q"}}
		}, "accounts[0].regions[1]: a DISABLED region cannot hold resources"},
		{"ses identity empty", func(w *world.World) { w.Accounts[0].Regions[0].SESIdentities[1].Identity = "" },
			"accounts[0].regions[0].ses_identities[1].identity: expected an email address or domain"},
		{"ses identity twice", func(w *world.World) {
			w.Accounts[0].Regions[0].SESIdentities[1] = world.SESIdentity{Identity: "A@example.com", Type: world.SESEmailAddress}
		}, `accounts[0].regions[0].ses_identities[1].identity: "A@example.com" appears twice`},
		{"ses email without @", func(w *world.World) { w.Accounts[0].Regions[0].SESIdentities[1].Type = world.SESEmailAddress },
			`accounts[0].regions[0].ses_identities[1].identity: an EmailAddress identity needs an @, found "example.com"`},
		{"ses domain with @", func(w *world.World) { w.Accounts[0].Regions[0].SESIdentities[0].Type = world.SESDomain },
			`accounts[0].regions[0].ses_identities[0].identity: a Domain identity has no @, found "a@example.com"`},
		{"ses type", func(w *world.World) { w.Accounts[0].Regions[0].SESIdentities[0].Type = "Email" },
			`accounts[0].regions[0].ses_identities[0].type: expected EmailAddress or Domain, found "Email"`},
		{"ses too many policies", func(w *world.World) {
			ps := map[string]world.Policy{}
			for i := range 21 {
				ps[fmt.Sprint("p", i)] = trustPolicy
			}
			w.Accounts[0].Regions[0].SESIdentities[0].Policies = ps
		}, "accounts[0].regions[0].ses_identities[0].policies: an identity holds at most 20 policies, found 21"},
		{"ses policy name", func(w *world.World) {
			w.Accounts[0].Regions[0].SESIdentities[0].Policies[strings.Repeat("n", 65)] = trustPolicy
		}, `accounts[0].regions[0].ses_identities[0].policies: policy name "` + strings.Repeat("n", 65) + `": expected 1-64 characters`},
		{"ses policy empty", func(w *world.World) { w.Accounts[0].Regions[0].SESIdentities[0].Policies["p"] = "" },
			`accounts[0].regions[0].ses_identities[0].policies["p"]: expected a policy document`},
		{"function name", func(w *world.World) { w.Accounts[0].Regions[0].LambdaFunctions[0].Name = "f:1" },
			`accounts[0].regions[0].lambda_functions[0].name: expected a function name of 1-64 characters [a-zA-Z0-9_-], found "f:1"`},
		{"function twice", func(w *world.World) {
			r := &w.Accounts[0].Regions[0]
			r.LambdaFunctions = append(r.LambdaFunctions, world.LambdaFunction{Name: "f"})
		}, `accounts[0].regions[0].lambda_functions[1].name: function "f" appears twice`},
		{"function version zero", func(w *world.World) { w.Accounts[0].Regions[0].LambdaFunctions[0].Versions[0].Version = "0" },
			`accounts[0].regions[0].lambda_functions[0].versions[0].version: expected a published version number, found "0"`},
		{"function version twice", func(w *world.World) {
			f := &w.Accounts[0].Regions[0].LambdaFunctions[0]
			f.Versions = append(f.Versions, world.LambdaVersion{Version: "1"})
		}, "accounts[0].regions[0].lambda_functions[0].versions[1].version: version 1 appears twice"},
		{"alias name numeric", func(w *world.World) { w.Accounts[0].Regions[0].LambdaFunctions[0].Aliases[0].Name = "1" },
			`accounts[0].regions[0].lambda_functions[0].aliases[0].name: expected an alias name that starts with a letter, found "1"`},
		{"alias twice", func(w *world.World) { w.Accounts[0].Regions[0].LambdaFunctions[0].Aliases[1].Name = "live" },
			`accounts[0].regions[0].lambda_functions[0].aliases[1].name: alias "live" appears twice`},
		{"alias version", func(w *world.World) { w.Accounts[0].Regions[0].LambdaFunctions[0].Aliases[0].FunctionVersion = "2" },
			`accounts[0].regions[0].lambda_functions[0].aliases[0].function_version: expected $LATEST or one of the function's versions, found "2"`},
		{"resource kind", func(w *world.World) { w.Accounts[0].Regions[0].Resources[0].Kind = "EBS_Snapshot" },
			`accounts[0].regions[0].resources[0].kind: expected a kind name like sqs-queue, found "EBS_Snapshot"`},
		{"resource name", func(w *world.World) { w.Accounts[0].Regions[0].Resources[0].Name = "" },
			"accounts[0].regions[0].resources[0].name: expected the resource's name or id"},
		{"resource twice", func(w *world.World) {
			r := &w.Accounts[0].Regions[0]
			r.Resources = append(r.Resources, world.Resource{Kind: "ebs-snapshot", Name: "snap-1"})
		}, `accounts[0].regions[0].resources[1].name: ebs-snapshot "snap-1" appears twice`},
		{"resource arn", func(w *world.World) { w.Accounts[0].Regions[0].Resources[0].ARN = "snap-1" },
			`accounts[0].regions[0].resources[0].arn: expected an ARN, found "snap-1"`},
		{"grant grantee", func(w *world.World) { w.Accounts[0].Regions[0].Resources[0].Grants[0].Grantee = "" },
			"accounts[0].regions[0].resources[0].grants[0].grantee: expected an account, ARN, canonical id or group URI"},
		{"layer name", func(w *world.World) { w.Accounts[0].Regions[0].LambdaLayers[0].Name = "" },
			`accounts[0].regions[0].lambda_layers[0].name: expected a layer name of 1-64 characters [a-zA-Z0-9_-], found ""`},
		{"layer twice", func(w *world.World) {
			r := &w.Accounts[0].Regions[0]
			r.LambdaLayers = append(r.LambdaLayers, world.LambdaLayer{Name: "l", Versions: []world.LayerVersion{{Version: 1}}})
		}, `accounts[0].regions[0].lambda_layers[1].name: layer "l" appears twice`},
		{"layer without versions", func(w *world.World) { w.Accounts[0].Regions[0].LambdaLayers[0].Versions = nil },
			"accounts[0].regions[0].lambda_layers[0].versions: expected at least one layer version"},
		{"layer version twice", func(w *world.World) {
			l := &w.Accounts[0].Regions[0].LambdaLayers[0]
			l.Versions = append(l.Versions, world.LayerVersion{Version: 1})
		}, "accounts[0].regions[0].lambda_layers[0].versions[1].version: expected a unique version number >= 1, found 1"},
		{"layer version zero", func(w *world.World) { w.Accounts[0].Regions[0].LambdaLayers[0].Versions[0].Version = 0 },
			"accounts[0].regions[0].lambda_layers[0].versions[0].version: expected a unique version number >= 1, found 0"},
		{"organization id", func(w *world.World) { w.Organization.ID = "o-short" },
			`organization.id: expected an organization id like o-a1b2c3d4e5, found "o-short"`},
		{"account status", func(w *world.World) { w.Accounts[1].Status = "CLOSED" },
			`accounts[1].status: expected ACTIVE, SUSPENDED or PENDING_CLOSURE, found "CLOSED"`},
		{"management account", func(w *world.World) { w.Organization.ManagementAccount = "9999" },
			`organization.management_account: expected a 12-digit account id, found "9999"`},
		{"member id", func(w *world.World) { w.Organization.Members = []world.Member{{ID: "111122223333"}, {ID: "12"}} },
			`organization.members[1].id: expected a 12-digit account id, found "12"`},
		{"member path", func(w *world.World) {
			w.Organization.Members = []world.Member{{ID: "111122223333", Path: "o-other00000/r-ab12/"}}
		}, `organization.members[0].path: expected the account's OU path, o-abcdefghij/r-.../ou-.../, found "o-other00000/r-ab12/"`},
		{"root id", func(w *world.World) { w.Organization.Root = "r-ab" },
			`organization.root: expected a root id like r-ab12 (r- and 4-32 lower-case letters or digits), found "r-ab"`},
		{"root id upper case", func(w *world.World) { w.Organization.Root = "r-ABCD" },
			`organization.root: expected a root id like r-ab12 (r- and 4-32 lower-case letters or digits), found "r-ABCD"`},
		{"unit id", func(w *world.World) { w.Organization.Units[1].ID = "ou-abcd-1234567" },
			`organization.units[1].id: expected an OU id like ou-ab12-11111111 (pattern ^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$), found "ou-abcd-1234567"`},
		{"unit id is a root id", func(w *world.World) { w.Organization.Units[0].ID = "r-abcd" },
			`organization.units[0].id: expected an OU id like ou-ab12-11111111 (pattern ^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$), found "r-abcd"`},
		{"unit twice", func(w *world.World) { w.Organization.Units[1].ID = "ou-abcd-11111111" },
			"organization.units[1].id: OU ou-abcd-11111111 appears twice"},
		{"unit name", func(w *world.World) { w.Organization.Units[2].Name = "" },
			`organization.units[2].name: expected an OU name of 1-128 characters, found ""`},
		{"unit parent unknown", func(w *world.World) { w.Organization.Units[2].Parent = "ou-abcd-99999999" },
			`organization.units[2].parent: expected the root (r-abcd) or one of the units' ids, found "ou-abcd-99999999"`},
		{"unit parent empty", func(w *world.World) { w.Organization.Units[0].Parent = "" },
			`organization.units[0].parent: expected the root (r-abcd) or one of the units' ids, found ""`},
		{"unit parent is another root", func(w *world.World) { w.Organization.Units[0].Parent = "r-wxyz" },
			`organization.units[0].parent: expected the root (r-abcd) or one of the units' ids, found "r-wxyz"`},
		{"unit parent is the derived root when root is set", func(w *world.World) {
			w.Organization.Root = "r-a1b2"
			w.Organization.Units[0].Parent = "r-abcd"
		}, `organization.units[0].parent: expected the root (r-a1b2) or one of the units' ids, found "r-abcd"`},
		{"unit is its own parent", func(w *world.World) { w.Organization.Units[0].Parent = "ou-abcd-11111111" },
			"organization.units[0].parent: OU ou-abcd-11111111 is its own ancestor (ou-abcd-11111111 -> ou-abcd-11111111)"},
		{"cycle", func(w *world.World) { w.Organization.Units[1].Parent = "ou-abcd-33333333" },
			"organization.units[1].parent: OU ou-abcd-22222222 is its own ancestor (ou-abcd-22222222 -> ou-abcd-33333333 -> ou-abcd-22222222)"},
		{"cycle reached through a unit outside it", func(w *world.World) {
			w.Organization.Units[0].Parent = "ou-abcd-22222222"
			w.Organization.Units[1].Parent = "ou-abcd-33333333"
		}, "organization.units[1].parent: OU ou-abcd-22222222 is its own ancestor (ou-abcd-22222222 -> ou-abcd-33333333 -> ou-abcd-22222222)"},
		{"six levels", func(w *world.World) { chain(w, 6) },
			"organization.units[5].parent: OU ou-abcd-00000006 would be 6 levels below the root; AWS allows at most 5"},
		{"account parent unknown", func(w *world.World) { w.Accounts[1].Parent = "ou-abcd-99999999" },
			`accounts[1].parent: expected the root (r-abcd) or one of organization.units' ids, found "ou-abcd-99999999"`},
		{"account parent derived root when root is set", func(w *world.World) {
			w.Organization.Root = "r-zzzz"
			for i := range w.Organization.Units {
				if w.Organization.Units[i].Parent == "r-abcd" {
					w.Organization.Units[i].Parent = "r-zzzz"
				}
			}
			w.Accounts[1].Parent = "r-abcd"
		}, `accounts[1].parent: expected the root (r-zzzz) or one of organization.units' ids, found "r-abcd"`},
		{"account parent without an organization", func(w *world.World) { w.Organization = nil },
			`accounts[1].parent: the world has no organization, so an account has no parent; found "ou-abcd-33333333"`},
	}
	data, err := json.Marshal(base())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := world.Parse("w.json", data); err != nil {
		t.Fatalf("the base world must be valid: %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := base()
			tc.mutate(w)
			data, err := json.Marshal(w)
			if err != nil {
				t.Fatal(err)
			}
			_, err = world.Parse("w.json", data)
			if err == nil {
				t.Fatalf("Parse accepted the world; want %q", tc.want)
			}
			if got, want := err.Error(), "w.json: "+tc.want; got != want {
				t.Errorf("error\n got: %s\nwant: %s", got, want)
			}
		})
	}
}

func TestPolicyForms(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        string
	}{
		{"object kept as compact text", "{ \"Version\": \"2012-10-17\",\n \"Statement\": [] }", `{"Version":"2012-10-17","Statement":[]}`, ""},
		{"string kept exactly", `"{ \"Version\" : \"2012-10-17\" }"`, `{ "Version" : "2012-10-17" }`, ""},
		{"null is no policy", `null`, ``, ""},
		{"empty string is no policy", `""`, ``, ""},
		{"number rejected", `42`, ``, "expected a policy document as a JSON object or string"},
		{"array rejected", `[]`, ``, "expected a policy document as a JSON object or string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := `{"schema_version":1,"accounts":[{"id":"111122223333","regions":[],"iam":{}}],"x":0}`
			doc = strings.Replace(doc, `{}}],"x":0}`, `{"roles":[{"name":"r","assume_role_policy":`+tc.in+`}]}}]}`, 1)
			w, err := world.Parse("w.json", []byte(doc))
			if tc.wantErr != "" || tc.want == "" {
				// An absent policy is invalid for a role; other forms are rejected by the decoder.
				if err == nil {
					t.Fatalf("Parse accepted %s", tc.in)
				}
				want := tc.wantErr
				if want == "" {
					want = "assume_role_policy: expected a trust policy"
				}
				if !strings.Contains(err.Error(), want) {
					t.Fatalf("error %q does not say %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := string(w.Accounts[0].IAM.Roles[0].AssumeRolePolicy); got != tc.want {
				t.Errorf("policy = %q, want %q", got, tc.want)
			}
			// Marshalled back, a policy is always a string.
			out, err := json.Marshal(w.Accounts[0].IAM.Roles[0].AssumeRolePolicy)
			if err != nil {
				t.Fatal(err)
			}
			var s string
			if err := json.Unmarshal(out, &s); err != nil || s != tc.want {
				t.Errorf("marshalled policy = %s, want the JSON string of %q", out, tc.want)
			}
		})
	}
}

func TestParseErrorsNameTheLine(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"unknown top-level field", "{\n  \"schema_version\": 1,\n  \"acounts\": []\n}",
			`w.json: line 3, column 3: unknown field "acounts" (expected one of schema_version, organization, accounts, gaps)`},
		{"unknown field deep in a resource", "{\"schema_version\":1,\"accounts\":[{\"id\":\"111122223333\",\"iam\":{},\n\"regions\":[{\"name\":\"us-east-1\",\"resources\":[\n  {\"kind\":\"ebs-snapshot\",\"name\":\"snap-1\",\n   \"share\":[\"all\"]}]}]}]}",
			`w.json: line 4, column 4: unknown field "share" (expected one of kind, name, arn, policy, shares, grants, attributes)`},
		{"policy objects are not checked against the schema", "{\"schema_version\":1,\"accounts\":[{\"id\":\"111122223333\",\"regions\":[],\n\"iam\":{\"roles\":[{\"name\":\"r\",\"assume_role_policy\":{\"Statement\":[],\"Anything\":{\"x\":1}},\n\"descripton\":\"d\"}]}}]}",
			`w.json: line 3, column 1: unknown field "descripton" (expected one of name, path, role_id, assume_role_policy, description)`},
		{"wrong type", "{\"schema_version\":\"1\",\"accounts\":[]}",
			`w.json: line 1, column 22: field "schema_version": expected int, found JSON string`},
		{"syntax error", "{\"schema_version\":1,\n\"accounts\":[}",
			`w.json: line 2, column 13: invalid JSON: invalid character '}' looking for beginning of value`},
		{"trailing data", `{"schema_version":1,"accounts":[{"id":"111122223333","regions":[],"iam":{}}]} {}`,
			"w.json: unexpected data after the world object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := world.Parse("w.json", []byte(tc.doc))
			if err == nil {
				t.Fatal("Parse accepted the document")
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got: %s\nwant: %s", err, tc.want)
			}
		})
	}
}

// The demo world is what `scan --demo` serves and what snapshots look like: writing it out
// and reading it back must give the same world.
func TestDemoWorldRoundTrip(t *testing.T) {
	w := awssim.DemoWorld()
	data, err := json.MarshalIndent(w, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	back, err := world.Parse("demo.json", data)
	if err != nil {
		t.Fatalf("the marshalled demo world does not parse: %v", err)
	}
	if diff := cmp.Diff(w, back); diff != "" {
		t.Errorf("round trip changed the world (-before +after):\n%s", diff)
	}
	if len(w.Accounts) == 0 || len(w.Accounts[0].Regions) == 0 {
		t.Fatal("the demo world is empty; the round trip proves nothing")
	}
}

func TestAccountLookup(t *testing.T) {
	w := base()
	if a := w.Account("444455556666"); a == nil || a != &w.Accounts[1] {
		t.Errorf("Account(444455556666) = %p, want the world's own second account", a)
	}
	if a := w.Account("999988887777"); a != nil {
		t.Errorf("Account of an unknown id = %+v, want nil", a)
	}
}

func TestValidOrganizationTrees(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(w *world.World)
	}{
		{"five levels", func(w *world.World) { chain(w, 5) }},
		{"account under the root by its id", func(w *world.World) { w.Accounts[1].Parent = "r-abcd" }},
		{"management account in an OU", func(w *world.World) { w.Accounts[0].Parent = "ou-abcd-11111111" }},
		{"no tree: accounts under the derived root", func(w *world.World) {
			w.Organization.Root, w.Organization.Units = "", nil
			w.Accounts[1].Parent = "r-abcd"
		}},
		{"units under the derived root", func(w *world.World) { w.Organization.Root = "" }},
		{"units listed before their parents", func(w *world.World) {
			u := w.Organization.Units
			u[0], u[2] = u[2], u[0]
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := base()
			tc.mutate(w)
			data, err := json.Marshal(w)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := world.Parse("w.json", data); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRootID(t *testing.T) {
	tests := []struct {
		org  world.Organization
		want string
	}{
		{world.Organization{ID: "o-a1b2c3d4e5", Root: "r-zz99"}, "r-zz99"},
		{world.Organization{ID: "o-a1b2c3d4e5"}, "r-a1b2"},
		{world.Organization{ID: "o-gen0000000"}, "r-gen0"},
	}
	for _, tc := range tests {
		if got := tc.org.RootID(); got != tc.want {
			t.Errorf("%+v: RootID() = %q, want %q", tc.org, got, tc.want)
		}
	}
}

func TestOrgPath(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(w *world.World)
		account string
		want    string
		ok      bool
	}{
		{"nested OU", nil, "444455556666", "o-abcdefghij/r-abcd/ou-abcd-22222222/ou-abcd-33333333/", true},
		{"under the root", nil, "111122223333", "o-abcdefghij/r-abcd/", true},
		{"under the root by its id", func(w *world.World) { w.Accounts[1].Parent = "r-abcd" }, "444455556666", "o-abcdefghij/r-abcd/", true},
		{"top-level OU", func(w *world.World) { w.Accounts[0].Parent = "ou-abcd-11111111" }, "111122223333", "o-abcdefghij/r-abcd/ou-abcd-11111111/", true},
		{"five levels", func(w *world.World) { chain(w, 5) }, "444455556666",
			"o-abcdefghij/r-abcd/ou-abcd-00000001/ou-abcd-00000002/ou-abcd-00000003/ou-abcd-00000004/ou-abcd-00000005/", true},
		{"no tree: the derived root", func(w *world.World) {
			w.Organization.Root, w.Organization.Units, w.Accounts[1].Parent = "", nil, ""
			w.Organization.ID = "o-a1b2c3d4e5"
		}, "444455556666", "o-a1b2c3d4e5/r-a1b2/", true},
		{"no organization", func(w *world.World) { w.Organization = nil }, "111122223333", "", false},
		{"account not in the world", nil, "999988887777", "", false},
		{"unvalidated cycle", func(w *world.World) { w.Organization.Units[1].Parent = "ou-abcd-33333333" }, "444455556666", "", false},
		{"unvalidated unknown parent", func(w *world.World) { w.Accounts[1].Parent = "ou-abcd-99999999" }, "444455556666", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := base()
			if tc.mutate != nil {
				tc.mutate(w)
			}
			got, ok := w.OrgPath(tc.account)
			if got != tc.want || ok != tc.ok {
				t.Errorf("OrgPath(%s) = %q, %v; want %q, %v", tc.account, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestOUPath(t *testing.T) {
	w := base()
	tests := []struct {
		ou, want string
		ok       bool
	}{
		{"ou-abcd-11111111", "o-abcdefghij/r-abcd/ou-abcd-11111111/", true},
		{"ou-abcd-33333333", "o-abcdefghij/r-abcd/ou-abcd-22222222/ou-abcd-33333333/", true},
		{"ou-abcd-99999999", "", false},
		{"r-abcd", "", false},
	}
	for _, tc := range tests {
		if got, ok := w.OUPath(tc.ou); got != tc.want || ok != tc.ok {
			t.Errorf("OUPath(%s) = %q, %v; want %q, %v", tc.ou, got, ok, tc.want, tc.ok)
		}
	}
	// Every account's path extends its parent OU's path: a scan trusting an OU path trusts
	// exactly the accounts below it.
	for _, a := range w.Accounts {
		path, _ := w.OrgPath(a.ID)
		if a.Parent == "" {
			continue
		}
		if ou, _ := w.OUPath(a.Parent); path != ou {
			t.Errorf("account %s: OrgPath %q, its OU's path %q", a.ID, path, ou)
		}
	}
	w.Organization = nil
	if _, ok := w.OUPath("ou-abcd-11111111"); ok {
		t.Error("OUPath without an organization: want false")
	}
}
