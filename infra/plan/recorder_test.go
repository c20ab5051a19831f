package plan

import (
	"errors"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// queueResource registers a bare aws:sqs/queue:Queue without depending on the aws SDK.
type queueResource struct {
	pulumi.CustomResourceState
	Arn pulumi.StringOutput `pulumi:"arn"`
	Url pulumi.StringOutput `pulumi:"url"`
}

func registerQueue(ctx *pulumi.Context, name string, out *queueResource) error {
	return ctx.RegisterResource("aws:sqs/queue:Queue", name, pulumi.Map{"name": pulumi.String(name + "-physical")}, out)
}

func TestRecorderMakesUpAWSShapedOutputs(t *testing.T) {
	var arn, url string
	rec, err := Run("p", "s", nil, nil, func(ctx *pulumi.Context) error {
		q := &queueResource{}
		if err := registerQueue(ctx, "q", q); err != nil {
			return err
		}
		q.Arn.ApplyT(func(v string) string { arn = v; return v })
		q.Url.ApplyT(func(v string) string { url = v; return v })
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if arn != "arn:aws:sqs:us-east-1:123456789012:q-physical" || url != "https://sqs.us-east-1.amazonaws.com/123456789012/q-physical" {
		t.Errorf("arn %q url %q", arn, url)
	}
	r, ok := rec.Plan().Find("aws:sqs/queue:Queue", "q")
	if !ok || r.ID != url || r.Inputs["name"] != "q-physical" || !r.Custom {
		t.Errorf("recorded %+v", r)
	}
}

type fakeProvider struct{ created []string }

func (f *fakeProvider) Create(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	if strings.HasPrefix(args.Name, "broken") {
		return "", nil, errors.New("emulator refused")
	}
	f.created = append(f.created, args.Name)
	out := args.Inputs.Copy()
	out["arn"] = resource.NewStringProperty("arn:local:" + args.Name)
	return "local-" + args.Name, out, nil
}

func TestRecorderUsesItsProvider(t *testing.T) {
	prov := &fakeProvider{}
	rec := NewRecorder()
	rec.Provider = prov
	var arn string
	err := rec.Run("p", "s", nil, nil, func(ctx *pulumi.Context) error {
		q := &queueResource{}
		if err := registerQueue(ctx, "q", q); err != nil {
			return err
		}
		q.Arn.ApplyT(func(v string) string { arn = v; return v })
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if arn != "arn:local:q" || len(prov.created) != 1 {
		t.Errorf("arn %q, created %v", arn, prov.created)
	}
	if r, _ := rec.Plan().Find("aws:sqs/queue:Queue", "q"); r.ID != "local-q" {
		t.Errorf("recorded ID %q, want the provider's", r.ID)
	}

	broken := NewRecorder()
	broken.Provider = prov
	err = broken.Run("p", "s", nil, nil, func(ctx *pulumi.Context) error {
		return registerQueue(ctx, "broken", &queueResource{})
	})
	if err == nil || !strings.Contains(err.Error(), "emulator refused") {
		t.Errorf("error %v, want the provider's", err)
	}
}
