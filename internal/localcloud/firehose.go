package localcloud

import (
	"context"
	"fmt"
	"strings"

	"github.com/hydrant-dev/hydrant/internal/localcloud/firehose"
)

// createDeliveryStream makes a Firehose delivery stream with an S3 destination the local
// EventBridge endpoint's S3 writer. Records are written uncompressed, under the prefix up to
// its first dynamic-partitioning expression, with the cloud's (short) buffering interval.
func (c *Cloud) createDeliveryStream(ctx context.Context, a regArgs) (created, error) {
	name := physicalName(a, "name", 64, false)
	dest := a.In.str("destination")
	var s3cfg props
	switch dest {
	case "extended_s3":
		s3cfg = a.In.obj("extendedS3Configuration")
	case "s3":
		s3cfg = a.In.obj("s3Configuration")
	default:
		return created{}, fmt.Errorf("destination %q is not supported locally (extended_s3 and s3 are)", dest)
	}
	bucketArn := s3cfg.str("bucketArn")
	bucket, ok := strings.CutPrefix(bucketArn, "arn:aws:s3:::")
	if !ok || bucket == "" {
		return created{}, fmt.Errorf("bucketArn %q is not an S3 bucket ARN", bucketArn)
	}
	prefix := s3cfg.str("prefix")
	ds := firehose.Config{Bucket: bucket, Prefix: prefix, BufferInterval: c.opts.FirehoseBufferInterval}
	if mb, ok := s3cfg.num("bufferingSize"); ok {
		ds.BufferSize = mb << 20
	}
	var notes []string
	if strings.Contains(prefix, "!{") {
		query, err := metadataQuery(s3cfg)
		if err != nil {
			return created{}, err
		}
		fp, err := firehose.ParsePrefix(prefix, query, false)
		if err != nil {
			return created{}, err
		}
		ep, err := firehose.ParsePrefix(s3cfg.str("errorOutputPrefix"), "", true)
		if err != nil {
			return created{}, fmt.Errorf("errorOutputPrefix: %w", err)
		}
		if ds.ErrorPrefix, err = ep.Eval(nil); err != nil {
			return created{}, fmt.Errorf("errorOutputPrefix: %w", err)
		}
		ds.Partition, ds.Prefix = fp.Eval, fp.Static()
		notes = append(notes, "prefix "+prefix+" evaluated per record")
	}
	if f := s3cfg.str("compressionFormat"); f != "" && f != "UNCOMPRESSED" {
		notes = append(notes, f+" compression not applied locally")
	}
	if err := c.bus.AddDeliveryStream(name, ds); err != nil {
		return created{}, err
	}
	prefix = ds.Prefix
	arn := c.arn("firehose", "deliverystream/"+name)
	c.mu.Lock()
	c.firehoses[arn] = DeliveryStream{Name: name, ARN: arn, Bucket: bucket, Prefix: prefix}
	c.mu.Unlock()
	notes = append([]string{fmt.Sprintf("to s3://%s/%s, flushed every %s", bucket, prefix, c.opts.FirehoseBufferInterval)}, notes...)
	return created{id: arn, outputs: map[string]any{"arn": arn, "name": name}, res: Resource{ARN: arn, Physical: name, Note: strings.Join(notes, "; ")}}, nil
}

// metadataQuery is the jq query of the delivery stream's MetadataExtraction processor, which
// dynamic partitioning's partitionKeyFromQuery expressions read; "" when there is none.
// Processors the local cloud cannot run are refused.
func metadataQuery(s3cfg props) (string, error) {
	pc := s3cfg.obj("processingConfiguration")
	if pc == nil || !pc.boolean("enabled") {
		return "", nil
	}
	query := ""
	for _, proc := range pc.objs("processors") {
		switch t := proc.str("type"); t {
		case "MetadataExtraction":
			for _, p := range proc.objs("parameters") {
				switch p.str("parameterName") {
				case "MetadataExtractionQuery":
					query = p.str("parameterValue")
				case "JsonParsingEngine":
					if v := p.str("parameterValue"); v != "JQ-1.6" {
						return "", fmt.Errorf("JsonParsingEngine %q is not supported locally (JQ-1.6 is)", v)
					}
				}
			}
		case "AppendDelimiterToRecord":
			// The local writer already ends every record with a newline.
		default:
			return "", fmt.Errorf("processor %s is not supported locally (MetadataExtraction and AppendDelimiterToRecord are)", t)
		}
	}
	return query, nil
}
