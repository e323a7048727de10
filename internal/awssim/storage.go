package awssim

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trustaudit/trustaudit/internal/world"
)

// EFS, Glacier, Backup, OpenSearch (and legacy Elasticsearch domains, which the OpenSearch
// API serves too), ACM Private CA and API Gateway: the list and policy calls the storage
// kinds read and the writes remediation makes. Their resources are world resources of kinds
// efs-filesystem (Name: the file system id), glacier-vault, backup-vault, opensearch-domain
// (Attributes.EngineVersion), acm-pca (Name: the CA id) and apigateway-rest-api (Name: the
// API id, Attributes.name).

func init() {
	handleREST("elasticfilesystem", "GET", "/2015-02-01/file-systems", "DescribeFileSystems", efsDescribeFileSystems)
	handleREST("elasticfilesystem", "GET", "/2015-02-01/file-systems/{FileSystemId}/policy", "DescribeFileSystemPolicy", efsPolicy)
	handleREST("elasticfilesystem", "PUT", "/2015-02-01/file-systems/{FileSystemId}/policy", "PutFileSystemPolicy", efsPolicy)
	handleREST("elasticfilesystem", "DELETE", "/2015-02-01/file-systems/{FileSystemId}/policy", "DeleteFileSystemPolicy", efsPolicy)

	handleREST("glacier", "GET", "/{accountId}/vaults", "ListVaults", glacierListVaults)
	handleREST("glacier", "GET", "/{accountId}/vaults/{vaultName}/access-policy", "GetVaultAccessPolicy", glacierPolicy)
	handleREST("glacier", "PUT", "/{accountId}/vaults/{vaultName}/access-policy", "SetVaultAccessPolicy", glacierPolicy)
	handleREST("glacier", "DELETE", "/{accountId}/vaults/{vaultName}/access-policy", "DeleteVaultAccessPolicy", glacierPolicy)

	handleREST("backup", "GET", "/backup-vaults", "ListBackupVaults", backupListVaults)
	handleREST("backup", "GET", "/backup-vaults/{BackupVaultName}/access-policy", "GetBackupVaultAccessPolicy", backupPolicy)
	handleREST("backup", "PUT", "/backup-vaults/{BackupVaultName}/access-policy", "PutBackupVaultAccessPolicy", backupPolicy)
	handleREST("backup", "DELETE", "/backup-vaults/{BackupVaultName}/access-policy", "DeleteBackupVaultAccessPolicy", backupPolicy)

	handleREST("es", "GET", "/2021-01-01/domain", "ListDomainNames", osListDomainNames)
	handleREST("es", "POST", "/2021-01-01/opensearch/domain-info", "DescribeDomains", osDescribeDomains)
	handleREST("es", "GET", "/2021-01-01/opensearch/domain/{DomainName}", "DescribeDomain", osDescribeDomain)
	handleREST("es", "POST", "/2021-01-01/opensearch/domain/{DomainName}/config", "UpdateDomainConfig", osUpdateDomainConfig)

	handleJSON("acm-pca", "ACMPrivateCA.ListCertificateAuthorities", pcaList)
	handleJSON("acm-pca", "ACMPrivateCA.GetPolicy", pcaPolicy)
	handleJSON("acm-pca", "ACMPrivateCA.PutPolicy", pcaPolicy)
	handleJSON("acm-pca", "ACMPrivateCA.DeletePolicy", pcaPolicy)

	handleREST("apigateway", "GET", "/restapis", "GetRestApis", apigwGetRestApis)
}

// storageResources returns the caller's region's resources of a kind, sorted by name.
func storageResources(s *Server, c *Call, kind string) ([]*world.Resource, error) {
	reg, e := s.region(c)
	if e != nil {
		return nil, e
	}
	var out []*world.Resource
	for i := range reg.Resources {
		if reg.Resources[i].Kind == kind {
			out = append(out, &reg.Resources[i])
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func storageFind(s *Server, c *Call, kind, name string) (*world.Resource, error) {
	rs, err := storageResources(s, c, kind)
	if err != nil {
		return nil, err
	}
	for _, x := range rs {
		if x.Name == name || x.ARN == name {
			return x, nil
		}
	}
	return nil, nil
}

// storageMust is storageFind for a resource the call needs: missing is the error when there
// is none.
func storageMust(s *Server, c *Call, kind, name string, missing *APIError) (*world.Resource, error) {
	x, err := storageFind(s, c, kind, name)
	if err != nil {
		return nil, err
	}
	if x == nil {
		return nil, missing
	}
	return x, nil
}

// storagePage cuts a page after the item named by an opaque token (the base64 of the last
// name listed); bad is true for a token the simulator did not issue.
func storagePage(rs []*world.Resource, token string, max int) (page []*world.Resource, next string, bad bool) {
	if token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			return nil, "", true
		}
		i := sort.Search(len(rs), func(i int) bool { return rs[i].Name > string(raw) })
		rs = rs[i:]
	}
	if max > 0 && len(rs) > max {
		return rs[:max], base64.RawURLEncoding.EncodeToString([]byte(rs[max-1].Name)), false
	}
	return rs, "", false
}

// pageSize reads a page size parameter: def when absent, an error outside [1, max].
func pageSize(v string, def, max int, name string) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, &APIError{Status: 400, Code: "InvalidParameterValueException", Message: fmt.Sprintf("%s must be between 1 and %d", name, max), Sender: true}
	}
	return n, nil
}

