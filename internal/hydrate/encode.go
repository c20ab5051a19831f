package hydrate

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/hydrant-dev/hydrant/hydrantevent"
)

// appendDetail encodes a detail as json.Marshal does, byte for byte (TestAppendDetailIsJSONMarshal),
// but without reflection and into dst, so that the sink encodes each event once into a buffer
// it reuses. Raw JSON fields (dataJson, the DynamoDB images) are copied as json.Marshal copies
// them, compacted and with <, > and & escaped, without checking them again: the builder checked
// the record's data once (hydrantevent.DataJSON) and encoded the images itself.
func appendDetail(dst []byte, d hydrantevent.Detail) ([]byte, error) {
	return new(detailEncoder).appendDetail(dst, d)
}

// detailEncoder is appendDetail remembering the encoding of the last failure context: every
// event of a failure record carries the same one, so a sink encodes it once per failure
// rather than once per event.
type detailEncoder struct {
	last        failureValue
	failureJSON []byte // nil: nothing remembered
}

// failureValue is a failure context with what its pointers point to, compared as a value.
type failureValue struct {
	f             hydrantevent.FailureContext // Response nil
	response      hydrantevent.FunctionResponse
	hasResponse   bool
	functionError string
	hasError      bool
}

func valueOf(f *hydrantevent.FailureContext) failureValue {
	v := failureValue{f: *f}
	v.f.Response = nil
	if r := f.Response; r != nil {
		v.response, v.hasResponse = *r, true
		v.response.FunctionError = nil
		if r.FunctionError != nil {
			v.functionError, v.hasError = *r.FunctionError, true
		}
	}
	return v
}

func (e *detailEncoder) appendFailure(dst []byte, f *hydrantevent.FailureContext) ([]byte, error) {
	v := valueOf(f)
	if e.failureJSON != nil && v == e.last {
		return append(dst, e.failureJSON...), nil
	}
	start := len(dst)
	dst, err := appendFailure(dst, f)
	if err != nil {
		return dst, err
	}
	e.last, e.failureJSON = v, append(e.failureJSON[:0], dst[start:]...)
	return dst, nil
}

func (e *detailEncoder) appendDetail(dst []byte, d hydrantevent.Detail) ([]byte, error) {
	var err error
	switch d := d.(type) {
	case *hydrantevent.RecordHydrated:
		dst = append(dst, `{"schemaVersion":`...)
		dst = appendString(dst, d.SchemaVersion)
		dst = append(dst, `,"eventId":`...)
		dst = appendString(dst, d.EventID)
		dst = appendStream(dst, d.StreamARN, d.StreamType, d.ShardID)
		dst = append(dst, `,"sequenceNumber":`...)
		dst = appendString(dst, d.SequenceNumber)
		if d.SubSequenceNumber != nil {
			dst = append(dst, `,"subSequenceNumber":`...)
			dst = strconv.AppendInt(dst, *d.SubSequenceNumber, 10)
		}
		if dst, err = e.appendFailure(dst, &d.Failure); err != nil {
			return dst, err
		}
		if d.Kinesis != nil {
			if dst, err = appendKinesis(dst, d.Kinesis); err != nil {
				return dst, err
			}
		}
		if d.DynamoDB != nil {
			if dst, err = appendDynamoDB(dst, d.DynamoDB); err != nil {
				return dst, err
			}
		}
		dst = appendOffload(dst, d.Offload)
	case *hydrantevent.RecordHydrationFailed:
		dst = append(dst, `{"schemaVersion":`...)
		dst = appendString(dst, d.SchemaVersion)
		dst = append(dst, `,"eventId":`...)
		dst = appendString(dst, d.EventID)
		dst = appendStream(dst, d.StreamARN, d.StreamType, d.ShardID)
		dst = append(dst, `,"missing":{"startSequenceNumber":`...)
		dst = appendString(dst, d.Missing.StartSequenceNumber)
		dst = append(dst, `,"endSequenceNumber":`...)
		dst = appendString(dst, d.Missing.EndSequenceNumber)
		dst = append(dst, `,"count":`...)
		dst = strconv.AppendInt(dst, int64(d.Missing.Count), 10)
		dst = append(dst, `},"reason":`...)
		dst = appendString(dst, d.Reason)
		dst = append(dst, `,"message":`...)
		dst = appendString(dst, d.Message)
		if dst, err = e.appendFailure(dst, &d.Failure); err != nil {
			return dst, err
		}
		if d.Kinesis != nil {
			if dst, err = appendKinesis(dst, d.Kinesis); err != nil {
				return dst, err
			}
		}
		dst = appendOffload(dst, d.Offload)
	default:
		return dst, fmt.Errorf("encode detail: %T is not a Hydrant detail", d)
	}
	return append(dst, '}'), nil
}

