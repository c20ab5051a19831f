package schemas

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// readExamples returns every example event by file name.
func readExamples(t testing.TB) map[string][]byte {
	t.Helper()
	out, err := Examples()
	if err != nil || len(out) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	return out
}

func decode(t testing.TB, b []byte) map[string]any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestExamplesValidate(t *testing.T) {
	for name, b := range readExamples(t) {
		t.Run(name, func(t *testing.T) {
			if err := ValidateEvent(b); err != nil {
				t.Fatalf("ValidateEvent: %v", err)
			}
			ev := decode(t, b)
			detail, err := json.Marshal(ev["detail"])
			if err != nil {
				t.Fatal(err)
			}
			if err := ValidateDetail(ev["detail-type"].(string), detail); err != nil {
				t.Fatalf("ValidateDetail: %v", err)
			}
			// The examples are examples of the contract in ARCHITECTURE.md too.
			d := ev["detail"].(map[string]any)
			if res := ev["resources"].([]any); len(res) != 1 || res[0] != d["streamArn"] {
				t.Errorf("resources = %v, want [detail.streamArn]", res)
			}
			if ev["source"] != "hydrant" {
				t.Errorf("source = %v, want the default, hydrant", ev["source"])
			}
		})
	}
}

// TestExamplesCoverEveryCase keeps the example set complete: every kind of record, both
// events, every on-failure destination, both shapes of the function's response.
func TestExamplesCoverEveryCase(t *testing.T) {
	seen := map[string]bool{}
	for _, b := range readExamples(t) {
		ev := decode(t, b)
		d := ev["detail"].(map[string]any)
		f := d["failure"].(map[string]any)
		seen["detail-type "+ev["detail-type"].(string)] = true
		seen["streamType "+d["streamType"].(string)] = true
		seen["destination "+f["destination"].(string)] = true
		if r, ok := f["response"].(map[string]any); !ok {
			seen["no response"] = true
		} else if r["functionError"] == nil {
			seen["functionError null"] = true
		} else {
			seen["functionError set"] = true
		}
		for _, k := range []string{"subSequenceNumber", "offload", "reason"} {
			if v, ok := d[k]; ok {
				seen[k] = true
				if s, ok := v.(string); ok {
					seen[k+" "+s] = true
				}
			}
		}
		if k, ok := d["kinesis"].(map[string]any); ok {
			for _, f := range []string{"data", "dataJson", "explicitHashKey"} {
				if _, ok := k[f]; ok {
					seen["kinesis."+f] = true
				}
			}
		}
		if db, ok := d["dynamodb"].(map[string]any); ok {
			seen["eventName "+db["eventName"].(string)] = true
		}
	}
	for _, want := range []string{
		"detail-type RecordHydrated", "detail-type RecordHydrationFailed",
		"streamType kinesis", "streamType dynamodb",
		"destination sqs", "destination sns", "destination s3",
		"no response", "functionError null", "functionError set",
		"subSequenceNumber", "offload", "kinesis.data", "kinesis.dataJson", "kinesis.explicitHashKey",
		"eventName INSERT", "eventName MODIFY", "eventName REMOVE",
		"reason trimmed", "reason corrupt-aggregate",
	} {
		if !seen[want] {
			t.Errorf("no example has %s", want)
		}
	}
}

// draft4Keywords are the keywords of JSON Schema draft 4 (validation and metadata). The
// validator ignores keywords it does not know, so a later-draft keyword such as "const" would
// silently check nothing; the registry expects draft 4 too.
var draft4Keywords = map[string]bool{
	"$schema": true, "id": true, "$ref": true, "title": true, "description": true, "default": true,
	"multipleOf": true, "maximum": true, "exclusiveMaximum": true, "minimum": true, "exclusiveMinimum": true,
	"maxLength": true, "minLength": true, "pattern": true, "additionalItems": true, "items": true,
	"maxItems": true, "minItems": true, "uniqueItems": true, "maxProperties": true, "minProperties": true,
	"required": true, "additionalProperties": true, "definitions": true, "properties": true,
	"patternProperties": true, "dependencies": true, "enum": true, "type": true, "format": true,
	"allOf": true, "anyOf": true, "oneOf": true, "not": true,
}

// draft4Formats are the formats draft 4 defines.
var draft4Formats = map[string]bool{"date-time": true, "email": true, "hostname": true, "ipv4": true, "ipv6": true, "uri": true}