func storageBadToken() error {
	return &APIError{Status: 400, Code: "InvalidParameterValueException", Message: "The pagination token is not valid.", Sender: true}
}

// policyBody reads {"Policy": "..."} and checks it is a JSON object.
func policyBody(c *Call, code string) (string, error) {
	var in struct{ Policy string }
	if e := jsonUnmarshal(c.Body, &in); e != nil {
		return "", e
	}
	if !jsonObject([]byte(in.Policy)) {
		return "", &APIError{Status: 400, Code: code, Message: "The policy is not a valid JSON policy document.", Sender: true}
	}
	return in.Policy, nil
}

// --- EFS ---

func efsDescribeFileSystems(s *Server, c *Call) (int, any, error) {
	rs, err := storageResources(s, c, "efs-filesystem")
	if err != nil {
		return 0, nil, err
	}
	max, err := pageSize(c.Params.Get("MaxItems"), 100, 100, "MaxItems")
	if err != nil {
		return 0, nil, err
	}
	if id := c.Params.Get("FileSystemId"); id != "" {
		rs = filterName(rs, id)
		if len(rs) == 0 {
			return 0, nil, &APIError{Status: 404, Code: "FileSystemNotFound", Message: "File system '" + id + "' does not exist.", Sender: true}
		}
	}
	page, next, bad := storagePage(rs, c.Params.Get("Marker"), max)
	if bad {
		return 0, nil, &APIError{Status: 400, Code: "BadRequest", Message: "Invalid Marker", Sender: true}
	}
	type fs struct {
		FileSystemID         string `json:"FileSystemId"`
		FileSystemArn        string
		Name                 string `json:",omitempty"`
		OwnerID              string `json:"OwnerId"`
		CreationToken        string
		CreationTime         float64
		LifeCycleState       string
		NumberOfMountTargets int
		PerformanceMode      string
		SizeInBytes          map[string]int64
		Tags                 []any
	}
	out := struct {
		FileSystems []fs
		Marker      string `json:",omitempty"`
		NextMarker  string `json:",omitempty"`
	}{FileSystems: []fs{}, Marker: c.Params.Get("Marker"), NextMarker: next}
	for _, x := range page {
		out.FileSystems = append(out.FileSystems, fs{
			FileSystemID: x.Name, FileSystemArn: resourceARN(c, x, "arn:%s:elasticfilesystem:%s:%s:file-system/%s"), Name: x.Attributes["Name"],
			OwnerID: c.Account, CreationToken: x.Name, CreationTime: 1704067200, LifeCycleState: "available",
			PerformanceMode: "generalPurpose", SizeInBytes: map[string]int64{"Value": 6144}, Tags: []any{},
		})
	}
	return http.StatusOK, out, nil
}

func filterName(rs []*world.Resource, name string) []*world.Resource {
	for _, x := range rs {
		if x.Name == name || x.ARN == name {
			return []*world.Resource{x}
		}
	}
	return nil
}

func efsPolicy(s *Server, c *Call) (int, any, error) {
	id := c.PathParams["FileSystemId"]
	x, err := storageMust(s, c, "efs-filesystem", id, &APIError{Status: 404, Code: "FileSystemNotFound", Message: "File system '" + id + "' does not exist.", Sender: true})
	if err != nil {
		return 0, nil, err
	}
	switch c.Operation {
	case "PutFileSystemPolicy":
		p, err := policyBody(c, "InvalidPolicyException")
		if err != nil {
			return 0, nil, err
		}
		x.Policy = world.Policy(p)
	case "DeleteFileSystemPolicy":
		x.Policy = ""
		return http.StatusOK, nil, nil
	}
	if x.Policy == "" {
		return 0, nil, &APIError{Status: 404, Code: "PolicyNotFound", Message: "File system policy for '" + x.Name + "' does not exist.", Sender: true}
	}
	return http.StatusOK, map[string]string{"FileSystemId": x.Name, "Policy": string(x.Policy)}, nil
}

