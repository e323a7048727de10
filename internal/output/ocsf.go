package output

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/finding"
)

func init() { Register("ocsf", OCSF) }

// OCSFVersion is the OCSF schema version the events follow.
const OCSFVersion = "1.8.0"

// OCSF Detection Finding identifiers (events/findings/detection_finding.json).
const (
	ocsfCategoryFindings = 2
	ocsfClassDetection   = 2004
	ocsfActivityCreate   = 1
)

// ocsfEvent is a Detection Finding with the attributes trustaudit fills; the test validates
// them against the OCSF 1.8.0 definitions.
type ocsfEvent struct {
	ActivityID   int    `json:"activity_id"`
	ActivityName string `json:"activity_name"`
	CategoryUID  int    `json:"category_uid"`
	CategoryName string `json:"category_name"`
	ClassUID     int    `json:"class_uid"`
	ClassName    string `json:"class_name"`
	TypeUID      int64  `json:"type_uid"`
	TypeName     string `json:"type_name"`
	SeverityID   int    `json:"severity_id"`
	Severity     string `json:"severity"`
	StatusID     int    `json:"status_id"`
	Status       string `json:"status"`
	// Time is the finding's creation: when the scan finished, in milliseconds since the epoch.
	Time         int64            `json:"time"`
	Message      string           `json:"message"`
	IsAlert      bool             `json:"is_alert"`
	ConfidenceID int              `json:"confidence_id"`
	Confidence   string           `json:"confidence"`
	Metadata     ocsfMetadata     `json:"metadata"`
	FindingInfo  ocsfFindingInfo  `json:"finding_info"`
	Resources    []ocsfResource   `json:"resources"`
	Cloud        ocsfCloud        `json:"cloud"`
	Remediation  *ocsfRemediation `json:"remediation,omitempty"`
	Unmapped     map[string]any   `json:"unmapped,omitempty"`
}

type ocsfMetadata struct {
	Version  string      `json:"version"`
	Product  ocsfProduct `json:"product"`
	LogName  string      `json:"log_name"`
	Profiles []string    `json:"profiles"`
}

type ocsfProduct struct {
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
	Version    string `json:"version"`
}

type ocsfFindingInfo struct {
	UID         string       `json:"uid"`
	Title       string       `json:"title"`
	Desc        string       `json:"desc"`
	Types       []string     `json:"types"`
	CreatedTime int64        `json:"created_time"`
	Analytic    ocsfAnalytic `json:"analytic"`
}

type ocsfAnalytic struct {
	UID    string `json:"uid"`
	Name   string `json:"name"`
	TypeID int    `json:"type_id"`
	Type   string `json:"type"`
}

type ocsfResource struct {
	UID            string `json:"uid"`
	Name           string `json:"name"`
	Type           string `json:"type"`
	Region         string `json:"region,omitempty"`
	CloudPartition string `json:"cloud_partition"`
}

type ocsfCloud struct {
	Provider string      `json:"provider"`
	Region   string      `json:"region,omitempty"`
	Account  ocsfAccount `json:"account"`
}

type ocsfAccount struct {
	UID    string `json:"uid"`
	TypeID int    `json:"type_id"`
	Type   string `json:"type"`
}

type ocsfRemediation struct {
	Desc string `json:"desc"`
}

// OCSF writes a JSON array of OCSF 1.8.0 Detection Finding events (class 2004), one per
// finding. Suppressed findings have the status Suppressed, known (baseline) findings the
// status Other ("Known"); neither is an alert. Gaps are not findings and have no event.
func OCSF(w io.Writer, s *finding.Scan, _ Options) error {
	remediation := map[string]string{}
	for _, r := range access.Rules() {
		remediation[r.ID] = r.Remediation
	}
	created := s.FinishedAt.UnixMilli()
	version := s.Tool.Version
	if version == "" {
		version = "unknown"
	}
	events := make([]ocsfEvent, 0, len(s.Findings))
	for _, f := range s.Findings {
		sevID, sevName := ocsfSeverity(f.Severity)
		e := ocsfEvent{
			ActivityID: ocsfActivityCreate, ActivityName: "Create",
			CategoryUID: ocsfCategoryFindings, CategoryName: "Findings",
			ClassUID: ocsfClassDetection, ClassName: "Detection Finding",
			TypeUID: ocsfClassDetection*100 + ocsfActivityCreate, TypeName: "Detection Finding: Create",
			SeverityID: sevID, Severity: sevName,
			StatusID: 1, Status: "New",
			Time:         created,
			Message:      f.Title,
			IsAlert:      true,
			ConfidenceID: 3, Confidence: "High",
			Metadata: ocsfMetadata{
				Version:  OCSFVersion,
				Product:  ocsfProduct{Name: "trustaudit", VendorName: "trustaudit", Version: version},
				LogName:  "trustaudit-scan",
				Profiles: []string{"cloud"},
			},
			FindingInfo: ocsfFindingInfo{
				UID: f.ID, Title: f.Title, Desc: f.Explanation,
				Types:       []string{string(f.Category)},
				CreatedTime: created,
				Analytic:    ocsfAnalytic{UID: f.Rule, Name: f.Title, TypeID: 1, Type: "Rule"},
			},
			Resources: []ocsfResource{{
				UID: f.ResourceARN, Name: resourceName(f.ResourceARN), Type: f.Kind,
				Region: ocsfRegion(f.Region), CloudPartition: arnPartition(f.ResourceARN),
			}},
			Cloud: ocsfCloud{
				Provider: "AWS", Region: ocsfRegion(f.Region),
				Account: ocsfAccount{UID: f.Account, TypeID: 10, Type: "AWS Account"},
			},
			Unmapped: findingProperties(f),
		}
		if r := remediation[f.Rule]; r != "" {
			e.Remediation = &ocsfRemediation{Desc: r}
		}
		switch {
		case f.Suppressed:
			e.StatusID, e.Status, e.IsAlert = 3, "Suppressed", false
		case f.Known:
			e.StatusID, e.Status, e.IsAlert = 99, "Known", false
		}
		events = append(events, e)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(events); err != nil {
		return fmt.Errorf("write ocsf: %w", err)
	}
	return nil
}

func ocsfSeverity(s finding.Severity) (int, string) {
	switch s {
	case finding.SeverityCritical:
		return 5, "Critical"
	case finding.SeverityHigh:
		return 4, "High"
	case finding.SeverityMedium:
		return 3, "Medium"
	case finding.SeverityLow:
		return 2, "Low"
	default:
		return 1, "Informational"
	}
}

// ocsfRegion leaves out the "global" pseudo-region of IAM: OCSF's region is a real one.
func ocsfRegion(r string) string {
	if r == "global" {
		return ""
	}
	return r
}
