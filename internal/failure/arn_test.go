package failure

import (
	"math/big"
	"strings"
	"testing"
)

func TestParseStreamARN(t *testing.T) {
	tests := []struct {
		arn    string
		want   StreamARN
		stream string // Stream(): what to read from
	}{
		{
			arn:    "arn:aws:kinesis:us-east-2:123456789012:stream/mystream",
			want:   StreamARN{Partition: "aws", Region: "us-east-2", AccountID: "123456789012", Type: StreamTypeKinesis, StreamName: "mystream"},
			stream: "arn:aws:kinesis:us-east-2:123456789012:stream/mystream",
		},
		{
			arn: "arn:aws:kinesis:us-west-2:123456789012:stream/mystream/consumer/myconsumer:1525898737",
			want: StreamARN{Partition: "aws", Region: "us-west-2", AccountID: "123456789012", Type: StreamTypeKinesis,
				StreamName: "mystream", ConsumerName: "myconsumer", ConsumerCreationTimestamp: "1525898737"},
			stream: "arn:aws:kinesis:us-west-2:123456789012:stream/mystream",
		},
		{
			arn: "arn:aws-cn:kinesis:cn-north-1:123456789012:stream/a.b_c-d",
			want: StreamARN{Partition: "aws-cn", Region: "cn-north-1", AccountID: "123456789012", Type: StreamTypeKinesis,
				StreamName: "a.b_c-d"},
			stream: "arn:aws-cn:kinesis:cn-north-1:123456789012:stream/a.b_c-d",
		},
		{
			// kinesis-local's account and region.
			arn:    "arn:aws:kinesis:us-east-1:000000000000:stream/replay-src",
			want:   StreamARN{Partition: "aws", Region: "us-east-1", AccountID: "000000000000", Type: StreamTypeKinesis, StreamName: "replay-src"},
			stream: "arn:aws:kinesis:us-east-1:000000000000:stream/replay-src",
		},
		{
			arn: "arn:aws:dynamodb:us-east-1:374852340823:table/hydrate-kinesis-dlq-dev-DynamoDBTable-C15SFSF9AYOA/stream/2023-12-10T22:52:22.419",
			want: StreamARN{Partition: "aws", Region: "us-east-1", AccountID: "374852340823", Type: StreamTypeDynamoDB,
				TableName: "hydrate-kinesis-dlq-dev-DynamoDBTable-C15SFSF9AYOA", StreamLabel: "2023-12-10T22:52:22.419"},
			stream: "arn:aws:dynamodb:us-east-1:374852340823:table/hydrate-kinesis-dlq-dev-DynamoDBTable-C15SFSF9AYOA/stream/2023-12-10T22:52:22.419",
		},
		{
			// DynamoDB Local: region "ddblocal" must pass through untouched.
			arn: "arn:aws:dynamodb:ddblocal:000000000000:table/T/stream/2026-11-28T19:10:56.474",
			want: StreamARN{Partition: "aws", Region: "ddblocal", AccountID: "000000000000", Type: StreamTypeDynamoDB,
				TableName: "T", StreamLabel: "2026-11-28T19:10:56.474"},
			stream: "arn:aws:dynamodb:ddblocal:000000000000:table/T/stream/2026-11-28T19:10:56.474",
		},
		{
			arn: "arn:aws-us-gov:dynamodb:us-gov-west-1:123456789012:table/orders/stream/2024-01-01T00:00:00.000",
			want: StreamARN{Partition: "aws-us-gov", Region: "us-gov-west-1", AccountID: "123456789012", Type: StreamTypeDynamoDB,
				TableName: "orders", StreamLabel: "2024-01-01T00:00:00.000"},
			stream: "arn:aws-us-gov:dynamodb:us-gov-west-1:123456789012:table/orders/stream/2024-01-01T00:00:00.000",
		},
	}
	for _, tt := range tests {
		t.Run(tt.arn, func(t *testing.T) {
			got, err := ParseStreamARN(tt.arn)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
			if got.String() != tt.arn {
				t.Errorf("String() = %q, want the input back", got.String())
			}
			if got.Stream() != tt.stream {
				t.Errorf("Stream() = %q, want %q", got.Stream(), tt.stream)
			}
			if got.IsConsumer() != (tt.want.ConsumerName != "") {
				t.Errorf("IsConsumer() = %v", got.IsConsumer())
			}
		})
	}
}

