package awssim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/trustaudit/trustaudit/internal/world"
)

func startS3Sim(t *testing.T, accessKey string) (*Server, *s3.Client) {
	t.Helper()
	w := trailWorld()
	w.Accounts = append(w.Accounts, world.Account{
		ID: "444455556666", AccessKeys: []world.AccessKey{{ID: "AKIAEXAMPLEOTHER", ARN: "arn:aws:iam::444455556666:user/other"}},
		Regions: []world.Region{{Name: "us-east-1"}},
	})
	s, err := Start(Options{World: w, NoQuotas: true})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.S3Handler())
	t.Cleanup(func() { hs.Close(); s.Close() })
	cfg := s.Config(accessKey, "us-east-1")
	return s, s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(hs.URL)
		o.UsePathStyle = true
	})
}

func TestS3ListObjectsV2AndGetObject(t *testing.T) {
	s, c := startS3Sim(t, ctKey)
	keys := []string{
		"AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/24/a.json.gz",
		"AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/24/b.json.gz",
		"AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/25/c.json.gz",
		"AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/25/d e+f.json.gz",
		"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/25/x.json.gz",
		"other.txt",
	}
	for i, k := range keys {
		if err := s.PutS3Object(ctAccount, "trail-bucket", k, fmt.Appendf(nil, "body %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	list := func(in *s3.ListObjectsV2Input) (objs, prefixes []string, pages int) {
		t.Helper()
		in.Bucket = aws.String("trail-bucket")
		for p := s3.NewListObjectsV2Paginator(c, in); p.HasMorePages(); {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, o := range out.Contents {
				objs = append(objs, aws.ToString(o.Key))
			}
			for _, cp := range out.CommonPrefixes {
				prefixes = append(prefixes, aws.ToString(cp.Prefix))
			}
		}
		return objs, prefixes, pages
	}

	objs, _, pages := list(&s3.ListObjectsV2Input{Prefix: aws.String("AWSLogs/111122223333/CloudTrail/us-east-1/"), MaxKeys: aws.Int32(2)})
	if fmt.Sprint(objs) != fmt.Sprint(keys[1:4]) || pages != 2 {
		t.Errorf("us-east-1 keys = %q in %d pages, want %q in 2", objs, pages, keys[1:4])
	}
	_, prefixes, pages := list(&s3.ListObjectsV2Input{Prefix: aws.String("AWSLogs/111122223333/"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(1)})
	if want := "[AWSLogs/111122223333/CloudTrail-Digest/ AWSLogs/111122223333/CloudTrail/]"; fmt.Sprint(prefixes) != want || pages != 2 {
		t.Errorf("folders = %v in %d pages, want %s in 2 (a common prefix is listed once)", prefixes, pages, want)
	}

	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String(keys[3])})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(body) != "body 3" {
		t.Errorf("GetObject(%q) = %q, want %q", keys[3], body, "body 3")
	}

	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String("missing")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "NoSuchKey" {
		t.Errorf("missing key: err = %v, want NoSuchKey", err)
	}
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("no-bucket")})
	if !errors.As(err, &ae) || ae.ErrorCode() != "NoSuchBucket" {
		t.Errorf("missing bucket: err = %v, want NoSuchBucket", err)
	}
}

func TestS3OtherAccountIsDenied(t *testing.T) {
	s, c := startS3Sim(t, "AKIAEXAMPLEOTHER")
	if err := s.PutS3Object(ctAccount, "trail-bucket", "k", []byte("x")); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String("k")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Fatalf("err = %v, want AccessDenied", err)
	}
}
