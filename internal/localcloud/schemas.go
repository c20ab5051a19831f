package localcloud

import (
	"context"
	"fmt"
)

// createRegistry keeps a schema registry in memory.
func (c *Cloud) createRegistry(ctx context.Context, a regArgs) (created, error) {
	name := physicalName(a, "name", 64, false)
	c.mu.Lock()
	if _, ok := c.schemas[name]; !ok {
		c.schemas[name] = map[string]Schema{}
	}
	c.mu.Unlock()
	arn := c.arn("schemas", "registry/"+name)
	return created{id: name, outputs: map[string]any{"arn": arn, "name": name}, res: Resource{ARN: arn, Physical: name, Mode: ModeKept}}, nil
}

// createSchema keeps a schema in its registry.
func (c *Cloud) createSchema(ctx context.Context, a regArgs) (created, error) {
	reg, name := a.In.str("registryName"), a.In.str("name")
	if reg == "" || name == "" || a.In.str("content") == "" {
		return created{}, fmt.Errorf("registryName, name and content are required")
	}
	s := Schema{Registry: reg, Name: name, Type: a.In.str("type"), Description: a.In.str("description"), Content: a.In.str("content"), Version: "1"}
	c.mu.Lock()
	r, ok := c.schemas[reg]
	if ok {
		r[name] = s
	}
	c.mu.Unlock()
	if !ok {
		return created{}, fmt.Errorf("registry %s does not exist", reg)
	}
	arn := c.arn("schemas", "schema/"+reg+"/"+name)
	return created{id: name + "/" + reg, outputs: map[string]any{"arn": arn, "version": "1", "versionCreatedDate": "", "lastModified": ""},
		res: Resource{ARN: arn, Physical: name, Mode: ModeKept, Note: "in registry " + reg}}, nil
}
