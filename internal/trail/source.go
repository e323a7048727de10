package trail

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Window bounds the events read: Since inclusive, Until exclusive; a zero value is an open end.
type Window struct {
	Since, Until time.Time
}

// Contains reports whether t falls inside the window.
func (w Window) Contains(t time.Time) bool {
	if !w.Since.IsZero() && t.Before(w.Since) {
		return false
	}
	if !w.Until.IsZero() && !t.Before(w.Until) {
		return false
	}
	return true
}

// deliverySlack is how long after an event CloudTrail may still deliver the file holding it.
// AWS documents about 5 minutes on average and 15 as usual; a day is generous enough that a
// late file is never skipped, and still lets --until prune the bulk of an archive.
const deliverySlack = 24 * time.Hour

// skipFile reports whether a file delivered at delivered can hold no event inside w. A file
// only holds events that happened before it was written, so a file older than Since is all
// outside the window.
func (w Window) skipFile(delivered time.Time) bool {
	if delivered.IsZero() {
		return false
	}
	if !w.Since.IsZero() && delivered.Before(w.Since) {
		return true
	}
	if !w.Until.IsZero() && delivered.After(w.Until.Add(deliverySlack)) {
		return true
	}
	return false
}

// Source yields CloudTrail records to fn, in the order it reads them.
type Source interface {
	// Records calls fn for every record the source holds inside w (it may also pass records
	// outside it; the caller filters again). fn must not keep the record.
	Records(ctx context.Context, w Window, fn func(*Record) error) error
	String() string
}

// fileTime matches the delivery timestamp in a CloudTrail log file name:
// <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz.
var fileTime = regexp.MustCompile(`_CloudTrail_[a-z0-9-]+_(\d{8}T\d{4}Z)_`)

// deliveryTime reads the delivery time from a log file's name; zero when the name does not
// follow AWS's scheme (a file renamed by hand is then always read).
func deliveryTime(name string) time.Time {
	m := fileTime.FindStringSubmatch(filepath.Base(name))
	if m == nil {
		return time.Time{}
	}
	t, err := time.Parse("20060102T1504Z", m[1])
	if err != nil {
		return time.Time{}
	}
	return t
}

// isLogFile reports whether a name looks like a CloudTrail log file.
func isLogFile(name string) bool {
	return strings.HasSuffix(name, ".json.gz") || strings.HasSuffix(name, ".json")
}

// isDigestDir reports whether a directory holds CloudTrail's digest or insight files, which
// carry no API records.
func isDigestDir(name string) bool {
	return name == "CloudTrail-Digest" || name == "CloudTrail-Insight"
}

// Files reads log files and directories on disk. A directory is walked recursively and its
// .json and .json.gz files are read in name order, which for AWS's layout is time order.
type Files struct {
	Paths []string
}

func (f Files) String() string { return strings.Join(f.Paths, ", ") }

// Records implements Source.
func (f Files) Records(ctx context.Context, w Window, fn func(*Record) error) error {
	for _, p := range f.Paths {
		files, err := listFiles(p)
		if err != nil {
			return err
		}
		for _, name := range files {
			if err := ctx.Err(); err != nil {
				return err
			}
			if w.skipFile(deliveryTime(name)) {
				continue
			}
			if err := readFile(name, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

func listFiles(p string) ([]string, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("CloudTrail logs: %w", err)
	}
	if !st.IsDir() {
		return []string{p}, nil
	}
	var files []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("CloudTrail logs: %w", err)
		}
		if d.IsDir() {
			if path != p && isDigestDir(d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if isLogFile(d.Name()) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	return files, nil
}

func readFile(name string, fn func(*Record) error) error {
	fh, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("CloudTrail log: %w", err)
	}
	defer fh.Close()
	var fnErr error
	err = Decode(fh, func(r *Record) error {
		if err := fn(r); err != nil {
			fnErr = err
			return err
		}
		return nil
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("CloudTrail log %s: %w", name, err)
	}
	return nil
}
