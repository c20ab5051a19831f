package hydrantinfra

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumix"
)

// FailureWriter is an event source mapping whose on-failure destination is the Router's
// failure bucket, and the consumer role Lambda writes the mapping's failure objects as.
type FailureWriter struct {
	MappingUUID string
	RoleName    string
}

// failureWriterStatements are the failure bucket policy's statements that keep each mapping's
// prefix to its own role: Lambda writes a mapping's failure objects under
// aws/lambda/<mapping UUID>/ as the consumer's execution role, and the hydrate function trusts
// the key to say which mapping (and so which stream) an object is from (package trust). Every
// consumer role may write to the bucket (its identity policy names the bucket, as the mapping
// requires when it is created); these denies narrow that to its own mappings' prefixes.
//
// A request without aws:PrincipalArn (an AWS service acting as itself) is not denied
// (Null: false): were Lambda ever to write as its service principal, a deny would discard
// every failure record; such a request is still allowed by nothing in this policy.
func failureWriterStatements(bucketArn, stackARN string, writers []FailureWriter) ([]policyStatement, error) {
	a, err := arn.Parse(stackARN)
	if err != nil {
		return nil, fmt.Errorf("failure bucket policy: account of %q: %w", stackARN, err)
	}
	var out []policyStatement
	for i, w := range writers {
		if w.MappingUUID == "" || w.RoleName == "" {
			return nil, fmt.Errorf("failure writer %d: mapping UUID %q and role name %q are both required", i, w.MappingUUID, w.RoleName)
		}
		role := fmt.Sprintf("arn:%s:iam::%s:role/", a.Partition, a.AccountID)
		out = append(out, policyStatement{
			Sid:       fmt.Sprintf("OnlyItsRoleWritesMapping%d", i),
			Effect:    "Deny",
			Principal: "*",
			Action:    []string{"s3:PutObject"},
			Resource:  []string{fmt.Sprintf("%s/aws/lambda/%s/*", bucketArn, w.MappingUUID)},
			Condition: map[string]map[string][]string{
				// A role name is unique in its account whatever its path; aws:PrincipalArn
				// carries the path (role/<path>/<name>), so both forms are admitted.
				"ArnNotLike": {"aws:PrincipalArn": {role + w.RoleName, role + "*/" + w.RoleName}},
				"Null":       {"aws:PrincipalArn": {"false"}},
			},
		})
	}
	return out, nil
}

// withFailureWriters adds the writers' statements to the failure bucket's policy document.
func withFailureWriters(doc, bucketArn, stackArn pulumi.StringOutput, writers pulumix.Input[[]FailureWriter]) pulumi.StringOutput {
	out := pulumix.Apply4Err(doc, bucketArn, stackArn, writers, func(doc, bucketArn, stackARN string, ws []FailureWriter) (string, error) {
		if len(ws) == 0 {
			return doc, nil
		}
		var d policyDocument
		if err := json.Unmarshal([]byte(doc), &d); err != nil {
			return "", fmt.Errorf("failure bucket policy: %w", err)
		}
		more, err := failureWriterStatements(bucketArn, stackARN, ws)
		if err != nil {
			return "", err
		}
		d.Statement = append(d.Statement, more...)
		b, err := json.Marshal(d)
		return string(b), err
	})
	return pulumi.StringOutput{OutputState: out.OutputState}
}
