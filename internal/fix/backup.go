package fix

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/kinds"
	"github.com/trustaudit/trustaudit/internal/policy"
)

// BackupVersion is the version of the backup file format; a reader refuses others.
const BackupVersion = 1

// Backup is what a fix changed on one resource, written before the change: with it,
// restore puts the original back. It holds policies and names, never credentials.
type Backup struct {
	Version     int          `json:"backup_version"`
	Tool        finding.Tool `json:"tool"`
	Time        time.Time    `json:"time"`
	Account     string       `json:"account"`
	Region      string       `json:"region"`
	Kind        string       `json:"kind"`
	ResourceARN string       `json:"resource_arn"`
	PolicyName  string       `json:"policy_name,omitempty"`
	Action      Action       `json:"action"`
	// Original is the policy exactly as read just before the change.
	Original string `json:"original"`
	// Planned is the policy the change was to leave ("" when none).
	Planned string `json:"planned"`
	// StatementIDs and RemovedStatements are the statements removed one by one (Lambda),
	// as they were written in Original.
	StatementIDs      []string          `json:"statement_ids,omitempty"`
	RemovedStatements []json.RawMessage `json:"removed_statements,omitempty"`
	Findings          []string          `json:"findings"`
}

func (b *Backup) ref() kinds.PolicyRef {
	return kinds.PolicyRef{Account: b.Account, Region: b.Region, ResourceARN: b.ResourceARN, PolicyName: b.PolicyName}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// backupName is a file name that is stable for a resource and safe on every filesystem:
// the readable part of the ARN with anything but letters, digits, dot, dash and underscore
// replaced, bounded in length, and a hash of the full ARN and policy name so that two
// resources whose names differ only in replaced characters never collide.
func backupName(b *Backup) string {
	res := b.ResourceARN
	if a, err := policy.ParseARN(res); err == nil {
		res = a.Resource
	}
	parts := []string{b.Kind, b.Account, b.Region, res}
	if b.PolicyName != "" {
		parts = append(parts, b.PolicyName)
	}
	name := unsafeName.ReplaceAllString(strings.Join(parts, "_"), "_")
	name = strings.Trim(name, "._")
	if len(name) > 120 {
		name = name[:120]
	}
	sum := sha256.Sum256([]byte(b.ResourceARN + "\x00" + b.PolicyName))
	return name + "_" + hex.EncodeToString(sum[:4]) + ".json"
}

// writeBackup writes b into dir and makes it durable (file and directory fsynced) before
// returning, so that the write it protects can never be on AWS while its backup is not on
// disk. An existing file is never overwritten.
func writeBackup(dir string, b *Backup) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create the backup directory: %w", err)
	}
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode the backup: %w", err)
	}
	data = append(data, '\n')
	base := strings.TrimSuffix(backupName(b), ".json")
	var f *os.File
	var path string
	for n := 1; ; n++ {
		path = filepath.Join(dir, base+".json")
		if n > 1 {
			path = filepath.Join(dir, fmt.Sprintf("%s.%d.json", base, n))
		}
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrExist) || n > 1000 {
			return "", fmt.Errorf("create backup %s: %w", path, err)
		}
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return "", fmt.Errorf("write backup %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", fmt.Errorf("sync backup %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("close backup %s: %w", path, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return "", fmt.Errorf("sync backup directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return "", fmt.Errorf("sync backup directory %s: %w", dir, err)
	}
	return path, nil
}

// LoadBackup reads and checks one backup file. Every error names the file and the field.
func LoadBackup(path string) (*Backup, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read backup: %w", err)
	}
	return ParseBackup(path, data)
}

// ParseBackup reads a backup from data; name is the file it came from, for errors.
func ParseBackup(name string, data []byte) (*Backup, error) {
	var b Backup
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("%s: field %q: expected %s, found a JSON %s", name, te.Field, te.Type, te.Value)
		}
		return nil, fmt.Errorf("%s: not a trustaudit backup file: %w", name, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s: unexpected data after the backup object", name)
	}
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%s: field %q: "+format, append([]any{name, field}, args...)...)
	}
	if b.Version != BackupVersion {
		return nil, bad("backup_version", "expected %d, found %d", BackupVersion, b.Version)
	}
	if len(b.Account) != 12 || strings.Trim(b.Account, "0123456789") != "" {
		return nil, bad("account", "expected a 12-digit account id, found %q", b.Account)
	}
	if b.Region == "" {
		return nil, bad("region", "expected a region (or %q for IAM)", kinds.GlobalRegion)
	}
	k, err := kinds.Get(b.Kind)
	if err != nil {
		return nil, bad("kind", "%v", err)
	}
	a, err := policy.ParseARN(b.ResourceARN)
	if err != nil {
		return nil, bad("resource_arn", "%v", err)
	}
	// S3 bucket ARNs carry no account (the writes name the expected bucket owner instead),
	// nor do EBS snapshot and AMI ARNs (EC2 only changes the caller's own).
	accountless := a.Service == "s3" || a.Service == "ec2" && (strings.HasPrefix(a.Resource, "snapshot/") || strings.HasPrefix(a.Resource, "image/"))
	if a.Account != b.Account && (a.Account != "" || !accountless) {
		return nil, bad("resource_arn", "%s is not in account %s", b.ResourceARN, b.Account)
	}
	if strings.TrimSpace(b.Original) == "" {
		return nil, bad("original", "expected the policy as it was before the fix")
	}
	if _, err := Normalize(b.Original); err != nil {
		return nil, bad("original", "%v", err)
	}
	if _, err := Normalize(b.Planned); err != nil {
		return nil, bad("planned", "%v", err)
	}
	switch k.(type) {
	case kinds.DocumentRemediator:
		if b.Action != ActionRewrite && b.Action != ActionDelete {
			return nil, bad("action", "expected %q or %q for %s, found %q", ActionRewrite, ActionDelete, b.Kind, b.Action)
		}
		if b.Kind == "ses-identity" && b.PolicyName == "" {
			return nil, bad("policy_name", "an SES identity policy needs its name")
		}
	case kinds.StatementRemediator:
		if b.Action != ActionRemoveStatements {
			return nil, bad("action", "expected %q for %s, found %q", ActionRemoveStatements, b.Kind, b.Action)
		}
		if len(b.RemovedStatements) == 0 || len(b.RemovedStatements) != len(b.StatementIDs) {
			return nil, bad("removed_statements", "expected one statement per statement id (%d ids, %d statements)", len(b.StatementIDs), len(b.RemovedStatements))
		}
		for i, st := range b.RemovedStatements {
			got, err := statementsByID(`{"Statement":[`+string(st)+`]}`, b.StatementIDs[i:i+1])
			if err != nil || len(got) != 1 {
				return nil, bad("removed_statements", "entry %d is not the statement with Sid %q", i, b.StatementIDs[i])
			}
		}
	default:
		return nil, bad("kind", "%s has no remediation", b.Kind)
	}
	return &b, nil
}

// BackupFiles lists the backup files (*.json) of a directory in name order.
func BackupFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read backup directory: %w", err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no backup files (*.json)", dir)
	}
	return out, nil
}
