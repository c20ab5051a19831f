package dynamodbjson_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/hydrant-dev/hydrant/internal/streams/dynamodbjson"
)

const big38 = "12345678901234567890123456789012345678" // DynamoDB's 38 significant digits

// Each case is one attribute, given both as a typed value and as DynamoDB JSON,
// and the plain JSON both must produce.
var cases = []struct {
	name   string
	typed  types.AttributeValue
	dynamo string
	want   string
}{
	{"S", &types.AttributeValueMemberS{Value: "héllo \"q\""}, `{"S":"héllo \"q\""}`, `"héllo \"q\""`},
	{"empty S", &types.AttributeValueMemberS{Value: ""}, `{"S":""}`, `""`},
	{"N integer", &types.AttributeValueMemberN{Value: "42"}, `{"N":"42"}`, `42`},
	{"N 38 digits", &types.AttributeValueMemberN{Value: big38}, `{"N":"` + big38 + `"}`, big38},
	{"N negative 38 digits", &types.AttributeValueMemberN{Value: "-" + big38}, `{"N":"-` + big38 + `"}`, "-" + big38},
	{"N tiny", &types.AttributeValueMemberN{Value: "1E-130"}, `{"N":"1E-130"}`, `1E-130`},
	{"N fraction", &types.AttributeValueMemberN{Value: "0.10000000000000000000000000000000000001"}, `{"N":"0.10000000000000000000000000000000000001"}`, `0.10000000000000000000000000000000000001`},
	{"B", &types.AttributeValueMemberB{Value: []byte{0, 1, 254, 255}}, `{"B":"AAH+/w=="}`, `"AAH+/w=="`},
	{"empty B", &types.AttributeValueMemberB{Value: []byte{}}, `{"B":""}`, `""`},
	{"BOOL true", &types.AttributeValueMemberBOOL{Value: true}, `{"BOOL":true}`, `true`},
	{"BOOL false", &types.AttributeValueMemberBOOL{Value: false}, `{"BOOL":false}`, `false`},
	{"NULL", &types.AttributeValueMemberNULL{Value: true}, `{"NULL":true}`, `null`},
	{"SS", &types.AttributeValueMemberSS{Value: []string{"a", "b"}}, `{"SS":["a","b"]}`, `["a","b"]`},
	{"NS", &types.AttributeValueMemberNS{Value: []string{"1", big38, "-0.5"}}, `{"NS":["1","` + big38 + `","-0.5"]}`, `[1,` + big38 + `,-0.5]`},
	{"BS", &types.AttributeValueMemberBS{Value: [][]byte{{0}, {255, 255}}}, `{"BS":["AA==","//8="]}`, `["AA==","//8="]`},
	{"empty L", &types.AttributeValueMemberL{Value: []types.AttributeValue{}}, `{"L":[]}`, `[]`},
	{"empty M", &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}, `{"M":{}}`, `{}`},
	{
		"nested L and M",
		&types.AttributeValueMemberL{Value: []types.AttributeValue{
			&types.AttributeValueMemberN{Value: big38},
			&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
				"bin":  &types.AttributeValueMemberB{Value: []byte("hi")},
				"none": &types.AttributeValueMemberNULL{Value: true},
				"list": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberSS{Value: []string{"x"}}}},
			}},
		}},
		`{"L":[{"N":"` + big38 + `"},{"M":{"bin":{"B":"aGk="},"none":{"NULL":true},"list":{"L":[{"SS":["x"]}]}}}]}`,
		`[` + big38 + `,{"bin":"aGk=","list":[["x"]],"none":null}]`,
	},
}

func TestValue(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fromTyped, err := dynamodbjson.Value(tc.typed)
			if err != nil {
				t.Fatalf("Value: %v", err)
			}
			assertJSON(t, "typed", fromTyped, tc.want)

			av, err := dynamodbjson.ParseValue(json.RawMessage(tc.dynamo))
			if err != nil {
				t.Fatalf("ParseValue: %v", err)
			}
			fromDynamo, err := dynamodbjson.Value(av)
			if err != nil {
				t.Fatalf("Value(ParseValue): %v", err)
			}
			assertJSON(t, "DynamoDB JSON", fromDynamo, tc.want)
		})
	}
}

