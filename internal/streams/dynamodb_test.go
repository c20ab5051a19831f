//go:build integration

package streams_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/hydrant-dev/hydrant/internal/streams"
	"github.com/hydrant-dev/hydrant/internal/testkit/emulators"
)

// ddbTable is a table with a NEW_AND_OLD_IMAGES stream on DynamoDB Local.
type ddbTable struct {
	db      *dynamodb.Client
	streams *dynamodbstreams.Client
	name    string
	arn     string // stream ARN (region ddblocal: passed through untouched)
	shard   string
}

func newDDBTable(t testing.TB) ddbTable {
	t.Helper()
	e := emulators.Get(t)
	tb := ddbTable{db: e.DynamoDBClient(), streams: e.DynamoDBStreamsClient(), name: uniqueName("streams")}
	out, err := tb.db.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String(tb.name),
		AttributeDefinitions: []dtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: dtypes.ScalarAttributeTypeS}},
		KeySchema:            []dtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: dtypes.KeyTypeHash}},
		BillingMode:          dtypes.BillingModePayPerRequest,
		StreamSpecification:  &dtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: dtypes.StreamViewTypeNewAndOldImages},
	})
	if err != nil {
		t.Fatalf("create table: %v", err)
	}
	t.Cleanup(func() {
		if _, err := tb.db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(tb.name)}); err != nil {
			t.Errorf("delete table %s: %v", tb.name, err)
		}
	})
	tb.arn = aws.ToString(out.TableDescription.LatestStreamArn)
	desc, err := tb.streams.DescribeStream(context.Background(), &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(tb.arn)})
	if err != nil {
		t.Fatalf("describe stream: %v", err)
	}
	tb.shard = aws.ToString(desc.StreamDescription.Shards[0].ShardId)
	return tb
}

// records returns every record of the shard, read from TRIM_HORIZON with the raw API.
func (tb ddbTable) records(t testing.TB) []stypes.Record {
	t.Helper()
	it, err := tb.streams.GetShardIterator(context.Background(), &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(tb.arn), ShardId: aws.String(tb.shard), ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon})
	if err != nil {
		t.Fatal(err)
	}
	var all []stypes.Record
	next := it.ShardIterator
	for next != nil {
		out, err := tb.streams.GetRecords(context.Background(), &dynamodbstreams.GetRecordsInput{ShardIterator: next})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Records) == 0 {
			break
		}
		all = append(all, out.Records...)
		next = out.NextShardIterator
	}
	return all
}

func (tb ddbTable) put(t testing.TB, item map[string]dtypes.AttributeValue) {
	t.Helper()
	if _, err := tb.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(tb.name), Item: item}); err != nil {
		t.Fatalf("put item: %v", err)
	}
}

func seqOf(r stypes.Record) string { return aws.ToString(r.Dynamodb.SequenceNumber) }

func ddbReader(t testing.TB, client streams.DynamoDBStreamsAPI, opts streams.Options) *streams.DynamoDBReader {
	opts.Logger = testLogger(t)
	return streams.NewDynamoDBReader(client, opts)
}

// An item with every attribute type.
func everyType() map[string]dtypes.AttributeValue {
	return map[string]dtypes.AttributeValue{
		"pk":   &dtypes.AttributeValueMemberS{Value: "item-1"},
		"s":    &dtypes.AttributeValueMemberS{Value: "héllo"},
		"n":    &dtypes.AttributeValueMemberN{Value: big38},
		"neg":  &dtypes.AttributeValueMemberN{Value: "-0.000000000000000000000000000000000001"},
		"b":    &dtypes.AttributeValueMemberB{Value: []byte{0, 1, 2, 253, 254, 255}},
		"t":    &dtypes.AttributeValueMemberBOOL{Value: true},
		"f":    &dtypes.AttributeValueMemberBOOL{Value: false},
		"null": &dtypes.AttributeValueMemberNULL{Value: true},
		"ss":   &dtypes.AttributeValueMemberSS{Value: []string{"a"}},
		"ns":   &dtypes.AttributeValueMemberNS{Value: []string{big38}},
		"bs":   &dtypes.AttributeValueMemberBS{Value: [][]byte{{255}}},
		"l": &dtypes.AttributeValueMemberL{Value: []dtypes.AttributeValue{
			&dtypes.AttributeValueMemberS{Value: "x"},
			&dtypes.AttributeValueMemberN{Value: "1"},
			&dtypes.AttributeValueMemberL{Value: []dtypes.AttributeValue{&dtypes.AttributeValueMemberNULL{Value: true}}},
		}},
		"m": &dtypes.AttributeValueMemberM{Value: map[string]dtypes.AttributeValue{
			"inner": &dtypes.AttributeValueMemberM{Value: map[string]dtypes.AttributeValue{"b": &dtypes.AttributeValueMemberB{Value: []byte("hi")}}},
			"n":     &dtypes.AttributeValueMemberN{Value: "-" + big38},
		}},
	}
}

