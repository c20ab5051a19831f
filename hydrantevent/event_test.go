package hydrantevent

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hydrant-dev/hydrant/schemas"
)

func readExamples(t testing.TB) map[string][]byte {
	t.Helper()
	out, err := schemas.Examples()
	if err != nil || len(out) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	return out
}

// decodeAny decodes JSON keeping numbers exact, for comparing documents by value.
func decodeAny(t testing.TB, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// sameInstants rewrites every RFC 3339 timestamp in a decoded document to one spelling, since
// "…42.560Z" and "…42.56Z" are the same time and time.Time writes the shorter.
func sameInstants(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = sameInstants(e)
		}
	case []any:
		for i, e := range x {
			x[i] = sameInstants(e)
		}
	case string:
		if ts, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return ts.UTC().Format(time.RFC3339Nano)
		}
	}
	return v
}

// TestExamplesRoundTrip parses every example into the Go types and marshals it back: the
// result validates and equals the example, so the types lose nothing and add nothing.
func TestExamplesRoundTrip(t *testing.T) {
	for name, b := range readExamples(t) {
		t.Run(name, func(t *testing.T) {
			ev, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			out, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			if err := schemas.ValidateEvent(out); err != nil {
				t.Fatalf("marshalled event does not validate: %v", err)
			}
			if got, want := sameInstants(decodeAny(t, out)), sameInstants(decodeAny(t, b)); !reflect.DeepEqual(got, want) {
				t.Errorf("round trip changed the event:\n got %s\nwant %s", out, b)
			}
			if ev.Detail.DetailType() != ev.DetailType {
				t.Errorf("detail is %T for detail-type %s", ev.Detail, ev.DetailType)
			}

			// Decoding without Parse (as the Lambda runtime does) gives the same event.
			var plain Event
			if err := json.Unmarshal(b, &plain); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(&plain, ev) {
				t.Errorf("json.Unmarshal and Parse disagree")
			}

			// ParseDetail on the detail alone gives the same detail.
			raw := struct {
				Detail json.RawMessage `json:"detail"`
			}{}
			if err := json.Unmarshal(b, &raw); err != nil {
				t.Fatal(err)
			}
			d, err := ParseDetail(ev.DetailType, raw.Detail)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(d, ev.Detail) {
				t.Errorf("ParseDetail = %+v, want %+v", d, ev.Detail)
			}
		})
	}
}

