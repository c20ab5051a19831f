package localcloud

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// createTable creates a DynamoDB table (with its stream) on DynamoDB Local. The stream ARN is
// the one DynamoDB Local gives, region "ddblocal" included: readers must pass it unchanged.
func (c *Cloud) createTable(ctx context.Context, a regArgs) (created, error) {
	name := physicalName(a, "name", 255, false)
	hash := a.In.str("hashKey")
	if hash == "" {
		return created{}, fmt.Errorf("hashKey is required")
	}
	in := &dynamodb.CreateTableInput{TableName: aws.String(name)}
	for _, at := range a.In.objs("attributes") {
		in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{
			AttributeName: aws.String(at.str("name")), AttributeType: ddbtypes.ScalarAttributeType(at.str("type")),
		})
	}
	in.KeySchema = []ddbtypes.KeySchemaElement{{AttributeName: aws.String(hash), KeyType: ddbtypes.KeyTypeHash}}
	if r := a.In.str("rangeKey"); r != "" {
		in.KeySchema = append(in.KeySchema, ddbtypes.KeySchemaElement{AttributeName: aws.String(r), KeyType: ddbtypes.KeyTypeRange})
	}
	provisioned := a.In.str("billingMode") == "PROVISIONED"
	if provisioned {
		rc, _ := a.In.num("readCapacity")
		wc, _ := a.In.num("writeCapacity")
		in.BillingMode = ddbtypes.BillingModeProvisioned
		in.ProvisionedThroughput = &ddbtypes.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(int64(max(rc, 1))), WriteCapacityUnits: aws.Int64(int64(max(wc, 1)))}
	} else {
		in.BillingMode = ddbtypes.BillingModePayPerRequest
	}
	for _, g := range a.In.objs("globalSecondaryIndexes") {
		gsi := ddbtypes.GlobalSecondaryIndex{
			IndexName:  aws.String(g.str("name")),
			KeySchema:  []ddbtypes.KeySchemaElement{{AttributeName: aws.String(g.str("hashKey")), KeyType: ddbtypes.KeyTypeHash}},
			Projection: &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionType(g.str("projectionType")), NonKeyAttributes: g.strs("nonKeyAttributes")},
		}
		if r := g.str("rangeKey"); r != "" {
			gsi.KeySchema = append(gsi.KeySchema, ddbtypes.KeySchemaElement{AttributeName: aws.String(r), KeyType: ddbtypes.KeyTypeRange})
		}
		if provisioned {
			rc, _ := g.num("readCapacity")
			wc, _ := g.num("writeCapacity")
			gsi.ProvisionedThroughput = &ddbtypes.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(int64(max(rc, 1))), WriteCapacityUnits: aws.Int64(int64(max(wc, 1)))}
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, gsi)
	}
	if a.In.boolean("streamEnabled") {
		view := a.In.str("streamViewType")
		if view == "" {
			return created{}, fmt.Errorf("streamViewType is required when streamEnabled is true")
		}
		in.StreamSpecification = &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewType(view)}
	}
	out, err := c.ddb.CreateTable(ctx, in)
	if err != nil {
		return created{}, fmt.Errorf("create table %s: %w", name, err)
	}
	d := out.TableDescription
	arn := aws.ToString(d.TableArn)
	outputs := map[string]any{"arn": arn, "name": name}
	res := Resource{ARN: arn, Physical: name}
	if s := aws.ToString(d.LatestStreamArn); s != "" {
		outputs["streamArn"] = s
		outputs["streamLabel"] = aws.ToString(d.LatestStreamLabel)
		res.Note = "stream " + s
	}
	if a.In.obj("serverSideEncryption") != nil {
		res.Note = strings.TrimPrefix(res.Note+"; encryption accepted, not applied locally", "; ")
	}
	return created{id: name, outputs: outputs, res: res}, nil
}