// --- Glacier ---

// glacierAccount checks the account in the path: "-" is the caller's.
func glacierAccount(c *Call) error {
	if a := c.PathParams["accountId"]; a != "-" && a != c.Account {
		return &APIError{Status: 403, Code: "AccessDeniedException", Message: "Access denied to account " + a, Sender: true}
	}
	return nil
}

func glacierListVaults(s *Server, c *Call) (int, any, error) {
	if err := glacierAccount(c); err != nil {
		return 0, nil, err
	}
	rs, err := storageResources(s, c, "glacier-vault")
	if err != nil {
		return 0, nil, err
	}
	max, err := pageSize(c.Params.Get("limit"), 10, 10, "limit")
	if err != nil {
		return 0, nil, err
	}
	page, next, bad := storagePage(rs, c.Params.Get("marker"), max)
	if bad {
		return 0, nil, storageBadToken()
	}
	type vault struct {
		VaultARN, VaultName, CreationDate string
		NumberOfArchives, SizeInBytes     int64
	}
	out := struct {
		VaultList []vault
		Marker    *string
	}{VaultList: []vault{}}
	if next != "" {
		out.Marker = &next
	}
	for _, x := range page {
		out.VaultList = append(out.VaultList, vault{VaultARN: resourceARN(c, x, "arn:%s:glacier:%s:%s:vaults/%s"), VaultName: x.Name, CreationDate: "2024-01-01T00:00:00.000Z"})
	}
	return http.StatusOK, out, nil
}

func glacierPolicy(s *Server, c *Call) (int, any, error) {
	if err := glacierAccount(c); err != nil {
		return 0, nil, err
	}
	name := c.PathParams["vaultName"]
	x, err := storageMust(s, c, "glacier-vault", name, &APIError{Status: 404, Code: "ResourceNotFoundException", Message: "Vault not found for ARN: " + name, Sender: true, Extra: map[string]any{"code": "ResourceNotFoundException", "type": "Client"}})
	if err != nil {
		return 0, nil, err
	}
	switch c.Operation {
	case "SetVaultAccessPolicy":
		p, err := policyBody(c, "InvalidParameterValueException")
		if err != nil {
			return 0, nil, err
		}
		x.Policy = world.Policy(p)
		return http.StatusNoContent, nil, nil
	case "DeleteVaultAccessPolicy":
		x.Policy = ""
		return http.StatusNoContent, nil, nil
	}
	if x.Policy == "" {
		return 0, nil, &APIError{Status: 404, Code: "ResourceNotFoundException", Message: "No vault access policy is set for: " + name, Sender: true, Extra: map[string]any{"code": "ResourceNotFoundException", "type": "Client"}}
	}
	return http.StatusOK, map[string]string{"Policy": string(x.Policy)}, nil
}

// --- Backup ---

func backupListVaults(s *Server, c *Call) (int, any, error) {
	rs, err := storageResources(s, c, "backup-vault")
	if err != nil {
		return 0, nil, err
	}
	max, err := pageSize(c.Params.Get("maxResults"), 1000, 1000, "maxResults")
	if err != nil {
		return 0, nil, err
	}
	page, next, bad := storagePage(rs, c.Params.Get("nextToken"), max)
	if bad {
		return 0, nil, storageBadToken()
	}
	type vault struct {
		BackupVaultName, BackupVaultArn, VaultType, VaultState string
		CreationDate                                           float64
		NumberOfRecoveryPoints                                 int64
	}
	out := struct {
		BackupVaultList []vault
		NextToken       string `json:",omitempty"`
	}{BackupVaultList: []vault{}, NextToken: next}
	for _, x := range page {
		out.BackupVaultList = append(out.BackupVaultList, vault{BackupVaultName: x.Name, BackupVaultArn: resourceARN(c, x, "arn:%s:backup:%s:%s:backup-vault:%s"), VaultType: "BACKUP_VAULT", VaultState: "AVAILABLE", CreationDate: 1704067200})
	}
	return http.StatusOK, out, nil
}

