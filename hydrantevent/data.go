package hydrantevent

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// DataJSON returns data as the value of KinesisRecord.DataJSON: data itself when it is valid
// UTF-8 JSON whose value is an object or an array, nil otherwise. Scalars are left out on
// purpose: a record "0042" or "true" is more likely text than JSON.
func DataJSON(data []byte) json.RawMessage {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 || (trimmed[0] != '{' && trimmed[0] != '[') {
		return nil
	}
	if !utf8.Valid(data) || !json.Valid(data) {
		return nil
	}
	return json.RawMessage(data)
}

// Verify checks that body, fetched from the offload's S3 object, is the record the event
// refers to: same size and same SHA-256.
func (o *Offload) Verify(body []byte) error {
	if int64(len(body)) != o.Size {
		return fmt.Errorf("offloaded record s3://%s/%s: %d bytes, the event says %d", o.Bucket, o.Key, len(body), o.Size)
	}
	sum := sha256.Sum256(body)
	if got := hex.EncodeToString(sum[:]); got != o.SHA256 {
		return fmt.Errorf("offloaded record s3://%s/%s: sha256 %s, the event says %s", o.Bucket, o.Key, got, o.SHA256)
	}
	return nil
}