// TestExampleIdentities checks that each example's eventId is the one EventID or
// MissingEventID computes from its fields.
func TestExampleIdentities(t *testing.T) {
	for name, b := range readExamples(t) {
		ev, err := Parse(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		switch d := ev.Detail.(type) {
		case *RecordHydrated:
			if want := EventID(d.StreamARN, d.ShardID, d.SequenceNumber, d.SubSequenceNumber); d.EventID != want {
				t.Errorf("%s: eventId %s, EventID gives %s", name, d.EventID, want)
			}
		case *RecordHydrationFailed:
			if want := MissingEventID(d.StreamARN, d.ShardID, d.Missing.StartSequenceNumber, d.Missing.EndSequenceNumber); d.EventID != want {
				t.Errorf("%s: eventId %s, MissingEventID gives %s", name, d.EventID, want)
			}
		}
	}
}

// TestTypesMatchSchema compares each Go type with its schema definition: the same property
// names, and a property is required exactly when its field is always written (no omitempty
// or omitzero).
func TestTypesMatchSchema(t *testing.T) {
	files := map[string]map[string]any{}
	for _, s := range schemas.All() {
		b, err := s.Content()
		if err != nil {
			t.Fatal(err)
		}
		files[s.DetailType] = decodeAny(t, b).(map[string]any)
	}
	hydrated, failed := files[DetailTypeRecordHydrated], files[DetailTypeRecordHydrationFailed]
	def := func(file map[string]any, name string) map[string]any {
		return file["definitions"].(map[string]any)[name].(map[string]any)
	}
	tests := []struct {
		typ    reflect.Type
		schema map[string]any
	}{
		{reflect.TypeFor[Event](), hydrated},
		{reflect.TypeFor[Event](), failed},
		{reflect.TypeFor[RecordHydrated](), def(hydrated, "RecordHydrated")},
		{reflect.TypeFor[RecordHydrationFailed](), def(failed, "RecordHydrationFailed")},
		{reflect.TypeFor[FailureContext](), def(hydrated, "FailureContext")},
		{reflect.TypeFor[FunctionResponse](), def(hydrated, "FunctionResponse")},
		{reflect.TypeFor[KinesisRecord](), def(hydrated, "KinesisRecord")},
		{reflect.TypeFor[DynamoDBRecord](), def(hydrated, "DynamoDBRecord")},
		{reflect.TypeFor[Offload](), def(hydrated, "Offload")},
		{reflect.TypeFor[MissingRange](), def(failed, "MissingRange")},
	}
	for _, tt := range tests {
		t.Run(tt.typ.Name(), func(t *testing.T) {
			props := tt.schema["properties"].(map[string]any)
			var required []string
			for _, r := range tt.schema["required"].([]any) {
				required = append(required, r.(string))
			}
			fields := map[string]bool{}
			for f := range tt.typ.Fields() {
				name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
				if name == "" || name == "-" {
					t.Errorf("field %s has no JSON name", f.Name)
					continue
				}
				fields[name] = true
				if _, ok := props[name]; !ok {
					t.Errorf("field %s (%s) is not in the schema", f.Name, name)
				}
				optional := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
				if optional == slices.Contains(required, name) {
					t.Errorf("field %s: omitted when empty = %v, but required in the schema = %v", name, optional, !optional)
				}
			}
			for name := range props {
				if !fields[name] {
					t.Errorf("schema property %s has no field", name)
				}
			}
		})
	}
}

// Events built in Go, as the hydrate function builds them, validate; the zero values that
// matter are written the way the schema wants them.
func TestBuiltEvents(t *testing.T) {
	at := time.Date(2026, 11, 28, 14, 2, 11, 482e6, time.UTC)
	failure := FailureContext{
		Condition: "RetryAttemptsExhausted", FunctionARN: "arn:aws:lambda:eu-west-1:123456789012:function:f",
		RequestID: "r-1", ApproximateInvokeCount: 1, Timestamp: at, Destination: DestinationSQS,
		Response:            &FunctionResponse{StatusCode: 200, ExecutedVersion: "$LATEST"}, // functionError null
		StartSequenceNumber: testSeq, EndSequenceNumber: testSeq, BatchSize: 1,
	}
	kinesis := func(data []byte) *RecordHydrated {
		return &RecordHydrated{
			SchemaVersion: SchemaVersion, EventID: EventID(testStream, testShard, testSeq, nil),
			StreamARN: testStream, StreamType: StreamTypeKinesis, ShardID: testShard, SequenceNumber: testSeq,
			Failure: failure,
			Kinesis: &KinesisRecord{PartitionKey: "k", ApproximateArrivalTimestamp: at, Data: data, DataJSON: DataJSON(data)},
		}
	}
	event := func(d Detail) []byte {
		b, err := json.Marshal(Event{
			Version: "0", ID: "e1", DetailType: d.DetailType(), Source: DefaultSource, Account: "123456789012",
			Time: at, Region: "eu-west-1", Resources: []string{testStream}, Detail: d,
		})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	t.Run("empty record keeps an empty data", func(t *testing.T) {
		b := event(kinesis([]byte{}))
		if !bytes.Contains(b, []byte(`"data":""`)) || !bytes.Contains(b, []byte(`"functionError":null`)) {
			t.Errorf("event %s", b)
		}
		ev, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		if d := ev.Detail.(*RecordHydrated); d.Kinesis.Data == nil || len(d.Kinesis.Data) != 0 {
			t.Errorf("data = %#v, want empty and non-nil", d.Kinesis.Data)
		}
	})
	t.Run("JSON data is carried parsed too", func(t *testing.T) {
		ev, err := Parse(event(kinesis([]byte(`{"orderId": 7}`))))
		if err != nil {
			t.Fatal(err)
		}
		if got := string(ev.Detail.(*RecordHydrated).Kinesis.DataJSON); got != `{"orderId":7}` {
			t.Errorf("dataJson = %s", got)
		}
	})
	t.Run("offloaded record", func(t *testing.T) {
		d := kinesis(nil)
		d.Offload = &Offload{Bucket: "bucket", Key: "k", Size: 3, SHA256: strings.Repeat("ab", 32)}
		ev, err := Parse(event(d))
		if err != nil {
			t.Fatal(err)
		}
		if !ev.Detail.(*RecordHydrated).IsOffloaded() {
			t.Error("IsOffloaded = false")
		}
	})
	t.Run("no data and no offload is refused", func(t *testing.T) {
		_, err := Parse(event(kinesis(nil)))
		var ve *schemas.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), "detail.kinesis.data: is required") {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("failure without a response context", func(t *testing.T) {
		d := kinesis([]byte("x"))
		d.Failure.Response = nil
		d.Failure.Destination = ""
		b := event(d)
		if bytes.Contains(b, []byte(`"response"`)) || bytes.Contains(b, []byte(`"destination"`)) {
			t.Errorf("event %s", b)
		}
		if _, err := Parse(b); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("missing range", func(t *testing.T) {
		d := &RecordHydrationFailed{
			SchemaVersion: SchemaVersion, EventID: MissingEventID(testStream, testShard, testSeq, testSeq),
			StreamARN: testStream, StreamType: StreamTypeKinesis, ShardID: testShard,
			Missing: MissingRange{StartSequenceNumber: testSeq, EndSequenceNumber: testSeq, Count: 1},
			Reason:  ReasonTrimmed, Message: "trimmed", Failure: failure,
		}
		if _, err := Parse(event(d)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("DynamoDB images decode into the consumer's types", func(t *testing.T) {
		b := readExamples(t)["recordhydrated-dynamodb-insert.json"]
		ev, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		var customer struct {
			Balance json.Number `json:"balance"`
			Tags    []string    `json:"tags"`
		}
		if err := json.Unmarshal(ev.Detail.(*RecordHydrated).DynamoDB.NewImage, &customer); err != nil {
			t.Fatal(err)
		}
		if customer.Balance != "12345678901234567890.123456789" || len(customer.Tags) != 2 {
			t.Errorf("image decoded to %+v", customer)
		}
	})
}

func TestParseRejects(t *testing.T) {
	plain := readExamples(t)["recordhydrated-kinesis-plain.json"]
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"not JSON", []byte("{"), "not JSON"},
		{"another detail type", bytes.Replace(plain, []byte(`"detail-type": "RecordHydrated"`), []byte(`"detail-type": "OrderPlaced"`), 1), `"OrderPlaced" is not a Hydrant detail type`},
		{"a wrong field", bytes.Replace(plain, []byte(`"streamType": "kinesis"`), []byte(`"streamType": "kafka"`), 1), "detail.streamType"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if bytes.Equal(tt.data, plain) {
				t.Fatal("the example did not change")
			}
			ev, err := Parse(tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse = %v, %v; want an error containing %q", ev, err, tt.want)
			}
		})
	}
	if _, err := ParseDetail("OrderPlaced", []byte(`{}`)); err == nil {
		t.Error("ParseDetail accepted an unknown detail type")
	}
	var e Event
	if err := json.Unmarshal([]byte(`{"detail-type":"RecordHydrated","id":"x"}`), &e); err == nil || !strings.Contains(err.Error(), "detail is missing") {
		t.Errorf("Unmarshal without detail: %v", err)
	}
	if err := json.Unmarshal([]byte(`{"detail-type":"RecordHydrated","detail":{"streamType":7}}`), &e); err == nil {
		t.Error("Unmarshal accepted a number for streamType")
	}
}

func TestDataJSON(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{`{"a":1}`, true},
		{` [1,2]`, true},
		{`{}`, true},
		{`"text"`, false},
		{`42`, false},
		{`true`, false},
		{`{"a":`, false},
		{"{\"a\":\"\xff\"}", false},
		{`plain text`, false},
		{``, false},
	}
	for _, tt := range tests {
		if got := DataJSON([]byte(tt.in)) != nil; got != tt.want {
			t.Errorf("DataJSON(%q) set = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestOffloadVerify(t *testing.T) {
	body := []byte("hello")
	o := &Offload{Bucket: "b", Key: "k", Size: 5, SHA256: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}
	if err := o.Verify(body); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if err := o.Verify([]byte("hellO")); err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("Verify with other bytes: %v", err)
	}
	if err := o.Verify([]byte("hello!")); err == nil || !strings.Contains(err.Error(), "6 bytes") {
		t.Errorf("Verify with other size: %v", err)
	}
}

// FuzzParse: Parse never panics, and what it accepts marshals back to a valid event.
func FuzzParse(f *testing.F) {
	for _, b := range readExamples(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"detail-type":"RecordHydrated","detail":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := Parse(data)
		if err != nil {
			return
		}
		out, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if err := schemas.ValidateEvent(out); err != nil {
			t.Fatalf("accepted %s but its marshalled form does not validate: %v", data, err)
		}
	})
}

// TestConstantsMatchSchemaEnums keeps the Go constants and the schema's enumerations the same.
func TestConstantsMatchSchemaEnums(t *testing.T) {
	files := map[string]map[string]any{}
	for _, s := range schemas.All() {
		b, err := s.Content()
		if err != nil {
			t.Fatal(err)
		}
		files[s.DetailType] = decodeAny(t, b).(map[string]any)
	}
	enum := func(detailType, definition, property string) []string {
		def := files[detailType]["definitions"].(map[string]any)[definition].(map[string]any)
		var out []string
		for _, v := range def["properties"].(map[string]any)[property].(map[string]any)["enum"].([]any) {
			out = append(out, v.(string))
		}
		return out
	}
	tests := []struct {
		name   string
		schema []string
		consts []string
	}{
		{"streamType", enum(DetailTypeRecordHydrated, "RecordHydrated", "streamType"), []string{StreamTypeKinesis, StreamTypeDynamoDB}},
		{"destination", enum(DetailTypeRecordHydrated, "FailureContext", "destination"), []string{DestinationSQS, DestinationSNS, DestinationS3}},
		{"eventName", enum(DetailTypeRecordHydrated, "DynamoDBRecord", "eventName"), []string{EventNameInsert, EventNameModify, EventNameRemove}},
		{"streamViewType", enum(DetailTypeRecordHydrated, "DynamoDBRecord", "streamViewType"), []string{StreamViewKeysOnly, StreamViewNewImage, StreamViewOldImage, StreamViewNewAndOldImages}},
		{"reason", enum(DetailTypeRecordHydrationFailed, "RecordHydrationFailed", "reason"), []string{
			ReasonTrimmed, ReasonStreamNotFound, ReasonShardNotFound, ReasonAccessDenied, ReasonKMSUnavailable, ReasonNotFound, ReasonCorruptAggregate, ReasonOther,
		}},
	}
	for _, tt := range tests {
		slices.Sort(tt.schema)
		slices.Sort(tt.consts)
		if !slices.Equal(tt.schema, tt.consts) {
			t.Errorf("%s: schema enum %v, Go constants %v", tt.name, tt.schema, tt.consts)
		}
	}
	for _, dt := range []string{DetailTypeRecordHydrated, DetailTypeRecordHydrationFailed} {
		if src := files[dt]["x-amazon-events-source"]; src != DefaultSource {
			t.Errorf("%s schema: x-amazon-events-source %v, DefaultSource %s", dt, src, DefaultSource)
		}
		def := files[dt]["definitions"].(map[string]any)[dt].(map[string]any)
		if cur, _ := schemas.ForDetailType(dt); cur.Version != SchemaVersion {
			t.Errorf("%s: package schemas says version %s, SchemaVersion is %s", dt, cur.Version, SchemaVersion)
		}
		pattern := def["properties"].(map[string]any)["schemaVersion"].(map[string]any)["pattern"].(string)
		if !regexp.MustCompile(pattern).MatchString(SchemaVersion) {
			t.Errorf("%s schema: schemaVersion pattern %s refuses SchemaVersion %s", dt, pattern, SchemaVersion)
		}
	}
}

// TestOffloadRoundTrip offloads each example the way the publisher does and restores it the
// way a consumer does: the offloaded event validates, and the restored detail equals the
// original.
func TestOffloadRoundTrip(t *testing.T) {
	for name, b := range readExamples(t) {
		t.Run(name, func(t *testing.T) {
			orig, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			ev, err := Parse(b) // a second copy to offload
			if err != nil {
				t.Fatal(err)
			}
			type offloader interface {
				Detail
				OffloadBody() ([]byte, error)
				SetOffload(Offload)
				Restore([]byte) error
			}
			d := ev.Detail.(offloader)
			body, err := d.OffloadBody()
			if h, ok := d.(*RecordHydrated); ok && h.IsOffloaded() {
				if err == nil {
					t.Fatal("OffloadBody of an offloaded record succeeded")
				}
				return
			}
			if f, ok := d.(*RecordHydrationFailed); ok && f.Kinesis == nil {
				if err == nil {
					t.Fatal("OffloadBody of a failure without a record succeeded")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(body)
			ref := Offload{Bucket: "claims", Key: "k/" + name, Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:])}
			if err := d.Restore(body); err == nil {
				t.Error("Restore before SetOffload succeeded")
			}
			d.SetOffload(ref)
			out, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			if err := schemas.ValidateEvent(out); err != nil {
				t.Fatalf("offloaded event does not validate: %v", err)
			}
			again, err := Parse(out)
			if err != nil {
				t.Fatal(err)
			}
			restored := again.Detail.(offloader)
			if err := restored.Restore(append(body, 'x')); err == nil {
				t.Error("Restore accepted other bytes")
			}
			if err := restored.Restore(body); err != nil {
				t.Fatal(err)
			}
			want, _ := json.Marshal(orig.Detail)
			got, _ := json.Marshal(restored)
			if !bytes.Equal(got, want) {
				t.Errorf("restored detail differs:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	ex := readExamples(b)
	for _, name := range []string{"recordhydrated-kinesis-json.json", "recordhydrated-dynamodb-insert.json"} {
		b.Run(strings.TrimSuffix(name, ".json"), func(b *testing.B) {
			event := ex[name]
			b.SetBytes(int64(len(event)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(event); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestCheck(t *testing.T) {
	ex := readExamples(t)
	for name, b := range ex {
		ev, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		if err := Check(ev.Detail); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	parse := func(name string) Detail {
		ev, err := Parse(ex[name])
		if err != nil {
			t.Fatal(err)
		}
		return ev.Detail
	}
	tests := []struct {
		name   string
		detail func() Detail
		want   string
	}{
		{"record identity of another record", func() Detail {
			d := parse("recordhydrated-kinesis-kpl.json").(*RecordHydrated)
			d.SubSequenceNumber = ptr[int64](3)
			return d
		}, "eventId d982e1cdee0da02606156ee2b29454eb, want"},
		{"record identity on a failure", func() Detail {
			d := parse("recordhydrationfailed-corrupt-aggregate.json").(*RecordHydrationFailed)
			d.EventID = EventID(d.StreamARN, d.ShardID, d.Missing.StartSequenceNumber, nil)
			return d
		}, "(MissingEventID of"},
		{"record after its batch", func() Detail {
			d := parse("recordhydrated-kinesis-plain.json").(*RecordHydrated)
			d.Failure.EndSequenceNumber = "49656110238473859283742908321478920718632199047364018225" // one before the record
			return d
		}, "sequenceNumber 49656110238473859283742908321478920718632199047364018226 is after failure.endSequenceNumber"},
		{"record before its batch, by a longer number", func() Detail {
			d := parse("recordhydrated-dynamodb-insert.json").(*RecordHydrated)
			d.Failure.StartSequenceNumber = "10000000000000000000000" // 23 digits: after the 22-digit record
			return d
		}, "failure.startSequenceNumber 10000000000000000000000 is after sequenceNumber"},
		{"reversed missing range", func() Detail {
			d := parse("recordhydrationfailed-trimmed.json").(*RecordHydrationFailed)
			d.Missing.StartSequenceNumber, d.Missing.EndSequenceNumber = d.Missing.EndSequenceNumber, d.Missing.StartSequenceNumber
			d.EventID = MissingEventID(d.StreamARN, d.ShardID, d.Missing.StartSequenceNumber, d.Missing.EndSequenceNumber)
			return d
		}, "missing.startSequenceNumber 49656110238473859283742908321491009823475028394857660466 is after"},
		{"not a number", func() Detail {
			d := parse("recordhydrationfailed-trimmed.json").(*RecordHydrationFailed)
			d.Missing.EndSequenceNumber = "x"
			return d
		}, `missing.endSequenceNumber "x" is not a decimal integer`},
		{"no detail", func() Detail { return nil }, "no detail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.detail())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Check = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
