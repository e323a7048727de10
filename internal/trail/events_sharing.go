package trail

import (
	"fmt"
	"strings"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/kinds"
)

// The sharing APIs' events (LANDSCAPE.md §3): EC2 ModifySnapshotAttribute
// (createVolumePermission) and ModifyImageAttribute (launchPermission), RDS
// ModifyDBSnapshotAttribute and ModifyDBClusterSnapshotAttribute (the restore attribute).
// One call may add and remove entries; what it added is rebuilt as the policy the scan
// judges for the same shares (kinds.SharePolicy), so a public or foreign share opened by
// the call is reported as the scan would report it. A call that only removes entries
// rebuilds no policy and opens nothing.

// EC2 and RDS record every Describe call: LookupEvents asks for these names only.
func init() {
	register("ec2.amazonaws.com", byName,
		Event{Name: "ModifySnapshotAttribute", Kind: access.KindEBSSnapshot, Rebuild: ec2ShareEvent("snapshotId", "createVolumePermission", "snapshot/", access.KindEBSSnapshot)},
		Event{Name: "ModifyImageAttribute", Kind: access.KindEC2AMI, Rebuild: ec2ShareEvent("imageId", "launchPermission", "image/", access.KindEC2AMI)},
	)
	register("rds.amazonaws.com", byName,
		Event{Name: "ModifyDBSnapshotAttribute", Kind: access.KindRDSSnapshot, Rebuild: rdsShareEvent("dBSnapshotIdentifier", "snapshot", access.KindRDSSnapshot)},
		Event{Name: "ModifyDBClusterSnapshotAttribute", Kind: access.KindRDSClusterSnapshot, Rebuild: rdsShareEvent("dBClusterSnapshotIdentifier", "cluster-snapshot", access.KindRDSClusterSnapshot)},
	)
}

// sharePolicy rebuilds the policy of the entries a call added ("" when it added none).
func sharePolicy(r *Record, kind access.Kind, arn string, added []string) (*Change, error) {
	doc, err := kinds.SharePolicy(string(kind), partition(r.AWSRegion), arn, added)
	if err != nil {
		return nil, err
	}
	return &Change{ResourceARN: arn, Policy: doc, Region: r.AWSRegion}, nil
}

// ec2ShareEvent rebuilds ModifySnapshotAttribute and ModifyImageAttribute, whose
// requestParameters CloudTrail logs as
//
//	{"snapshotId": "snap-1", "createVolumePermission": {"add": {"items": [{"group": "all"}, {"userId": "444455556666"}]}}}
//
// (launchPermission items may also name organizationArn or organizationalUnitArn).
func ec2ShareEvent(idKey, attrKey, arnType string, kind access.Kind) func(*Record, params) (*Change, error) {
	return func(r *Record, p params) (*Change, error) {
		id, err := p.required(idKey)
		if err != nil {
			return nil, err
		}
		arn := fmt.Sprintf("arn:%s:ec2:%s::%s%s", partition(r.AWSRegion), r.AWSRegion, arnType, id)
		var added []string
		if attr, ok := p[attrKey].(map[string]any); ok {
			if a, ok := attr["add"].(map[string]any); ok {
				items, ok := a["items"].([]any)
				if !ok && a["items"] != nil {
					return nil, fmt.Errorf("requestParameters.%s.add.items: expected a list", attrKey)
				}
				for i, it := range items {
					m, ok := it.(map[string]any)
					if !ok {
						return nil, fmt.Errorf("requestParameters.%s.add.items[%d]: expected an object", attrKey, i)
					}
					v, err := shareItem(m)
					if err != nil {
						return nil, fmt.Errorf("requestParameters.%s.add.items[%d]: %w", attrKey, i, err)
					}
					added = append(added, v)
				}
			}
		}
		return sharePolicy(r, kind, arn, added)
	}
}

// shareItem reads one launch or create-volume permission.
func shareItem(m map[string]any) (string, error) {
	for _, k := range []string{"group", "userId", "organizationArn", "organizationalUnitArn"} {
		switch v := m[k].(type) {
		case nil:
		case string:
			if k == "group" && v != "all" {
				return "", fmt.Errorf("group %q: expected \"all\"", v)
			}
			return v, nil
		default:
			return "", fmt.Errorf("%s: expected a string", k)
		}
	}
	return "", fmt.Errorf("expected group, userId, organizationArn or organizationalUnitArn")
}

// rdsShareEvent rebuilds ModifyDBSnapshotAttribute and ModifyDBClusterSnapshotAttribute:
//
//	{"dBSnapshotIdentifier": "db-1", "attributeName": "restore", "valuesToAdd": ["all"]}
//
// Only the restore attribute shares a snapshot; other attributes open nothing.
func rdsShareEvent(idKey, arnType string, kind access.Kind) func(*Record, params) (*Change, error) {
	return func(r *Record, p params) (*Change, error) {
		id, err := p.str(idKey)
		if err != nil {
			return nil, err
		}
		if id == "" { // CloudTrail's casing of the DB prefix has varied
			if id, err = p.required(strings.Replace(idKey, "dB", "db", 1)); err != nil {
				return nil, fmt.Errorf("requestParameters.%s: missing", idKey)
			}
		}
		arn := id
		if !strings.HasPrefix(id, "arn:") {
			arn = fmt.Sprintf("arn:%s:rds:%s:%s:%s:%s", partition(r.AWSRegion), r.AWSRegion, r.Account(), arnType, id)
		}
		name, err := p.str("attributeName")
		if err != nil {
			return nil, err
		}
		var added []string
		if strings.EqualFold(name, "restore") {
			switch v := p["valuesToAdd"].(type) {
			case nil:
			case []any:
				for i, x := range v {
					s, ok := x.(string)
					if !ok {
						return nil, fmt.Errorf("requestParameters.valuesToAdd[%d]: expected a string", i)
					}
					added = append(added, s)
				}
			case string:
				added = []string{v}
			default:
				return nil, fmt.Errorf("requestParameters.valuesToAdd: expected a list of strings")
			}
		}
		return sharePolicy(r, kind, arn, added)
	}
}