func TestSchemasUseDraft4Only(t *testing.T) {
	for _, s := range All() {
		t.Run(s.File, func(t *testing.T) {
			b, err := s.Content()
			if err != nil {
				t.Fatal(err)
			}
			doc := decode(t, b)
			if doc["$schema"] != "http://json-schema.org/draft-04/schema#" {
				t.Errorf("$schema = %v, want draft 4", doc["$schema"])
			}
			checkDraft4(t, "#", doc)

			// And the file is a valid draft 4 schema by the draft's own meta-schema.
			meta, err := jsonschema.NewCompiler().Compile("http://json-schema.org/draft-04/schema#")
			if err != nil {
				t.Fatal(err)
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if err := meta.Validate(inst); err != nil {
				t.Errorf("not valid against the draft 4 meta-schema: %v", err)
			}
			inst.(map[string]any)["minProperties"] = "one" // a control: the meta-schema does check
			if err := meta.Validate(inst); err == nil {
				t.Error("the meta-schema accepted minProperties \"one\"")
			}
		})
	}
}

func checkDraft4(t *testing.T, at string, sch map[string]any) {
	for k, v := range sch {
		if strings.HasPrefix(k, "x-") {
			continue // registry extensions such as x-amazon-events-source
		}
		if !draft4Keywords[k] {
			t.Errorf("%s: %q is not a draft 4 keyword", at, k)
			continue
		}
		switch k {
		case "properties", "definitions", "patternProperties":
			for name, sub := range v.(map[string]any) {
				checkDraft4(t, at+"/"+k+"/"+name, sub.(map[string]any))
			}
		case "dependencies":
			for name, sub := range v.(map[string]any) {
				if m, ok := sub.(map[string]any); ok {
					checkDraft4(t, at+"/"+k+"/"+name, m)
				}
			}
		case "items", "additionalItems", "additionalProperties", "not":
			if m, ok := v.(map[string]any); ok {
				checkDraft4(t, at+"/"+k, m)
			}
		case "allOf", "anyOf", "oneOf":
			for i, sub := range v.([]any) {
				checkDraft4(t, at+"/"+k+"/"+strconv.Itoa(i), sub.(map[string]any))
			}
		case "exclusiveMinimum", "exclusiveMaximum":
			if _, ok := v.(bool); !ok {
				t.Errorf("%s/%s: must be a boolean in draft 4", at, k)
			}
		case "format":
			if !draft4Formats[v.(string)] {
				t.Errorf("%s: format %q is not a draft 4 format", at, v)
			}
		case "$ref":
			if ref := v.(string); !strings.HasPrefix(ref, "#/definitions/") {
				t.Errorf("%s: $ref %q leaves the file: registry schemas are self-contained", at, ref)
			}
			if len(sch) > 1 {
				t.Errorf("%s: keywords beside $ref are ignored in draft 4", at)
			}
		}
	}
}

// TestRegistryShape checks each file has the shape the schema registry exports for
// JSONSchemaDraft4: the whole event, with the detail as a definition and the registry's
// x-amazon-events-* annotations.
func TestRegistryShape(t *testing.T) {
	envelope := []string{"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}
	seen := map[string]bool{}
	for _, s := range All() {
		t.Run(s.File, func(t *testing.T) {
			if seen[s.Name] {
				t.Errorf("registry name %s used twice", s.Name)
			}
			seen[s.Name] = true
			b, err := s.Content()
			if err != nil {
				t.Fatal(err)
			}
			onDisk, err := os.ReadFile(s.File)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, onDisk) {
				t.Error("embedded content differs from the file")
			}
			doc := decode(t, b)
			if doc["x-amazon-events-detail-type"] != s.DetailType || doc["x-amazon-events-source"] != "hydrant" || doc["title"] != s.DetailType {
				t.Errorf("annotations: detail-type %v, source %v, title %v", doc["x-amazon-events-detail-type"], doc["x-amazon-events-source"], doc["title"])
			}
			props := doc["properties"].(map[string]any)
			if ref := props["detail"].(map[string]any)["$ref"]; ref != "#/definitions/"+s.Definition {
				t.Errorf("detail $ref = %v, want #/definitions/%s", ref, s.Definition)
			}
			if enum := props["detail-type"].(map[string]any)["enum"]; !reflect.DeepEqual(enum, []any{s.DetailType}) {
				t.Errorf("detail-type enum = %v", enum)
			}
			var required []string
			for _, r := range doc["required"].([]any) {
				required = append(required, r.(string))
			}
			for _, f := range envelope {
				if !slices.Contains(required, f) {
					t.Errorf("envelope field %s is not required", f)
				}
			}
			def, ok := doc["definitions"].(map[string]any)[s.Definition].(map[string]any)
			if !ok {
				t.Fatalf("no definition %s", s.Definition)
			}
			pattern := def["properties"].(map[string]any)["schemaVersion"].(map[string]any)["pattern"].(string)
			if !regexp.MustCompile(pattern).MatchString(s.Version) || !strings.HasPrefix(s.Version, strconv.Itoa(s.Major)+".") {
				t.Errorf("version %s (major %d) does not fit the schemaVersion pattern %s", s.Version, s.Major, pattern)
			}
			if !strings.Contains(s.File, ".v"+strconv.Itoa(s.Major)+".") {
				t.Errorf("file %s is not named for major version %d", s.File, s.Major)
			}
			if cur, ok := ForDetailType(s.DetailType); !ok || cur.File != s.File {
				t.Errorf("ForDetailType(%s) = %v, %v", s.DetailType, cur, ok)
			}
		})
	}
	if _, ok := ForDetailType("OrderPlaced"); ok {
		t.Error("ForDetailType found a schema for an unknown detail type")
	}
}

// TestSharedDefinitionsAgree: the files are self-contained, so definitions they share are
// copies; they must stay identical.
func TestSharedDefinitionsAgree(t *testing.T) {
	var docs []map[string]any
	for _, s := range All() {
		b, err := s.Content()
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, decode(t, b))
	}
	a, b := docs[0], docs[1]
	adefs, bdefs := a["definitions"].(map[string]any), b["definitions"].(map[string]any)
	shared := 0
	for name, def := range adefs {
		if other, ok := bdefs[name]; ok {
			shared++
			if !reflect.DeepEqual(def, other) {
				t.Errorf("definition %s differs between the files", name)
			}
		}
	}
	if shared < 4 {
		t.Errorf("only %d shared definitions; FailureContext, FunctionResponse, KinesisRecord and Offload are expected", shared)
	}
	ad := adefs["RecordHydrated"].(map[string]any)["properties"].(map[string]any)
	bd := bdefs["RecordHydrationFailed"].(map[string]any)["properties"].(map[string]any)
	for _, p := range []string{"schemaVersion", "streamArn", "streamType", "shardId", "failure", "kinesis", "offload"} {
		if !reflect.DeepEqual(ad[p], bd[p]) {
			t.Errorf("detail property %s differs between the files", p)
		}
	}
	for _, p := range []string{"version", "id", "source", "account", "time", "region", "resources"} {
		if !reflect.DeepEqual(a["properties"].(map[string]any)[p], b["properties"].(map[string]any)[p]) {
			t.Errorf("envelope property %s differs between the files", p)
		}
	}
}