func backupPolicy(s *Server, c *Call) (int, any, error) {
	name := c.PathParams["BackupVaultName"]
	x, err := storageMust(s, c, "backup-vault", name, &APIError{Status: 400, Code: "ResourceNotFoundException", Message: "Backup vault " + name + " does not exist", Sender: true})
	if err != nil {
		return 0, nil, err
	}
	switch c.Operation {
	case "PutBackupVaultAccessPolicy":
		p, err := policyBody(c, "InvalidParameterValueException")
		if err != nil {
			return 0, nil, err
		}
		x.Policy = world.Policy(p)
		return http.StatusOK, nil, nil
	case "DeleteBackupVaultAccessPolicy":
		x.Policy = ""
		return http.StatusOK, nil, nil
	}
	if x.Policy == "" {
		return 0, nil, &APIError{Status: 400, Code: "ResourceNotFoundException", Message: "Backup vault " + name + " has no access policy", Sender: true}
	}
	return http.StatusOK, map[string]string{"BackupVaultName": x.Name, "BackupVaultArn": resourceARN(c, x, "arn:%s:backup:%s:%s:backup-vault:%s"), "Policy": string(x.Policy)}, nil
}

// --- OpenSearch ---

func osEngine(x *world.Resource) string {
	if v := x.Attributes["EngineVersion"]; v != "" {
		return v
	}
	return "OpenSearch_2.11"
}

func osListDomainNames(s *Server, c *Call) (int, any, error) {
	rs, err := storageResources(s, c, "opensearch-domain")
	if err != nil {
		return 0, nil, err
	}
	type name struct{ DomainName, EngineType string }
	out := struct{ DomainNames []name }{DomainNames: []name{}}
	want := c.Params.Get("engineType")
	for _, x := range rs {
		typ := "OpenSearch"
		if strings.HasPrefix(osEngine(x), "Elasticsearch") {
			typ = "Elasticsearch"
		}
		if want == "" || want == typ {
			out.DomainNames = append(out.DomainNames, name{x.Name, typ})
		}
	}
	return http.StatusOK, out, nil
}

func osStatus(c *Call, x *world.Resource) map[string]any {
	arn := resourceARN(c, x, "arn:%s:es:%s:%s:domain/%s")
	return map[string]any{
		"DomainId": c.Account + "/" + x.Name, "DomainName": x.Name, "ARN": arn, "Created": true, "Deleted": false,
		"Processing": false, "EngineVersion": osEngine(x), "AccessPolicies": string(x.Policy),
		"Endpoint":      "search-" + x.Name + "." + c.Region + ".es.amazonaws.com",
		"ClusterConfig": map[string]any{"InstanceType": "t3.small.search", "InstanceCount": 1},
	}
}

func osDescribeDomains(s *Server, c *Call) (int, any, error) {
	var in struct{ DomainNames []string }
	if e := jsonUnmarshal(c.Body, &in); e != nil {
		return 0, nil, e
	}
	if len(in.DomainNames) == 0 || len(in.DomainNames) > 5 {
		return 0, nil, &APIError{Status: 400, Code: "ValidationException", Message: "DomainNames must name 1 to 5 domains", Sender: true}
	}
	out := struct{ DomainStatusList []map[string]any }{DomainStatusList: []map[string]any{}}
	for _, n := range in.DomainNames {
		x, err := storageFind(s, c, "opensearch-domain", n)
		if err != nil {
			return 0, nil, err
		}
		if x != nil { // an unknown name is left out, as OpenSearch does
			out.DomainStatusList = append(out.DomainStatusList, osStatus(c, x))
		}
	}
	return http.StatusOK, out, nil
}

func osDomain(s *Server, c *Call) (*world.Resource, error) {
	n := c.PathParams["DomainName"]
	x, err := storageMust(s, c, "opensearch-domain", n, &APIError{Status: 409, Code: "ResourceNotFoundException", Message: "Domain not found: " + n, Sender: true})
	if err != nil {
		return nil, err
	}
	return x, nil
}

func osDescribeDomain(s *Server, c *Call) (int, any, error) {
	x, err := osDomain(s, c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"DomainStatus": osStatus(c, x)}, nil
}

func osUpdateDomainConfig(s *Server, c *Call) (int, any, error) {
	x, err := osDomain(s, c)
	if err != nil {
		return 0, nil, err
	}
	var in struct{ AccessPolicies *string }
	if e := jsonUnmarshal(c.Body, &in); e != nil {
		return 0, nil, e
	}
	if in.AccessPolicies != nil {
		if *in.AccessPolicies != "" && !jsonObject([]byte(*in.AccessPolicies)) {
			return 0, nil, &APIError{Status: 400, Code: "ValidationException", Message: "AccessPolicies is not a valid policy document", Sender: true}
		}
		x.Policy = world.Policy(*in.AccessPolicies)
	}
	now := float64(time.Now().Unix())
	return http.StatusOK, map[string]any{"DomainConfig": map[string]any{"AccessPolicies": map[string]any{
		"Options": string(x.Policy), "Status": map[string]any{"CreationDate": now, "UpdateDate": now, "State": "Active"},
	}}}, nil
}