func TestParseStreamARNErrors(t *testing.T) {
	tests := []struct{ arn, want string }{
		{"", "must be an ARN"},
		{"mystream", "must be an ARN"},
		{"arn:aws:kinesis:us-east-1:123456789012", "must be an ARN"},
		{"urn:aws:kinesis:us-east-1:123456789012:stream/s", "must be an ARN"},
		{"arn::kinesis:us-east-1:123456789012:stream/s", "partition"},
		{"arn:aws:kinesis:us east:123456789012:stream/s", "region"},
		{"arn:aws:kinesis:us-east-1:12345678901a:stream/s", "account"},
		{"arn:aws:kinesis:us-east-1:1234567890123:stream/s", "account"},
		{"arn:aws:lambda:us-east-1:123456789012:function:f", `service "lambda"`},
		{"arn:aws:kinesis:us-east-1:123456789012:table/t/stream/x", "neither stream/NAME"},
		{"arn:aws:kinesis:us-east-1:123456789012:stream/", "stream name"},
		{"arn:aws:kinesis:us-east-1:123456789012:stream/s s", "stream name"},
		{"arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c", "CONSUMER:TIMESTAMP"},
		{"arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/:1", "consumer name"},
		{"arn:aws:kinesis:us-east-1:123456789012:stream/s/other/c:1", "neither stream/NAME"},
		{"arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:1/x", "neither stream/NAME"},
		{"arn:aws:dynamodb:us-east-1:123456789012:table/t", "table/TABLE/stream/LABEL"},
		{"arn:aws:dynamodb:us-east-1:123456789012:table//stream/x", "table name"},
		{"arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/", "stream label"},
		{"arn:aws:dynamodb:us-east-1:123456789012:table/t/index/i", "table/TABLE/stream/LABEL"},
	}
	for _, tt := range tests {
		t.Run(tt.arn, func(t *testing.T) {
			a, err := ParseStreamARN(tt.arn)
			if err == nil {
				t.Fatalf("accepted: %+v", a)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestCompareDecimal(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"0", "0", 0},
		{"1", "2", -1},
		{"99", "100", -1}, // wrong as strings
		{"100", "99", 1},
		{"000000000000000000011", "000000000000000000002", 1}, // DynamoDB Local padding
		{"0001", "1", 0},
		{"000", "0", 0},
		{"49601189658422359378836298521827638475320189012309704722", "49601189658422359378836298522902373528957594348623495186", -1},
		{"9223372036854775807", "9223372036854775808", -1}, // past int64
	}
	for _, tt := range tests {
		if got := compareDecimal(tt.a, tt.b); got != tt.want {
			t.Errorf("compareDecimal(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := compareDecimal(tt.b, tt.a); got != -tt.want {
			t.Errorf("compareDecimal(%s, %s) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
	}
}

// FuzzCompareDecimal checks compareDecimal against math/big on any pair of
// digit strings.
func FuzzCompareDecimal(f *testing.F) {
	f.Add("0", "0")
	f.Add("99", "100")
	f.Add("000000000000000000002", "11")
	f.Add("49601189658422359378836298521827638475320189012309704722", "49601189658422359378836298522902373528957594348623495186")
	f.Fuzz(func(t *testing.T, a, b string) {
		if !isDecimal(a) || !isDecimal(b) {
			return
		}
		x, _ := new(big.Int).SetString(a, 10)
		y, _ := new(big.Int).SetString(b, 10)
		if got, want := compareDecimal(a, b), x.Cmp(y); got != want {
			t.Errorf("compareDecimal(%s, %s) = %d, big.Int says %d", a, b, got, want)
		}
	})
}

// FuzzParseStreamARN checks that whatever ParseStreamARN accepts prints back
// to the same string, and that the stream to read is a plain stream ARN.
func FuzzParseStreamARN(f *testing.F) {
	f.Add("arn:aws:kinesis:us-east-2:123456789012:stream/mystream")
	f.Add("arn:aws:kinesis:us-west-2:123456789012:stream/mystream/consumer/myconsumer:1525898737")
	f.Add("arn:aws:dynamodb:ddblocal:000000000000:table/T/stream/2026-11-28T19:10:56.474")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseStreamARN(s)
		if err != nil {
			return
		}
		if a.String() != s {
			t.Fatalf("String() = %q, input %q", a.String(), s)
		}
		st, err := ParseStreamARN(a.Stream())
		if err != nil || st.IsConsumer() || st.Type != a.Type || st.Stream() != a.Stream() {
			t.Fatalf("Stream() %q of %q parses to %+v, %v", a.Stream(), s, st, err)
		}
	})
}