// mutate returns the example with the value at path (dot-separated) replaced by v, or
// deleted when v is deleteField.
func mutate(t testing.TB, example []byte, path string, v any) []byte {
	t.Helper()
	doc := decode(t, example)
	keys := strings.Split(path, ".")
	m := doc
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	last := keys[len(keys)-1]
	if v == deleteField {
		if _, ok := m[last]; !ok {
			t.Fatalf("mutate: %s is not in the example", path)
		}
		delete(m, last)
	} else {
		m[last] = v
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type deleteMarker struct{}

var deleteField = deleteMarker{}

func TestInvalidEvents(t *testing.T) {
	ex := readExamples(t)
	plain := ex["recordhydrated-kinesis-plain.json"]
	offloaded := ex["recordhydrated-kinesis-offloaded.json"]
	ddb := ex["recordhydrated-dynamodb-insert.json"]
	trimmed := ex["recordhydrationfailed-trimmed.json"]
	corrupt := ex["recordhydrationfailed-corrupt-aggregate.json"]

	tests := []struct {
		name    string
		event   []byte
		path    string
		value   any
		field   string // the Problem's Field
		message string // a part of its Message
	}{
		{"missing event id", plain, "detail.eventId", deleteField, "detail.eventId", "is required"},
		{"missing failure context field", plain, "detail.failure.requestId", deleteField, "detail.failure.requestId", "is required"},
		{"missing envelope source", plain, "source", deleteField, "source", "is required"},
		{"wrong stream type", plain, "detail.streamType", "firehose", "detail.streamType", "must be one of"},
		{"wrong destination", plain, "detail.failure.destination", "email", "detail.failure.destination", "must be one of"},
		{"wrong event name", ddb, "detail.dynamodb.eventName", "UPSERT", "detail.dynamodb.eventName", "must be one of"},
		{"wrong reason", trimmed, "detail.reason", "expired", "detail.reason", "must be one of"},
		{"batch size as a string", plain, "detail.failure.batchSize", "500", "detail.failure.batchSize", "want integer"},
		{"sequence number as a number", plain, "detail.sequenceNumber", json.Number("49656110238473859283742908321478920718632199047364018226"), "detail.sequenceNumber", "want string"},
		{"sequence number not decimal", plain, "detail.sequenceNumber", "0x1f", "detail.sequenceNumber", "does not match pattern"},
		{"function error a number", plain, "detail.failure.response.functionError", 42, "detail.failure.response.functionError", "want null or string"},
		{"data JSON a string", plain, "detail.kinesis.dataJson", "hello", "detail.kinesis.dataJson", "want array or object"},
		{"data not base64", plain, "detail.kinesis.data", "not base64!", "detail.kinesis.data", "does not match pattern"},
		{"negative sub-sequence number", plain, "detail.subSequenceNumber", -1, "detail.subSequenceNumber", "minimum"},
		{"bad timestamp", plain, "detail.failure.timestamp", "yesterday", "detail.failure.timestamp", "date-time"},
		{"bad envelope time", plain, "time", "2026-11-28 14:02", "time", "date-time"},
		{"no resources", plain, "resources", []any{}, "resources", "minItems"},
		{"newer major version", plain, "detail.schemaVersion", "2.0", "detail.schemaVersion", "does not match pattern"},
		{"event id not hex", plain, "detail.eventId", "SEQ-1", "detail.eventId", "does not match pattern"},
		{"sha256 upper case", offloaded, "detail.offload.sha256", strings.Repeat("AB", 32), "detail.offload.sha256", "does not match pattern"},
		{"kinesis data missing without offload", plain, "detail.kinesis.data", deleteField, "detail", "detail.kinesis.data: is required"},
		{"data beside an offload", offloaded, "detail.kinesis.data", "aGVsbG8=", "detail.kinesis.data", "must be absent (as offload is present)"},
		{"kinesis record on a dynamodb event", ddb, "detail.kinesis", map[string]any{"partitionKey": "k", "approximateArrivalTimestamp": "2026-11-28T13:58:41Z", "data": ""}, "detail.streamType", "must be 'kinesis' (as kinesis is present)"},
		{"no record at all", ddb, "detail.dynamodb", deleteField, "detail", "detail.kinesis: is required, or detail.dynamodb: is required"},
		{"sub-sequence number on dynamodb", ddb, "detail.subSequenceNumber", 1, "detail.streamType", "must be 'kinesis' (as subSequenceNumber is present)"},
		{"corrupt aggregate without the record", corrupt, "detail.kinesis", deleteField, "detail", `detail.reason: must not be "corrupt-aggregate", or detail.kinesis: is required`},
		{"missing count zero", trimmed, "detail.missing.count", 0, "detail.missing.count", "minimum"},
		{"failed event without a message", trimmed, "detail.message", deleteField, "detail.message", "is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			event := mutate(t, tt.event, tt.path, tt.value)
			err := ValidateEvent(event)
			assertProblem(t, err, tt.field, tt.message)

			// The same fault found through ValidateDetail carries the same path.
			if strings.HasPrefix(tt.field, "detail") {
				ev := decode(t, event)
				detail, _ := json.Marshal(ev["detail"])
				assertProblem(t, ValidateDetail(ev["detail-type"].(string), detail), tt.field, tt.message)
			}
		})
	}
}

func assertProblem(t *testing.T, err error, field, message string) {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error = %v, want a *ValidationError", err)
	}
	for _, p := range ve.Problems {
		if p.Field == field && strings.Contains(p.Message, message) {
			if !strings.Contains(err.Error(), field+": ") {
				t.Errorf("Error() %q does not name %s", err.Error(), field)
			}
			return
		}
	}
	t.Errorf("no problem at %s containing %q in: %v", field, message, err)
}

