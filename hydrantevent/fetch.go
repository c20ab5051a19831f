package hydrantevent

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// OffloadError says that an offloaded record cannot be had back as its event describes it:
// the object is gone (Missing: expired by the bucket's lifecycle rule, or never written) or
// it is not the record (its size or SHA-256 differ from the event's). A caller gives the
// record up; any other error of Fetch (S3 unreachable, access denied, throttled) is worth
// trying again.
type OffloadError struct {
	Bucket, Key string
	Missing     bool
	Reason      string
}

func (e *OffloadError) Error() string {
	return fmt.Sprintf("offloaded record s3://%s/%s: %s", e.Bucket, e.Key, e.Reason)
}

// S3API is the part of the S3 client Fetch needs; *s3.Client implements it.
type S3API interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Fetch reads the offloaded record's object and returns its bytes once their size and SHA-256
// match the event's. It reads at most Size+1 bytes, so an object that grew is refused without
// being read whole. A missing or mismatched object is an *OffloadError. The reader needs s3:GetObject on the key: Hydrant grants a team account the
// keys of its own streams (docs/teams.md).
func (o *Offload) Fetch(ctx context.Context, client S3API) ([]byte, error) {
	if o.Size < 0 {
		return nil, fmt.Errorf("offloaded record s3://%s/%s: size %d is negative", o.Bucket, o.Key, o.Size)
	}
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(o.Bucket), Key: aws.String(o.Key)})
	if err != nil {
		var nk *s3types.NoSuchKey
		var ae smithy.APIError
		if errors.As(err, &nk) || (errors.As(err, &ae) && ae.ErrorCode() == "NoSuchKey") {
			return nil, &OffloadError{Bucket: o.Bucket, Key: o.Key, Missing: true, Reason: "the object is not in the bucket (expired or never written)"}
		}
		return nil, fmt.Errorf("fetch offloaded record s3://%s/%s: %w", o.Bucket, o.Key, err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(io.LimitReader(out.Body, o.Size+1))
	if err != nil {
		return nil, fmt.Errorf("fetch offloaded record s3://%s/%s: read: %w", o.Bucket, o.Key, err)
	}
	if err := o.Verify(body); err != nil {
		return nil, err
	}
	return body, nil
}

// FetchOffloaded puts an offloaded record's data back into the event in one call: it fetches
// the object (Offload.Fetch, size and SHA-256 checked) and restores the record (Restore). A
// record that is not offloaded is left as it is.
func (d *RecordHydrated) FetchOffloaded(ctx context.Context, client S3API) error {
	if d.Offload == nil {
		return nil
	}
	body, err := d.Offload.Fetch(ctx, client)
	if err != nil {
		return fmt.Errorf("record %s: %w", d.EventID, err)
	}
	return d.Restore(body)
}

// FetchOffloaded puts the carried record's offloaded data back, as RecordHydrated's does.
func (d *RecordHydrationFailed) FetchOffloaded(ctx context.Context, client S3API) error {
	if d.Offload == nil {
		return nil
	}
	body, err := d.Offload.Fetch(ctx, client)
	if err != nil {
		return fmt.Errorf("failure %s: %w", d.EventID, err)
	}
	return d.Restore(body)
}
