package output

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/trustaudit/trustaudit/internal/finding"
)

func init() { Register("csv", CSV) }

// csvHeader is the column order; it is part of the format's contract (spreadsheets and
// scripts address columns by name or position), so columns are only ever appended.
//
// The first column, record, says what a row is: "finding" rows fill the finding columns;
// "gap" rows (something the scan could not read) fill account, region, kind, resource_arn
// (the resource, if one), operation and error, so that an incomplete scan is never mistaken
// for a clean one by someone reading only the spreadsheet.
var csvHeader = []string{
	"record", "id", "status", "severity", "rule", "title", "category", "kind", "account", "region",
	"resource_arn", "policy_name", "statement_id", "statement_index", "principal", "accounts", "orgs",
	"services", "actions", "conditions", "explanation", "suppressed_by", "operation", "error",
}

// CSV writes one row per finding, every finding whatever Options say (the status column tells
// open, known and suppressed apart), then one row per gap. Lists inside a cell are joined
// with a space.
func CSV(w io.Writer, s *finding.Scan, _ Options) error {
	cw := csv.NewWriter(w)
	// Write errors stick in the csv.Writer and are reported by Error after Flush.
	writeRow := func(row []string) {
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		_ = cw.Write(row)
	}
	_ = cw.Write(csvHeader)
	for _, f := range s.Findings {
		writeRow([]string{
			"finding", f.ID, status(f), f.Severity.String(), f.Rule, f.Title, string(f.Category), f.Kind, f.Account, f.Region,
			f.ResourceARN, f.PolicyName, f.StatementID, strconv.Itoa(f.StatementIndex), f.Principal,
			strings.Join(f.Accounts, " "), strings.Join(f.Orgs, " "), strings.Join(f.Services, " "),
			strings.Join(f.Actions, " "), strings.Join(f.Conditions, " "), f.Explanation, f.SuppressedBy, "", "",
		})
	}
	for _, g := range s.Gaps {
		row := make([]string, len(csvHeader))
		row[0], row[7], row[8], row[9], row[10], row[22], row[23] = "gap", g.Kind, g.Account, g.Region, g.Resource, g.Operation, g.Error
		writeRow(row)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// status is a finding's state for a reader deciding what to act on: open (fails the run),
// known (in the baseline) or suppressed (by the config file).
func status(f finding.Finding) string {
	switch {
	case f.Suppressed:
		return "suppressed"
	case f.Known:
		return "known"
	default:
		return "open"
	}
}

// csvSafe keeps a cell from being read as a formula by a spreadsheet: much of the text comes
// from policies (a Sid, a policy name, a principal) that whoever wrote the policy controls.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