// The same item as plain JSON (keys sorted, as encoding/json writes maps).
const everyTypeJSON = `{"b":"AAEC/f7/","bs":["/w=="],"f":false,"l":["x",1,[null]],"m":{"inner":{"b":"aGk="},"n":-` + big38 + `},` +
	`"n":` + big38 + `,"neg":-0.000000000000000000000000000000000001,"ns":[` + big38 + `],"null":null,"pk":"item-1","s":"héllo","ss":["a"],"t":true}`

// ...and as DynamoDB JSON, the way a Lambda event carries it.
const everyTypeDynamoJSON = `{"pk":{"S":"item-1"},"s":{"S":"héllo"},"n":{"N":"` + big38 + `"},"neg":{"N":"-0.000000000000000000000000000000000001"},` +
	`"b":{"B":"AAEC/f7/"},"t":{"BOOL":true},"f":{"BOOL":false},"null":{"NULL":true},"ss":{"SS":["a"]},"ns":{"NS":["` + big38 + `"]},` +
	`"bs":{"BS":["/w=="]},"l":{"L":[{"S":"x"},{"N":"1"},{"L":[{"NULL":true}]}]},"m":{"M":{"inner":{"M":{"b":{"B":"aGk="}}},"n":{"N":"-` + big38 + `"}}}}`

func TestDynamoDBEveryTypeInsertModifyRemove(t *testing.T) {
	t.Parallel()
	tb := newDDBTable(t)
	tb.put(t, everyType())
	if _, err := tb.db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName:                 aws.String(tb.name),
		Key:                       map[string]dtypes.AttributeValue{"pk": &dtypes.AttributeValueMemberS{Value: "item-1"}},
		UpdateExpression:          aws.String("SET s = :s REMOVE l"),
		ExpressionAttributeValues: map[string]dtypes.AttributeValue{":s": &dtypes.AttributeValueMemberS{Value: "changed"}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := tb.db.DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: aws.String(tb.name), Key: map[string]dtypes.AttributeValue{"pk": &dtypes.AttributeValueMemberS{Value: "item-1"}}}); err != nil {
		t.Fatal(err)
	}
	raw := tb.records(t)
	if len(raw) != 3 {
		t.Fatalf("stream has %d records, want 3", len(raw))
	}
	got, rep := collect(t, ddbReader(t, tb.streams, streams.Options{}), streams.Range{StreamARN: tb.arn, ShardID: tb.shard, StartSequenceNumber: seqOf(raw[0]), EndSequenceNumber: seqOf(raw[2]), BatchSize: 3})
	assertComplete(t, rep, 3)
	if len(got) != 3 {
		t.Fatalf("got %d records", len(got))
	}
	modified := `{"b":"AAEC/f7/","bs":["/w=="],"f":false,"m":{"inner":{"b":"aGk="},"n":-` + big38 + `},` +
		`"n":` + big38 + `,"neg":-0.000000000000000000000000000000000001,"ns":[` + big38 + `],"null":null,"pk":"item-1","s":"changed","ss":["a"],"t":true}`
	for i, want := range []struct{ name, keys, newImage, oldImage string }{
		{"INSERT", `{"pk":"item-1"}`, everyTypeJSON, "null"},
		{"MODIFY", `{"pk":"item-1"}`, modified, everyTypeJSON},
		{"REMOVE", `{"pk":"item-1"}`, "null", modified},
	} {
		r := got[i]
		if r.SequenceNumber != seqOf(raw[i]) || r.DynamoDB == nil || r.Kinesis != nil {
			t.Fatalf("record %d: %+v", i, r)
		}
		d := r.DynamoDB
		if d.EventName != want.name || d.EventID != aws.ToString(raw[i].EventID) || d.StreamViewType != "NEW_AND_OLD_IMAGES" || d.SizeBytes <= 0 || d.ApproximateCreationDateTime.IsZero() {
			t.Errorf("record %d: event %s id %s view %s size %d time %v", i, d.EventName, d.EventID, d.StreamViewType, d.SizeBytes, d.ApproximateCreationDateTime)
		}
		assertJSONEq(t, fmt.Sprintf("%s keys", want.name), d.Keys, want.keys)
		assertJSONEq(t, fmt.Sprintf("%s new image", want.name), d.NewImage, want.newImage)
		assertJSONEq(t, fmt.Sprintf("%s old image", want.name), d.OldImage, want.oldImage)
	}

	// The same INSERT as a Lambda event record (an S3 on-failure object's
	// payload) converts to the same plain JSON.
	event := `{"eventID":"` + got[0].DynamoDB.EventID + `","eventName":"INSERT","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"ddblocal",` +
		`"dynamodb":{"ApproximateCreationDateTime":1764356400,"Keys":{"pk":{"S":"item-1"}},"NewImage":` + everyTypeDynamoJSON + `,` +
		`"SequenceNumber":"` + got[0].SequenceNumber + `","SizeBytes":` + fmt.Sprint(got[0].DynamoDB.SizeBytes) + `,"StreamViewType":"NEW_AND_OLD_IMAGES"},` +
		`"eventSourceARN":"` + tb.arn + `"}`
	fromEvent, err := streams.FromDynamoDBEventRecord(json.RawMessage(event))
	if err != nil {
		t.Fatalf("FromDynamoDBEventRecord: %v", err)
	}
	fromEvent.DynamoDB.ApproximateCreationDateTime = got[0].DynamoDB.ApproximateCreationDateTime
	a, _ := json.Marshal(fromEvent)
	b, _ := json.Marshal(got[0])
	if string(a) != string(b) {
		t.Errorf("Lambda event record converts differently from the stream record:\nevent  %s\nstream %s", a, b)
	}
}

