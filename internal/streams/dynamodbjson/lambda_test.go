package dynamodbjson

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// LambdaItem is the reverse of ParseItem: every attribute type survives the round trip
// through the DynamoDB JSON a Lambda event carries.
func TestLambdaItemRoundTripsThroughParseItem(t *testing.T) {
	item := map[string]types.AttributeValue{
		"s":    &types.AttributeValueMemberS{Value: "x"},
		"n":    &types.AttributeValueMemberN{Value: "12345678901234567890123456789012345678"},
		"b":    &types.AttributeValueMemberB{Value: []byte{0, 255}},
		"bool": &types.AttributeValueMemberBOOL{Value: true},
		"null": &types.AttributeValueMemberNULL{Value: true},
		"ss":   &types.AttributeValueMemberSS{Value: []string{"a", "b"}},
		"ns":   &types.AttributeValueMemberNS{Value: []string{"1", "2.5"}},
		"bs":   &types.AttributeValueMemberBS{Value: [][]byte{{1}, {2}}},
		"l":    &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "y"}}},
		"m":    &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": &types.AttributeValueMemberN{Value: "3"}}},
	}
	raw, err := json.Marshal(LambdaItem(item))
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseItem(raw)
	if err != nil {
		t.Fatalf("ParseItem(%s): %v", raw, err)
	}
	want, _ := Item(item)
	got, _ := Item(back)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip changed the item:\n got %v\nwant %v\nvia %s", got, want, raw)
	}
	if LambdaItem(nil) != nil {
		t.Fatal("a nil image must stay nil")
	}
}
