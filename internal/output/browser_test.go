package output

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trustaudit/trustaudit/internal/access"
	"github.com/trustaudit/trustaudit/internal/awssim"
	"github.com/trustaudit/trustaudit/internal/finding"
	"github.com/trustaudit/trustaudit/internal/scan"
)

// screenshotPath is the screenshot the README shows; go test -update rewrites it.
const screenshotPath = "../../docs/report-screenshot.png"

// demoScan judges the demo estate offline, with the trust boundary `scan --demo` uses: the
// demo organization and its accounts.
func demoScan(t *testing.T) *finding.Scan {
	t.Helper()
	w := awssim.DemoWorld()
	var accounts []string
	for _, a := range w.Accounts {
		accounts = append(accounts, a.ID)
	}
	var orgs []string
	if w.Organization != nil {
		orgs = []string{w.Organization.ID}
	}
	b, err := access.NewBoundary(accounts, orgs)
	if err != nil {
		t.Fatal(err)
	}
	s, err := scan.Judge(w, scan.Options{Boundary: b, Version: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Findings) == 0 {
		t.Fatal("the demo estate has no findings to draw")
	}
	return s
}

// chromium runs headless Chromium on a local file with no network, its own profile, and
// console messages on stderr.
func chromium(t *testing.T, bin, page string, extra ...string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--host-resolver-rules=MAP * ~NOTFOUND",
		"--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--log-level=0",
		"--virtual-time-budget=10000",
	}
	args = append(args, extra...)
	args = append(args, "file://"+page)
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, errOut.String())
	}
	return out.String(), errOut.String()
}

// consoleErrors picks the page's console messages out of Chromium's log. The report writes
// nothing to the console, so any message (an uncaught error, a refused load, a warning from
// the graph library about a style) is a fault.
func consoleErrors(log string) []string {
	var errs []string
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, ":CONSOLE") {
			errs = append(errs, line)
		}
	}
	return errs
}

// TestHTMLInBrowser opens the demo scan's report in a real browser: the graph must be drawn
// (the page marks body[data-graph] after cytoscape has laid it out) with no script error,
// and a screenshot is saved.
func TestHTMLInBrowser(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (Debian: apt-get install chromium); the HTML report was not opened in a browser")
	}
	s := demoScan(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	var buf bytes.Buffer
	if err := HTML(&buf, s, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	g := buildGraph(s.Findings)

	dom, log := chromium(t, bin, page, "--dump-dom")
	if !strings.Contains(dom, `data-graph="rendered"`) {
		m := regexp.MustCompile(`data-graph="[a-z]*"`).FindString(dom)
		t.Errorf("graph not rendered (%s); errors: %s", m, regexp.MustCompile(`(?s)<pre id="js-errors"[^>]*>.*?</pre>`).FindString(dom))
	}
	if want := fmt.Sprintf("Graph: %d nodes, %d edges.", len(g.Nodes), len(g.Edges)); !strings.Contains(dom, want) {
		t.Errorf("the page does not report %q", want)
	}
	if errs := consoleErrors(log); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}

	shot := filepath.Join(dir, "report.png")
	if *update {
		shot, _ = filepath.Abs(screenshotPath)
		if err := os.MkdirAll(filepath.Dir(shot), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	chromium(t, bin, page, "--hide-scrollbars", "--window-size=1280,1500", "--screenshot="+shot)
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	if len(png) < 10000 || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("%s is not a screenshot (%d bytes)", shot, len(png))
	}
	t.Logf("screenshot: %s", shot)
}

// The browser check must notice a broken page, or its pass means nothing.
func TestHTMLInBrowserCatchesErrors(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (Debian: apt-get install chromium)")
	}
	var buf bytes.Buffer
	if err := HTML(&buf, sampleScan(), Options{}); err != nil {
		t.Fatal(err)
	}
	lib, _ := htmlAssets.ReadFile("assets/vendor/cytoscape.min.js")
	broken := bytes.Replace(buf.Bytes(), lib, []byte("/* library missing */"), 1)
	page := filepath.Join(t.TempDir(), "broken.html")
	if err := os.WriteFile(page, broken, 0o644); err != nil {
		t.Fatal(err)
	}
	dom, log := chromium(t, bin, page, "--dump-dom")
	if len(consoleErrors(log)) == 0 {
		t.Errorf("the console error of a page without its library was not seen in:\n%s", log)
	}
	if strings.Contains(dom, `data-graph="rendered"`) || !strings.Contains(dom, `data-graph="error"`) || !strings.Contains(dom, "cytoscape is not defined") {
		t.Errorf("a page without its library was not reported broken:\n%s", regexp.MustCompile(`(?s)<pre id="js-errors".*?</pre>`).FindString(dom))
	}
}