func TestValidateRejectsWhatIsNotAHydrantEvent(t *testing.T) {
	plain := readExamples(t)["recordhydrated-kinesis-plain.json"]
	tests := []struct {
		name  string
		run   func() error
		field string // set when a *ValidationError is expected
		want  string
	}{
		{"unknown detail type", func() error { return ValidateEvent(mutate(t, plain, "detail-type", "OrderPlaced")) }, "detail-type", `"OrderPlaced" is not a Hydrant detail type`},
		{"failed detail under RecordHydrated", func() error {
			return ValidateEvent(mutate(t, readExamples(t)["recordhydrationfailed-trimmed.json"], "detail-type", "RecordHydrated"))
		}, "detail.sequenceNumber", "is required"},
		{"no detail type", func() error { return ValidateEvent(mutate(t, plain, "detail-type", deleteField)) }, "detail-type", "is required"},
		{"detail type not a string", func() error { return ValidateEvent(mutate(t, plain, "detail-type", 7)) }, "detail-type", "want string"},
		{"event not JSON", func() error { return ValidateEvent([]byte(`{"version":`)) }, "", "not JSON"},
		{"event not an object", func() error { return ValidateEvent([]byte(`[1,2]`)) }, "", "not a JSON object"},
		{"detail not JSON", func() error { return ValidateDetail("RecordHydrated", []byte(`nope`)) }, "", "not JSON"},
		{"detail not an object", func() error { return ValidateDetail("RecordHydrated", []byte(`"x"`)) }, "detail", "want object"},
		{"detail of an unknown type", func() error { return ValidateDetail("OrderPlaced", []byte(`{}`)) }, "", `"OrderPlaced" is not a Hydrant detail type`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if tt.field != "" {
				assertProblem(t, err, tt.field, tt.want)
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// A bad value of a megabyte is not quoted whole in the error.
func TestLongValuesAreShortenedInErrors(t *testing.T) {
	plain := readExamples(t)["recordhydrated-kinesis-plain.json"]
	bad := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 1<<20)) + "!"
	err := ValidateEvent(mutate(t, plain, "detail.kinesis.data", bad))
	assertProblem(t, err, "detail.kinesis.data", "does not match pattern")
	if n := len(err.Error()); n > 1000 {
		t.Errorf("error is %d bytes long", n)
	}
}

func BenchmarkValidateEvent(b *testing.B) {
	ex := readExamples(b)
	big := mutate(b, ex["recordhydrated-kinesis-plain.json"], "detail.kinesis.data",
		base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("0123456789abcdef"), 12*1024))) // 192 KiB of data
	for _, bc := range []struct {
		name  string
		event []byte
	}{
		{"kinesis-json", ex["recordhydrated-kinesis-json.json"]},
		{"dynamodb-insert", ex["recordhydrated-dynamodb-insert.json"]},
		{"kinesis-192KiB", big},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.event)))
			b.ReportAllocs()
			for b.Loop() {
				if err := ValidateEvent(bc.event); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The hand-written base64 matcher agrees with the pattern it stands in for.
func TestBase64MatcherAgreesWithPattern(t *testing.T) {
	re := regexp.MustCompile(base64Pattern)
	inputs := []string{"", "=", "==", "===", "aGVsbG8=", "aGVsbA==", "aGVsbA===", "a=b", "ab+/", "ab-_", "é", "abc\n", "=abc", "AAAA", strings.Repeat("Zz09+/", 100) + "=="}
	for _, in := range inputs {
		if got, want := (base64Matcher{}).MatchString(in), re.MatchString(in); got != want {
			t.Errorf("MatchString(%q) = %v, regexp says %v", in, got, want)
		}
	}
	if _, err := compileRegexp("^[0-9]+$"); err != nil {
		t.Error(err)
	}
	if _, err := compileRegexp("("); err == nil {
		t.Error("a bad pattern compiled")
	}
}

// Validation is used from concurrent publishers: run it from several goroutines (go test
// -race checks the shared validator).
func TestValidateConcurrently(t *testing.T) {
	ex := readExamples(t)
	v, err := NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2*8*len(ex))
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, b := range ex {
				errs <- v.ValidateEvent(b)
				errs <- ValidateEvent(b)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