func TestDynamoDBRanges(t *testing.T) {
	t.Parallel()
	tb := newDDBTable(t)
	const n = 130
	for i := range n {
		tb.put(t, map[string]dtypes.AttributeValue{"pk": &dtypes.AttributeValueMemberS{Value: fmt.Sprintf("k%03d", i)}, "i": &dtypes.AttributeValueMemberN{Value: fmt.Sprint(i)}})
	}
	raw := tb.records(t)
	if len(raw) != n {
		t.Fatalf("stream has %d records, want %d", len(raw), n)
	}
	for _, tc := range []struct {
		name      string
		from, to  int
		pageLimit int
	}{
		{"100 records", 10, 109, 0},
		{"100 records, pages of 37", 10, 109, 37},
		{"bisected half", 10, 59, 0},
		{"bisected quarter, pages of 3", 60, 84, 3},
		{"last records", 120, 129, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, rep := collect(t, ddbReader(t, tb.streams, streams.Options{PageLimit: tc.pageLimit}), streams.Range{StreamARN: tb.arn, ShardID: tb.shard, StartSequenceNumber: seqOf(raw[tc.from]), EndSequenceNumber: seqOf(raw[tc.to]), BatchSize: tc.to - tc.from + 1})
			assertComplete(t, rep, tc.to-tc.from+1)
			assertDDBRecords(t, got, raw[tc.from:tc.to+1])
		})
	}

	t.Run("batch size larger than what the open shard holds", func(t *testing.T) {
		got, rep := collect(t, ddbReader(t, tb.streams, streams.Options{}), streams.Range{StreamARN: tb.arn, ShardID: tb.shard, StartSequenceNumber: seqOf(raw[125]), EndSequenceNumber: seqOf(raw[129]), BatchSize: 7})
		assertDDBRecords(t, got, raw[125:130])
		assertMissing(t, rep, streams.Missing{ShardID: tb.shard, StartSequenceNumber: seqOf(raw[125]), EndSequenceNumber: seqOf(raw[129]), Count: 2, Reason: streams.ReasonNotFound, Detail: "held 5 records, batch size 7"})
	})

	t.Run("shard not found", func(t *testing.T) {
		shard := "shardId-00000001795893056493-00000000"
		got, rep := collect(t, ddbReader(t, tb.streams, streams.Options{}), streams.Range{StreamARN: tb.arn, ShardID: shard, StartSequenceNumber: seqOf(raw[0]), EndSequenceNumber: seqOf(raw[1]), BatchSize: 2})
		if len(got) != 0 {
			t.Fatalf("got %d records", len(got))
		}
		assertMissing(t, rep, streams.Missing{ShardID: shard, StartSequenceNumber: seqOf(raw[0]), EndSequenceNumber: seqOf(raw[1]), Count: 2, Reason: streams.ReasonShardNotFound, Detail: "Shard does not exist"})
	})

	t.Run("stream not found", func(t *testing.T) {
		gone := tb.arn[:len(tb.arn)-3] + "999" // another stream label of the same table: never created
		got, rep := collect(t, ddbReader(t, tb.streams, streams.Options{}), streams.Range{StreamARN: gone, ShardID: tb.shard, StartSequenceNumber: seqOf(raw[0]), EndSequenceNumber: seqOf(raw[4]), BatchSize: 5})
		if len(got) != 0 {
			t.Fatalf("got %d records", len(got))
		}
		assertMissing(t, rep, streams.Missing{ShardID: tb.shard, StartSequenceNumber: seqOf(raw[0]), EndSequenceNumber: seqOf(raw[4]), Count: 5, Reason: streams.ReasonStreamNotFound, Detail: "ResourceNotFoundException"})
	})
}

func assertDDBRecords(t testing.TB, got []streams.Record, want []stypes.Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i, r := range got {
		if r.SequenceNumber != seqOf(want[i]) || r.DynamoDB == nil || r.DynamoDB.EventID != aws.ToString(want[i].EventID) {
			t.Fatalf("record %d: sequence %s, want %s", i, r.SequenceNumber, seqOf(want[i]))
		}
		wantKey := want[i].Dynamodb.Keys["pk"].(*stypes.AttributeValueMemberS).Value
		if r.DynamoDB.Keys["pk"] != wantKey {
			t.Fatalf("record %d: key %v, want %s", i, r.DynamoDB.Keys["pk"], wantKey)
		}
	}
}

func assertJSONEq(t testing.TB, what string, v any, want string) {
	t.Helper()
	got, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if string(got) != want {
		t.Errorf("%s:\n got %s\nwant %s", what, got, want)
	}
}