// --- ACM Private CA ---

func pcaARN(c *Call, x *world.Resource) string {
	return resourceARN(c, x, "arn:%s:acm-pca:%s:%s:certificate-authority/%s")
}

func pcaList(s *Server, c *Call) (any, error) {
	var in struct {
		MaxResults int
		NextToken  string
	}
	if e := jsonUnmarshal(c.Body, &in); e != nil {
		return nil, e
	}
	if in.MaxResults == 0 {
		in.MaxResults = 1000
	}
	if in.MaxResults < 1 || in.MaxResults > 1000 {
		return nil, &APIError{Status: 400, Code: "InvalidArgsException", Message: "MaxResults must be between 1 and 1000", Sender: true}
	}
	rs, err := storageResources(s, c, "acm-pca")
	if err != nil {
		return nil, err
	}
	page, next, bad := storagePage(rs, in.NextToken, in.MaxResults)
	if bad {
		return nil, &APIError{Status: 400, Code: "InvalidNextTokenException", Message: "The token specified in the NextToken argument is not valid.", Sender: true}
	}
	type ca struct {
		Arn, OwnerAccount, Status, Type string
		CreatedAt                       float64
	}
	out := struct {
		CertificateAuthorities []ca
		NextToken              string `json:",omitempty"`
	}{CertificateAuthorities: []ca{}, NextToken: next}
	for _, x := range page {
		out.CertificateAuthorities = append(out.CertificateAuthorities, ca{Arn: pcaARN(c, x), OwnerAccount: c.Account, Status: "ACTIVE", Type: "SUBORDINATE", CreatedAt: 1704067200})
	}
	return out, nil
}

func pcaPolicy(s *Server, c *Call) (any, error) {
	var in struct{ ResourceArn, Policy string }
	if e := jsonUnmarshal(c.Body, &in); e != nil {
		return nil, e
	}
	rs, err := storageResources(s, c, "acm-pca")
	if err != nil {
		return nil, err
	}
	var x *world.Resource
	for _, r := range rs {
		if pcaARN(c, r) == in.ResourceArn {
			x = r
		}
	}
	if x == nil {
		return nil, &APIError{Status: 400, Code: "ResourceNotFoundException", Message: "Could not find resource " + in.ResourceArn, Sender: true}
	}
	switch c.Operation {
	case "PutPolicy":
		if !jsonObject([]byte(in.Policy)) {
			return nil, &APIError{Status: 400, Code: "InvalidPolicyException", Message: "The resource policy is invalid.", Sender: true}
		}
		x.Policy = world.Policy(in.Policy)
		return nil, nil
	case "DeletePolicy":
		if x.Policy == "" {
			return nil, &APIError{Status: 400, Code: "ResourceNotFoundException", Message: "No policy is attached to " + in.ResourceArn, Sender: true}
		}
		x.Policy = ""
		return nil, nil
	}
	if x.Policy == "" {
		return nil, &APIError{Status: 400, Code: "ResourceNotFoundException", Message: "No policy is attached to " + in.ResourceArn, Sender: true}
	}
	return map[string]string{"Policy": string(x.Policy)}, nil
}

// --- API Gateway ---

// apigwEscape writes a policy as API Gateway returns it: every double quote escaped with a
// backslash inside the JSON string (so the decoded string holds \" where the policy has ").
func apigwEscape(doc string) string { return strings.ReplaceAll(doc, `"`, `\"`) }

func apigwGetRestApis(s *Server, c *Call) (int, any, error) {
	rs, err := storageResources(s, c, "apigateway-rest-api")
	if err != nil {
		return 0, nil, err
	}
	max, err := pageSize(c.Params.Get("limit"), 25, 500, "limit")
	if err != nil {
		return 0, nil, err
	}
	page, next, bad := storagePage(rs, c.Params.Get("position"), max)
	if bad {
		return 0, nil, &APIError{Status: 400, Code: "BadRequestException", Message: "Invalid position parameter", Sender: true}
	}
	items := []map[string]any{}
	for _, x := range page {
		it := map[string]any{"id": x.Name, "name": x.Attributes["name"], "createdDate": 1704067200,
			"endpointConfiguration": map[string]any{"types": []string{"REGIONAL"}}, "apiKeySource": "HEADER"}
		if x.Policy != "" {
			it["policy"] = apigwEscape(string(x.Policy))
		}
		items = append(items, it)
	}
	out := map[string]any{"item": items}
	if next != "" {
		out["position"] = next
	}
	return http.StatusOK, out, nil
}
