package publish

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3API is the part of the S3 client the claim check uses.
type S3API interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// ClaimCheck stores payloads too large for an event in S3, so that the event can carry a
// reference instead. Keys are chosen by the caller from the record's identity, so a retry
// overwrites the same object rather than leaving a duplicate.
type ClaimCheck struct {
	client S3API
	bucket string
}

// NewClaimCheck returns a claim check that writes to bucket.
func NewClaimCheck(client S3API, bucket string) (*ClaimCheck, error) {
	if bucket == "" {
		return nil, fmt.Errorf("claim check: bucket is required")
	}
	return &ClaimCheck{client: client, bucket: bucket}, nil
}

// Ref locates a stored payload; SHA256 is the hex digest of the exact bytes stored.
type Ref struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Store writes body under key and returns its reference.
func (c *ClaimCheck) Store(ctx context.Context, key, contentType string, body []byte) (Ref, error) {
	sum := sha256.Sum256(body)
	digest := hex.EncodeToString(sum[:])
	_, err := c.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(c.bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(body), // seekable: the SDK signs the payload over plain HTTP too
		ContentLength: aws.Int64(int64(len(body))),
		ContentType:   aws.String(contentType),
		Metadata:      map[string]string{"sha256": digest},
	})
	if err != nil {
		return Ref{}, fmt.Errorf("claim check: put s3://%s/%s: %w", c.bucket, key, err)
	}
	return Ref{Bucket: c.bucket, Key: key, Size: int64(len(body)), SHA256: digest}, nil
}