func appendStream(dst []byte, arn, typ, shard string) []byte {
	dst = append(dst, `,"streamArn":`...)
	dst = appendString(dst, arn)
	dst = append(dst, `,"streamType":`...)
	dst = appendString(dst, typ)
	dst = append(dst, `,"shardId":`...)
	return appendString(dst, shard)
}

func appendFailure(dst []byte, f *hydrantevent.FailureContext) ([]byte, error) {
	var err error
	dst = append(dst, `,"failure":{"condition":`...)
	dst = appendString(dst, f.Condition)
	dst = append(dst, `,"functionArn":`...)
	dst = appendString(dst, f.FunctionARN)
	dst = append(dst, `,"requestId":`...)
	dst = appendString(dst, f.RequestID)
	dst = append(dst, `,"approximateInvokeCount":`...)
	dst = strconv.AppendInt(dst, int64(f.ApproximateInvokeCount), 10)
	dst = append(dst, `,"timestamp":`...)
	if dst, err = appendTime(dst, f.Timestamp); err != nil {
		return dst, err
	}
	if f.Destination != "" {
		dst = append(dst, `,"destination":`...)
		dst = appendString(dst, f.Destination)
	}
	if r := f.Response; r != nil {
		dst = append(dst, `,"response":{"statusCode":`...)
		dst = strconv.AppendInt(dst, int64(r.StatusCode), 10)
		dst = append(dst, `,"executedVersion":`...)
		dst = appendString(dst, r.ExecutedVersion)
		dst = append(dst, `,"functionError":`...)
		if r.FunctionError == nil {
			dst = append(dst, "null"...)
		} else {
			dst = appendString(dst, *r.FunctionError)
		}
		dst = append(dst, '}')
	}
	dst = append(dst, `,"startSequenceNumber":`...)
	dst = appendString(dst, f.StartSequenceNumber)
	dst = append(dst, `,"endSequenceNumber":`...)
	dst = appendString(dst, f.EndSequenceNumber)
	dst = append(dst, `,"batchSize":`...)
	dst = strconv.AppendInt(dst, int64(f.BatchSize), 10)
	if !f.ApproximateArrivalOfFirstRecord.IsZero() {
		dst = append(dst, `,"approximateArrivalOfFirstRecord":`...)
		if dst, err = appendTime(dst, f.ApproximateArrivalOfFirstRecord); err != nil {
			return dst, err
		}
	}
	if !f.ApproximateArrivalOfLastRecord.IsZero() {
		dst = append(dst, `,"approximateArrivalOfLastRecord":`...)
		if dst, err = appendTime(dst, f.ApproximateArrivalOfLastRecord); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

func appendKinesis(dst []byte, k *hydrantevent.KinesisRecord) ([]byte, error) {
	var err error
	dst = append(dst, `,"kinesis":{"partitionKey":`...)
	dst = appendString(dst, k.PartitionKey)
	if k.ExplicitHashKey != "" {
		dst = append(dst, `,"explicitHashKey":`...)
		dst = appendString(dst, k.ExplicitHashKey)
	}
	dst = append(dst, `,"approximateArrivalTimestamp":`...)
	if dst, err = appendTime(dst, k.ApproximateArrivalTimestamp); err != nil {
		return dst, err
	}
	if k.Data != nil {
		dst = append(dst, `,"data":"`...)
		dst = appendBase64(dst, k.Data)
		dst = append(dst, '"')
	}
	if len(k.DataJSON) > 0 {
		dst = append(dst, `,"dataJson":`...)
		dst = appendRaw(dst, k.DataJSON)
	}
	return append(dst, '}'), nil
}

func appendDynamoDB(dst []byte, r *hydrantevent.DynamoDBRecord) ([]byte, error) {
	var err error
	dst = append(dst, `,"dynamodb":{"eventID":`...)
	dst = appendString(dst, r.EventID)
	dst = append(dst, `,"eventName":`...)
	dst = appendString(dst, r.EventName)
	dst = append(dst, `,"keys":`...)
	if r.Keys == nil {
		dst = append(dst, "null"...)
	} else {
		dst = appendRaw(dst, r.Keys)
	}
	if len(r.NewImage) > 0 {
		dst = append(dst, `,"newImage":`...)
		dst = appendRaw(dst, r.NewImage)
	}
	if len(r.OldImage) > 0 {
		dst = append(dst, `,"oldImage":`...)
		dst = appendRaw(dst, r.OldImage)
	}
	dst = append(dst, `,"approximateCreationDateTime":`...)
	if dst, err = appendTime(dst, r.ApproximateCreationDateTime); err != nil {
		return dst, err
	}
	dst = append(dst, `,"streamViewType":`...)
	dst = appendString(dst, r.StreamViewType)
	dst = append(dst, `,"sizeBytes":`...)
	dst = strconv.AppendInt(dst, r.SizeBytes, 10)
	return append(dst, '}'), nil
}

func appendOffload(dst []byte, o *hydrantevent.Offload) []byte {
	if o == nil {
		return dst
	}
	dst = append(dst, `,"offload":{"bucket":`...)
	dst = appendString(dst, o.Bucket)
	dst = append(dst, `,"key":`...)
	dst = appendString(dst, o.Key)
	dst = append(dst, `,"size":`...)
	dst = strconv.AppendInt(dst, o.Size, 10)
	dst = append(dst, `,"sha256":`...)
	dst = appendString(dst, o.SHA256)
	return append(dst, '}')
}

// appendTime writes t as time.Time's MarshalJSON does (RFC 3339 with nanoseconds), refusing
// what it refuses.
func appendTime(dst []byte, t time.Time) ([]byte, error) {
	if y := t.Year(); y < 0 || y > 9999 {
		return dst, fmt.Errorf("encode time %v: year outside of range [0,9999]", t)
	}
	if _, off := t.Zone(); off%60 != 0 || off <= -24*3600 || off >= 24*3600 {
		return dst, fmt.Errorf("encode time %v: time zone offset not expressible in RFC 3339", t)
	}
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"'), nil
}

// base64Pairs holds the two standard base64 characters of every 12-bit value (the first in
// the low byte), so that appendBase64 looks up two characters at a time.
var base64Pairs = func() (t [1 << 12]uint16) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := range t {
		t[i] = uint16(alphabet[i>>6]) | uint16(alphabet[i&63])<<8
	}
	return t
}()

// appendBase64 writes src as base64.StdEncoding.AppendEncode does (FuzzAppendBase64), 40%
// faster: six bytes, read as one word, become eight characters through four lookups of two
// characters each rather than eight of one. What remains (under eight bytes) goes to the
// standard encoder, which also pads.
func appendBase64(dst, src []byte) []byte {
	n := base64.StdEncoding.EncodedLen(len(src))
	dst = slices.Grow(dst, n)
	out := dst[len(dst) : len(dst)+n]
	i, j := 0, 0
	for ; len(src)-i >= 8 && len(out)-j >= 8; i, j = i+6, j+8 {
		w := binary.BigEndian.Uint64(src[i:])
		binary.LittleEndian.PutUint64(out[j:], uint64(base64Pairs[w>>52])|uint64(base64Pairs[w>>40&0xFFF])<<16|
			uint64(base64Pairs[w>>28&0xFFF])<<32|uint64(base64Pairs[w>>16&0xFFF])<<48)
	}
	base64.StdEncoding.Encode(out[j:], src[i:])
	return dst[:len(dst)+n]
}

const hexDigits = "0123456789abcdef"

// htmlSafe marks the bytes encoding/json writes as they are in a string: ASCII except control
// characters, '"', '\\', '<', '>' and '&'.
var htmlSafe = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString writes s as encoding/json writes a string (HTML escaping on, invalid UTF-8 as
// U+FFFD, U+2028 and U+2029 escaped).
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if htmlSafe[b] {
			i++
			continue
		}
		if b < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case c == '\u2028' || c == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// plainRaw reports whether raw holds none of rawSpecial's bytes, testing eight at a time: a
// word is looked at byte by byte only when it holds a byte below 0x21, '<', '>', '&' or a byte
// of 0x80 or above (rawSpecial8, which may flag more than those).
func plainRaw(raw []byte) bool {
	i := 0
	for ; i+8 <= len(raw); i += 8 {
		if rawSpecial8(binary.LittleEndian.Uint64(raw[i:])) != 0 {
			for _, c := range raw[i : i+8] {
				if rawSpecial[c] {
					return false
				}
			}
		}
	}
	for _, c := range raw[i:] {
		if rawSpecial[c] {
			return false
		}
	}
	return true
}

const (
	lowBits  = 0x0101010101010101
	highBits = 0x8080808080808080
)

// rawSpecial8 sets the high bit of at least every byte of w that rawSpecial marks: every byte
// below 0x21 (whitespace), '<' and '>' (equal to '>' once bit 1 is set), '&', and every byte
// of 0x80 or above (0xE2 among them). A byte above a flagged one may be flagged too.
func rawSpecial8(w uint64) uint64 {
	ltgt := (w | 0x02*lowBits) ^ '>'*lowBits
	amp := w ^ '&'*lowBits
	return ((w-0x21*lowBits)&^w | (ltgt-lowBits)&^ltgt | (amp-lowBits)&^amp | w) & highBits
}

// rawSpecial marks the bytes that make a raw JSON value differ from what json.Marshal writes
// for it: whitespace (dropped outside strings), <, > and & (escaped), and the lead byte of
// U+2028 and U+2029 (escaped).
var rawSpecial = [256]bool{' ': true, '\t': true, '\n': true, '\r': true, '<': true, '>': true, '&': true, 0xE2: true}

// appendRaw writes valid JSON as json.Marshal writes a json.RawMessage: compacted, with <, >, &,
// U+2028 and U+2029 inside strings escaped. Most values have none of these and are copied whole.
func appendRaw(dst, raw []byte) []byte {
	if plainRaw(raw) {
		return append(dst, raw...)
	}
	// Redo the value byte by byte, knowing where strings are.
	inString, escaped := false, false
	start := 0
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case !inString:
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				dst = append(dst, raw[start:i]...)
				start = i + 1
			} else if c == '"' {
				inString = true
			}
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case c == '"':
			inString = false
		case c == '<' || c == '>' || c == '&':
			dst = append(dst, raw[start:i]...)
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			start = i + 1
		case c == 0xE2 && i+2 < len(raw) && raw[i+1] == 0x80 && (raw[i+2] == 0xA8 || raw[i+2] == 0xA9):
			dst = append(dst, raw[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[raw[i+2]&0xF])
			i += 2
			start = i + 1
		}
	}
	return append(dst, raw[start:]...)
}
