package trail

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// benchTemplates are records in CloudTrail's shape, weighted like a busy account's trail:
// mostly read calls and role sessions, a policy change one record in a thousand.
var benchTemplates = []string{
	`{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLEROLEID01:i-0abc%[1]d","arn":"arn:aws:sts::111122223333:assumed-role/web/i-0abc%[1]d","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE%[1]d","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLEROLEID01","arn":"arn:aws:iam::111122223333:role/web","accountId":"111122223333","userName":"web"},"webIdFederationData":{},"attributes":{"creationDate":"2026-11-20T09:00:00Z","mfaAuthenticated":"false"},"ec2RoleDelivery":"2.0"}},"eventTime":"%[2]s","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"us-east-1","sourceIPAddress":"10.0.%[3]d.17","userAgent":"aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.170.0","requestParameters":{"instancesSet":{},"filterSet":{"items":[{"name":"tag:env","valueSet":{"items":[{"value":"prod"}]}}]}},"responseElements":null,"requestID":"4c1e9e4a-%[1]d","eventID":"ev-%[1]d","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"ec2.us-east-1.amazonaws.com"}}`,
	`{"eventVersion":"1.08","userIdentity":{"type":"AWSService","invokedBy":"lambda.amazonaws.com"},"eventTime":"%[2]s","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","sourceIPAddress":"lambda.amazonaws.com","userAgent":"lambda.amazonaws.com","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/fn-%[3]d","roleSessionName":"fn-%[1]d","durationSeconds":43200},"responseElements":{"credentials":{"accessKeyId":"ASIAEXAMPLE%[1]d","sessionToken":"EXAMPLEsessionTokenNotASecret%[1]d","expiration":"Nov 21, 2026, 9:00:00 AM"}},"requestID":"7d2b7f3c-%[1]d","eventID":"ev-%[1]d","readOnly":true,"resources":[{"accountId":"111122223333","type":"AWS::IAM::Role","ARN":"arn:aws:iam::111122223333:role/fn-%[3]d"}],"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","sharedEventID":"shared-%[1]d","eventCategory":"Management"}`,
	`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEUSERID01","arn":"arn:aws:iam::111122223333:user/ci","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEKEYID01","userName":"ci"},"eventTime":"%[2]s","eventSource":"lambda.amazonaws.com","eventName":"GetFunction20150331v2","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.%[3]d","userAgent":"aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22","requestParameters":{"functionName":"fn-%[3]d"},"responseElements":null,"requestID":"9e4a7d2b-%[1]d","eventID":"ev-%[1]d","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`,
}

// benchChange is the one policy change per thousand records: a public Lambda permission.
const benchChange = `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEUSERID01","arn":"arn:aws:iam::111122223333:user/ci","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEKEYID01","userName":"ci"},"eventTime":"%[2]s","eventSource":"lambda.amazonaws.com","eventName":"AddPermission20150331v2","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.%[3]d","userAgent":"aws-cli/2.15.30","requestParameters":{"functionName":"fn-%[3]d","statementId":"s-%[1]d","action":"lambda:InvokeFunction","principal":"*"},"responseElements":null,"requestID":"9e4a7d2b-%[1]d","eventID":"ev-%[1]d","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`

// genLogs writes CloudTrail log files of about fileBytes uncompressed each into dir until
// totalBytes of JSON are written, and returns the records, changes and gzip bytes written.
func genLogs(tb testing.TB, dir string, totalBytes, fileBytes int64) (records, changes, gzBytes int64) {
	tb.Helper()
	start := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	var written int64
	for file := 0; written < totalBytes; file++ {
		ts := start.Add(time.Duration(file) * 5 * time.Minute)
		name := filepath.Join(dir, fmt.Sprintf("111122223333_CloudTrail_us-east-1_%s_bench%06d.json.gz", ts.Format("20060102T1504Z"), file))
		fh, err := os.Create(name)
		if err != nil {
			tb.Fatal(err)
		}
		zw, _ := gzip.NewWriterLevel(fh, gzip.BestSpeed)
		bw := bufio.NewWriterSize(zw, 256<<10)
		bw.WriteString(`{"Records":[`)
		var inFile int64
		for n := 0; inFile < fileBytes && written+inFile < totalBytes; n++ {
			if n > 0 {
				bw.WriteByte(',')
			}
			tmpl := benchTemplates[records%int64(len(benchTemplates))]
			if records%1000 == 999 {
				tmpl = benchChange
				changes++
			}
			line := fmt.Sprintf(tmpl, records, ts.Add(time.Duration(n)*time.Millisecond).Format(time.RFC3339), records%250)
			bw.WriteString(line)
			inFile += int64(len(line)) + 1
			records++
		}
		bw.WriteString("]}")
		if err := bw.Flush(); err != nil {
			tb.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			tb.Fatal(err)
		}
		st, _ := fh.Stat()
		gzBytes += st.Size()
		if err := fh.Close(); err != nil {
			tb.Fatal(err)
		}
		written += inFile
	}
	return records, changes, gzBytes
}

// runBench reads dir b.N times and reports events/s, MB/s of .json.gz (b.SetBytes) and MB/s
// of JSON.
func runBench(b *testing.B, dir string, records, changes, gzBytes, jsonBytes int64) {
	b.SetBytes(gzBytes)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		d := NewDetector(Options{Boundary: boundary(b)})
		if err := d.Run(context.Background(), Files{Paths: []string{dir}}); err != nil {
			b.Fatal(err)
		}
		if n, _ := d.Counts(); n != records || int64(len(d.Detections())) != changes {
			b.Fatalf("read %d records and %d findings, want %d and %d", n, len(d.Detections()), records, changes)
		}
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(records)*float64(b.N)/sec, "events/s")
	b.ReportMetric(float64(jsonBytes)*float64(b.N)/sec/1e6, "json-MB/s")
}

// BenchmarkDecodeGzip measures the reader and detector on 32 MB of JSON (about 3 MB of
// .json.gz in 4 MB files). Run on one core with -cpu 1.
func BenchmarkDecodeGzip(b *testing.B) {
	dir := b.TempDir()
	const total = 32 << 20
	records, changes, gz := genLogs(b, dir, total, 4<<20)
	runBench(b, dir, records, changes, gz, total)
}

// BenchmarkGigabyte reads a generated gigabyte of JSON logs (as .json.gz) once and reports
// the peak heap and resident size: memory must not grow with the size of the logs. It takes
// minutes, so it runs only with TRUSTAUDIT_BENCH_GB=1:
//
//	TRUSTAUDIT_BENCH_GB=1 go test ./internal/trail -run '^$' -bench Gigabyte -benchtime 1x -cpu 1
func BenchmarkGigabyte(b *testing.B) {
	if os.Getenv("TRUSTAUDIT_BENCH_GB") != "1" {
		b.Skip("set TRUSTAUDIT_BENCH_GB=1 to generate and read a gigabyte of logs")
	}
	dir := b.TempDir()
	const total = 1 << 30
	records, changes, gz := genLogs(b, dir, total, 16<<20)
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)

	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}
	}()
	runBench(b, dir, records, changes, gz, total)
	close(stop)
	<-done
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	b.ReportMetric(float64(peak.Load())/1e6, "peak-heap-MB")
	b.ReportMetric(float64(ru.Maxrss)/1e3, "maxrss-MB")
	b.ReportMetric(float64(gz)/1e6, "gz-MB")
	b.ReportMetric(float64(records), "records")
}
