package trail

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3API is the part of the S3 client the bucket source uses.
type S3API interface {
	s3.ListObjectsV2APIClient
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Bucket reads log files from s3://Bucket/Prefix. With a window, it does not list the whole
// archive: it finds the trail's AWSLogs/<account>/CloudTrail/<region>/ folders and lists only
// the YYYY/MM/DD/ folders of the days the window covers.
type Bucket struct {
	Client S3API
	Bucket string
	Prefix string
}

func (b Bucket) String() string { return "s3://" + b.Bucket + "/" + b.Prefix }

// ParseS3URL splits s3://bucket/prefix.
func ParseS3URL(u string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(u, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%q: expected s3://bucket/prefix", u)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("%q: no bucket name", u)
	}
	return bucket, prefix, nil
}

// Records implements Source.
func (b Bucket) Records(ctx context.Context, w Window, fn func(*Record) error) error {
	prefixes, err := b.prefixes(ctx, w)
	if err != nil {
		return err
	}
	for _, p := range prefixes {
		pg := s3.NewListObjectsV2Paginator(b.Client, &s3.ListObjectsV2Input{Bucket: &b.Bucket, Prefix: aws.String(p)})
		for pg.HasMorePages() {
			page, err := pg.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("list s3://%s/%s: %w", b.Bucket, p, err)
			}
			for _, obj := range page.Contents {
				key := aws.ToString(obj.Key)
				if !isLogFile(key) || inDigestDir(key) || w.skipFile(deliveryTime(key)) {
					continue
				}
				if err := b.read(ctx, key, fn); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func inDigestDir(key string) bool {
	for seg := range strings.SplitSeq(key, "/") {
		if isDigestDir(seg) {
			return true
		}
	}
	return false
}

func (b Bucket) read(ctx context.Context, key string, fn func(*Record) error) error {
	out, err := b.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: &b.Bucket, Key: &key})
	if err != nil {
		return fmt.Errorf("get s3://%s/%s: %w", b.Bucket, key, err)
	}
	defer out.Body.Close()
	var fnErr error
	err = Decode(out.Body, func(r *Record) error {
		fnErr = fn(r)
		return fnErr
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("CloudTrail log s3://%s/%s: %w", b.Bucket, key, err)
	}
	return nil
}

// maxDepth bounds the folder walk from the given prefix down to the region folders:
// [trail prefix/]AWSLogs/[o-org/]<account>/CloudTrail/<region>/.
const maxDepth = 6

// prefixes returns the key prefixes to list: the given prefix when the window has no start
// or the prefix already names a day, otherwise one prefix per region folder and day.
func (b Bucket) prefixes(ctx context.Context, w Window) ([]string, error) {
	if w.Since.IsZero() {
		return []string{b.Prefix}, nil
	}
	roots, err := b.regionRoots(ctx, b.Prefix, 0)
	if err != nil {
		return nil, err
	}
	if len(roots) == 0 {
		// Not AWS's layout (or already below the region folder): list everything.
		return []string{b.Prefix}, nil
	}
	until := w.Until
	if until.IsZero() {
		until = time.Now()
	}
	until = until.Add(deliverySlack)
	var out []string
	for _, root := range roots {
		for d := w.Since.UTC().Truncate(24 * time.Hour); !d.After(until); d = d.Add(24 * time.Hour) {
			out = append(out, root+d.Format("2006/01/02/"))
		}
	}
	return out, nil
}

// regionRoots finds the CloudTrail/<region>/ folders under prefix by listing folders
// (delimiter "/") level by level.
func (b Bucket) regionRoots(ctx context.Context, prefix string, depth int) ([]string, error) {
	if depth > maxDepth {
		return nil, nil
	}
	if i := strings.LastIndex(prefix, "/CloudTrail/"); i >= 0 {
		rest := prefix[i+len("/CloudTrail/"):]
		if region, _, ok := strings.Cut(rest, "/"); ok && region != "" {
			if strings.Count(rest, "/") == 1 {
				return []string{prefix}, nil
			}
			return nil, nil // already at or below a date folder
		}
	}
	var roots []string
	pg := s3.NewListObjectsV2Paginator(b.Client, &s3.ListObjectsV2Input{
		Bucket: &b.Bucket, Prefix: aws.String(prefix), Delimiter: aws.String("/"),
	})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", b.Bucket, prefix, err)
		}
		for _, cp := range page.CommonPrefixes {
			p := aws.ToString(cp.Prefix)
			if isDigestDir(path.Base(p)) {
				continue
			}
			sub, err := b.regionRoots(ctx, p, depth+1)
			if err != nil {
				return nil, err
			}
			roots = append(roots, sub...)
		}
	}
	return roots, nil
}