func TestItem(t *testing.T) {
	got, err := dynamodbjson.Item(map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "a"},
		"n":  &types.AttributeValueMemberN{Value: big38},
	})
	if err != nil {
		t.Fatal(err)
	}
	assertJSON(t, "item", got, `{"n":`+big38+`,"pk":"a"}`)

	if got, err := dynamodbjson.Item(nil); got != nil || err != nil {
		t.Errorf("Item(nil) = %v, %v; want nil, nil (an absent image stays absent)", got, err)
	}
	if got, err := dynamodbjson.ParseItem(json.RawMessage(" null ")); got != nil || err != nil {
		t.Errorf("ParseItem(null) = %v, %v; want nil, nil", got, err)
	}
	// Numbers keep every digit: decoding into float64 would round this.
	got, err = dynamodbjson.Item(map[string]types.AttributeValue{"n": &types.AttributeValueMemberN{Value: "9007199254740993"}})
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := got["n"].(json.Number); !ok || n.String() != "9007199254740993" {
		t.Errorf("n = %#v, want json.Number 9007199254740993", got["n"])
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name, dynamo, want string
	}{
		{"not an object", `{"a":"x"}`, `attribute "a": attribute value must be an object`},
		{"two type keys", `{"a":{"S":"x","N":"1"}}`, `attribute "a": attribute value must have exactly one type key, has 2`},
		{"no type key", `{"a":{}}`, `exactly one type key, has 0`},
		{"unknown type", `{"a":{"X":"1"}}`, `unknown attribute type "X"`},
		{"bad number", `{"a":{"N":"1e"}}`, `attribute "a": N: "1e" is not a number`},
		{"number with plus", `{"a":{"N":"+1"}}`, `"+1" is not a number`},
		{"bad base64", `{"a":{"B":"!!"}}`, `attribute "a": B: not base64`},
		{"nested path", `{"a":{"M":{"b":{"L":[{"S":"ok"},{"NS":["1","x"]}]}}}}`, `attribute "a": M: attribute "b": L[1]: NS[1]: "x" is not a number`},
		{"S not string", `{"a":{"S":1}}`, `attribute "a": S:`},
		{"M null", `{"a":{"M":null}}`, `M: null`},
		{"item not object", `[1]`, `DynamoDB JSON item`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dynamodbjson.ParseItem(json.RawMessage(tc.dynamo))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParseItem(%s) error = %v, want it to contain %q", tc.dynamo, err, tc.want)
			}
		})
	}
	_, err := dynamodbjson.Item(map[string]types.AttributeValue{"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"n": &types.AttributeValueMemberN{Value: "NaN"}}}})
	if err == nil || !strings.Contains(err.Error(), `attribute "m": M: attribute "n": N "NaN" is not a number`) {
		t.Errorf("Item with NaN: error = %v", err)
	}
	_, err = dynamodbjson.Value(nil)
	if err == nil {
		t.Error("Value(nil): no error")
	}
}

func FuzzParseItem(f *testing.F) {
	for _, tc := range cases {
		f.Add(`{"a":` + tc.dynamo + `}`)
	}
	f.Fuzz(func(t *testing.T, s string) {
		item, err := dynamodbjson.ParseItem(json.RawMessage(s))
		if err != nil {
			return
		}
		v, err := dynamodbjson.Item(item)
		if err != nil {
			t.Fatalf("ParseItem accepted %q but Item failed: %v", s, err)
		}
		if _, err := json.Marshal(v); err != nil {
			t.Fatalf("ParseItem accepted %q but the plain JSON does not marshal: %v", s, err)
		}
	})
}

func assertJSON(t *testing.T, what string, v any, want string) {
	t.Helper()
	got, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: marshal: %v", what, err)
	}
	if string(got) != want {
		t.Errorf("%s: got %s, want %s", what, got, want)
	}
}
