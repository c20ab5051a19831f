package hydrantevent

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/hydrant-dev/hydrant/internal/jsonscan"
)

// DataJSON returns data as the value of KinesisRecord.DataJSON: data itself when it is valid
// UTF-8 JSON whose value is an object or an array, nil otherwise. Scalars are left out on
// purpose: a record "0042" or "true" is more likely text than JSON.
func DataJSON(data []byte) json.RawMessage {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 || (trimmed[0] != '{' && trimmed[0] != '[') {
		return nil
	}
	if !utf8.Valid(data) || !jsonscan.Valid(data) { // json.Valid's verdict, several times faster
		return nil
	}
	return json.RawMessage(data)
}

// Verify checks that body, fetched from the offload's S3 object, is the record the event
// refers to: same size and same SHA-256.
func (o *Offload) Verify(body []byte) error {
	if int64(len(body)) != o.Size {
		return &OffloadError{Bucket: o.Bucket, Key: o.Key, Reason: fmt.Sprintf("%d bytes, the event says %d", len(body), o.Size)}
	}
	sum := sha256.Sum256(body)
	if got := hex.EncodeToString(sum[:]); got != o.SHA256 {
		return &OffloadError{Bucket: o.Bucket, Key: o.Key, Reason: fmt.Sprintf("sha256 %s, the event says %s", got, o.SHA256)}
	}
	return nil
}

// OffloadBody returns what is stored in S3 when the record is too large for an event: a
// Kinesis record's data bytes, or the JSON of the DynamoDB record with its images.
func (d *RecordHydrated) OffloadBody() ([]byte, error) {
	switch {
	case d.Offload != nil:
		return nil, fmt.Errorf("offload record %s: already offloaded to s3://%s/%s", d.EventID, d.Offload.Bucket, d.Offload.Key)
	case d.Kinesis != nil:
		return d.Kinesis.Data, nil
	case d.DynamoDB != nil:
		b, err := json.Marshal(d.DynamoDB)
		if err != nil {
			return nil, fmt.Errorf("offload record %s: %w", d.EventID, err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("offload record %s: no kinesis or dynamodb record", d.EventID)
}

// SetOffload records where OffloadBody was stored and leaves the data out of the event.
func (d *RecordHydrated) SetOffload(o Offload) {
	d.Offload = &o
	if d.Kinesis != nil {
		d.Kinesis.Data, d.Kinesis.DataJSON = nil, nil
	}
	if d.DynamoDB != nil {
		d.DynamoDB.NewImage, d.DynamoDB.OldImage = nil, nil
	}
}

// Restore puts the data of an offloaded record back from its S3 object's bytes, after
// checking them against the reference; the result is the record as it would have been
// without the offload.
func (d *RecordHydrated) Restore(body []byte) error {
	if d.Offload == nil {
		return fmt.Errorf("restore record %s: not offloaded", d.EventID)
	}
	if err := d.Offload.Verify(body); err != nil {
		return fmt.Errorf("restore record %s: %w", d.EventID, err)
	}
	switch {
	case d.Kinesis != nil:
		d.Kinesis.Data = append([]byte{}, body...)
		d.Kinesis.DataJSON = DataJSON(d.Kinesis.Data)
	case d.DynamoDB != nil:
		var r DynamoDBRecord
		if err := json.Unmarshal(body, &r); err != nil {
			return fmt.Errorf("restore record %s from s3://%s/%s: %w", d.EventID, d.Offload.Bucket, d.Offload.Key, err)
		}
		d.DynamoDB = &r
	default:
		return fmt.Errorf("restore record %s: no kinesis or dynamodb record", d.EventID)
	}
	d.Offload = nil
	return nil
}

// OffloadBody returns what is stored in S3 when the undecodable record a failure carries is
// too large for an event: its data bytes.
func (d *RecordHydrationFailed) OffloadBody() ([]byte, error) {
	switch {
	case d.Offload != nil:
		return nil, fmt.Errorf("offload failure %s: already offloaded to s3://%s/%s", d.EventID, d.Offload.Bucket, d.Offload.Key)
	case d.Kinesis == nil:
		return nil, fmt.Errorf("offload failure %s: it carries no record", d.EventID)
	}
	return d.Kinesis.Data, nil
}

// SetOffload records where OffloadBody was stored and leaves the data out of the event.
func (d *RecordHydrationFailed) SetOffload(o Offload) {
	d.Offload = &o
	if d.Kinesis != nil {
		d.Kinesis.Data, d.Kinesis.DataJSON = nil, nil
	}
}

// Restore puts the carried record's data back from its S3 object's bytes, after checking
// them against the reference.
func (d *RecordHydrationFailed) Restore(body []byte) error {
	switch {
	case d.Offload == nil:
		return fmt.Errorf("restore failure %s: not offloaded", d.EventID)
	case d.Kinesis == nil:
		return fmt.Errorf("restore failure %s: it carries no record", d.EventID)
	}
	if err := d.Offload.Verify(body); err != nil {
		return fmt.Errorf("restore failure %s: %w", d.EventID, err)
	}
	d.Kinesis.Data = append([]byte{}, body...)
	d.Kinesis.DataJSON = DataJSON(d.Kinesis.Data)
	d.Offload = nil
	return nil
}
