// Package schemas holds the JSON Schema files of Hydrant's events (RecordHydrated and
// RecordHydrationFailed) and validates events against them.
//
// The files are embedded as they are in the repository: they are what infra publishes to the
// EventBridge schema registry (type JSONSchemaDraft4) and what consumers generate code
// bindings from, so this package, the registry and the consumers share one source of truth.
// Each file describes the whole event, envelope and detail, in the shape the registry itself
// exports; the detail is the definition named after the detail type.
package schemas

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

//go:embed recordhydrated.v1.schema.json recordhydrationfailed.v1.schema.json
var files embed.FS

//go:embed examples/*.json
var examples embed.FS

// Type is the registry's schema type of every file here.
const Type = "JSONSchemaDraft4"

// Schema describes one schema file.
type Schema struct {
	// Name is the schema's name in the registry: "<default source>@<detail type>", like the
	// registry's own "aws.ec2@EC2InstanceStateChangeNotification", with a ".v<major>" suffix
	// from major version 2 on (see README.md).
	Name       string
	DetailType string
	Major      int
	// Version is the newest detail.schemaVersion ("<major>.<minor>") the file describes; the
	// file accepts every minor version of its major version.
	Version string
	// File is the file's name in this directory (and in FS).
	File string
	// Definition names the detail's definition: "#/definitions/<Definition>".
	Definition  string
	Description string
}

// all lists the published schemas; a new major version is added beside the old one.
var all = []Schema{
	{
		Name:        "hydrant@RecordHydrated",
		DetailType:  "RecordHydrated",
		Major:       1,
		Version:     "1.0",
		File:        "recordhydrated.v1.schema.json",
		Definition:  "RecordHydrated",
		Description: "Hydrant: one failed Kinesis or DynamoDB stream record, read back with its data (schema version 1.x).",
	},
	{
		Name:        "hydrant@RecordHydrationFailed",
		DetailType:  "RecordHydrationFailed",
		Major:       1,
		Version:     "1.0",
		File:        "recordhydrationfailed.v1.schema.json",
		Definition:  "RecordHydrationFailed",
		Description: "Hydrant: records of a failed stream batch that could not be recovered, and why (schema version 1.x).",
	},
}

// All returns the published schemas.
func All() []Schema { return append([]Schema(nil), all...) }

// FS returns the embedded schema files.
func FS() fs.FS { return files }

// Examples returns the example events of examples/ by file name: one per case the schemas
// describe, for consumers' tests as well as ours.
func Examples() (map[string][]byte, error) {
	entries, err := fs.ReadDir(examples, "examples")
	if err != nil {
		return nil, fmt.Errorf("schemas: read examples: %w", err)
	}
	out := make(map[string][]byte, len(entries))
	for _, e := range entries {
		b, err := fs.ReadFile(examples, "examples/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("schemas: read example %s: %w", e.Name(), err)
		}
		out[e.Name()] = b
	}
	return out, nil
}

// Content returns the file's bytes: exactly what is published to the registry.
func (s Schema) Content() ([]byte, error) {
	b, err := files.ReadFile(s.File)
	if err != nil {
		return nil, fmt.Errorf("read schema %s: %w", s.File, err)
	}
	return b, nil
}

// ForDetailType returns the current schema of a detail type.
func ForDetailType(detailType string) (Schema, bool) {
	var found Schema
	for _, s := range all {
		if s.DetailType == detailType && s.Major > found.Major {
			found = s
		}
	}
	return found, found.DetailType != ""
}

// baseURL names the embedded files for the validator; nothing is ever fetched from it.
const baseURL = "https://schemas.hydrant.invalid/"

// Validator checks events and details against the schema files. It is safe for concurrent use.
type Validator struct {
	event  map[string]*jsonschema.Schema // by detail type
	detail map[string]*jsonschema.Schema
	docs   map[string]any // the parsed files by URL, to word errors from the rule that failed
}

// NewValidator compiles the embedded schema files as JSON Schema draft 4.
func NewValidator() (*Validator, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	c.AssertFormat()
	c.UseLoader(noLoader{}) // every $ref is local to its file: never reach out
	c.UseRegexpEngine(compileRegexp)
	docs := map[string]any{}
	for _, s := range all {
		b, err := s.Content()
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("parse schema %s: %w", s.File, err)
		}
		if err := c.AddResource(baseURL+s.File, doc); err != nil {
			return nil, fmt.Errorf("add schema %s: %w", s.File, err)
		}
		docs[baseURL+s.File] = doc
	}
	v := &Validator{event: map[string]*jsonschema.Schema{}, detail: map[string]*jsonschema.Schema{}, docs: docs}
	for _, s := range all {
		if cur, _ := ForDetailType(s.DetailType); cur.File != s.File {
			continue // an older major version: compiled by its own validator if ever needed
		}
		ev, err := c.Compile(baseURL + s.File)
		if err != nil {
			return nil, fmt.Errorf("compile schema %s: %w", s.File, err)
		}
		det, err := c.Compile(baseURL + s.File + "#/definitions/" + s.Definition)
		if err != nil {
			return nil, fmt.Errorf("compile schema %s detail: %w", s.File, err)
		}
		v.event[s.DetailType], v.detail[s.DetailType] = ev, det
	}
	return v, nil
}

// base64Pattern is the schema's pattern for kinesis.data.
const base64Pattern = `^[A-Za-z0-9+/]*={0,2}$`

// compileRegexp compiles patterns with package regexp, except base64Pattern, which is checked
// by hand: it runs over up to a megabyte of data per event, where regexp manages about
// 15 MB/s (BenchmarkValidateEvent).
func compileRegexp(pattern string) (jsonschema.Regexp, error) {
	if pattern == base64Pattern {
		return base64Matcher{}, nil
	}
	return regexp.Compile(pattern)
}

type base64Matcher struct{}

func (base64Matcher) String() string { return base64Pattern }

func (base64Matcher) MatchString(s string) bool {
	end := len(s)
	for i := 0; i < 2 && end > 0 && s[end-1] == '='; i++ {
		end--
	}
	for i := 0; i < end; i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("schema %s is not embedded in package schemas", url)
}

// defaultValidator is compiled on first use; it never changes afterwards.
var defaultValidator = sync.OnceValues(NewValidator)

// ValidateEvent checks a whole EventBridge event (envelope and detail) against the schema of
// its detail-type. A schema violation is a *ValidationError naming each field at fault.
func ValidateEvent(event []byte) error {
	v, err := defaultValidator()
	if err != nil {
		return err
	}
	return v.ValidateEvent(event)
}

// ValidateDetail checks the detail of an event of the given detail type. A schema violation
// is a *ValidationError naming each field at fault (as "detail.<path>").
func ValidateDetail(detailType string, detail []byte) error {
	v, err := defaultValidator()
	if err != nil {
		return err
	}
	return v.ValidateDetail(detailType, detail)
}

// ValidateEvent checks a whole EventBridge event; see the package function.
func (v *Validator) ValidateEvent(event []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(event))
	if err != nil {
		return fmt.Errorf("validate event: not JSON: %w", err)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return fmt.Errorf("validate event: not a JSON object")
	}
	raw, present := obj["detail-type"]
	dt, isString := raw.(string)
	sch, ok := v.event[dt]
	switch {
	case !present:
		return &ValidationError{Problems: []Problem{{Field: "detail-type", Message: "is required"}}}
	case !isString:
		return &ValidationError{Problems: []Problem{{Field: "detail-type", Message: "want string"}}}
	case !ok:
		return &ValidationError{DetailType: dt, Problems: []Problem{{Field: "detail-type", Message: fmt.Sprintf("%s is not a Hydrant detail type (want one of %s)", quoteShort(dt), strings.Join(v.detailTypes(), ", "))}}}
	}
	return v.check(sch, doc, dt, nil)
}

// ValidateDetail checks a detail; see the package function.
func (v *Validator) ValidateDetail(detailType string, detail []byte) error {
	sch, ok := v.detail[detailType]
	if !ok {
		return fmt.Errorf("validate detail: %q is not a Hydrant detail type (want one of %s)", detailType, strings.Join(v.detailTypes(), ", "))
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(detail))
	if err != nil {
		return fmt.Errorf("validate %s detail: not JSON: %w", detailType, err)
	}
	return v.check(sch, doc, detailType, []string{"detail"})
}

func (v *Validator) detailTypes() []string {
	var out []string
	for _, s := range all {
		if _, ok := v.event[s.DetailType]; ok {
			out = append(out, s.DetailType)
		}
	}
	return out
}

func (v *Validator) check(sch *jsonschema.Schema, doc any, detailType string, prefix []string) error {
	err := sch.Validate(doc)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("validate %s: %w", detailType, err)
	}
	out := &ValidationError{DetailType: detailType}
	v.collect(ve, prefix, true, &out.Problems)
	// The validator visits properties in map order: sort for messages that read the same twice.
	slices.SortStableFunc(out.Problems, func(a, b Problem) int { return strings.Compare(a.Field, b.Field) })
	return out
}

// ValidationError is an event or detail that does not follow its schema.
type ValidationError struct {
	DetailType string
	Problems   []Problem
}

// Problem is one schema violation.
type Problem struct {
	// Field is the dotted path of the value at fault, such as "detail.failure.batchSize" or
	// "detail.kinesis"; array elements appear as "[i]".
	Field   string
	Message string
}

func (e *ValidationError) Error() string {
	var sb strings.Builder
	if e.DetailType == "" {
		sb.WriteString("invalid event: ")
	} else {
		fmt.Fprintf(&sb, "invalid %s event: ", e.DetailType)
	}
	for i, p := range e.Problems {
		if i > 0 {
			sb.WriteString("; ")
		}
		sb.WriteString(p.String())
	}
	return sb.String()
}

func (p Problem) String() string {
	if p.Field == "" {
		return p.Message
	}
	return p.Field + ": " + p.Message
}

var printer = message.NewPrinter(language.English)

// dependencyRE finds the property whose presence brought a rule into play.
var dependencyRE = regexp.MustCompile(`/dependencies/([^/]+)`)

// collect turns the validator's tree of errors into one Problem per violated rule. An anyOf
// becomes one Problem listing its alternatives, since satisfying any one of them is enough.
func (v *Validator) collect(e *jsonschema.ValidationError, prefix []string, explain bool, out *[]Problem) {
	why := ""
	if explain {
		why = because(e)
	}
	switch e.ErrorKind.(type) {
	case *kind.AnyOf, *kind.OneOf:
		var alts []string
		for _, c := range e.Causes {
			var sub []Problem
			v.collect(c, prefix, false, &sub)
			var parts []string
			for _, p := range sub {
				parts = append(parts, p.String())
			}
			alts = append(alts, strings.Join(parts, " and "))
		}
		*out = append(*out, Problem{Field: fieldPath(prefix, e.InstanceLocation), Message: "needs one of: " + strings.Join(alts, ", or ") + why})
		return
	}
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			v.collect(c, prefix, explain, out)
		}
		return
	}
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		for _, m := range k.Missing {
			*out = append(*out, Problem{Field: fieldPath(prefix, append(e.InstanceLocation[:len(e.InstanceLocation):len(e.InstanceLocation)], m)), Message: "is required" + why})
		}
	case *kind.Pattern:
		*out = append(*out, Problem{Field: fieldPath(prefix, e.InstanceLocation), Message: fmt.Sprintf("%s does not match pattern %s", quoteShort(k.Got), k.Want) + why})
	case *kind.Format:
		*out = append(*out, Problem{Field: fieldPath(prefix, e.InstanceLocation), Message: fmt.Sprintf("%s is not a valid %s", quoteShort(fmt.Sprint(k.Got)), k.Want) + why})
	case *kind.Not:
		*out = append(*out, Problem{Field: fieldPath(prefix, e.InstanceLocation), Message: v.notMessage(e.SchemaURL) + why})
	default:
		*out = append(*out, Problem{Field: fieldPath(prefix, e.InstanceLocation), Message: shorten(e.ErrorKind.LocalizedString(printer)) + why})
	}
}

// notMessage words a failed "not": {"not": {}} forbids the property, {"not": {"enum": [...]}}
// forbids values.
func (v *Validator) notMessage(schemaURL string) string {
	file, ptr, _ := strings.Cut(schemaURL, "#")
	node := v.docs[file]
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch n := node.(type) {
		case map[string]any:
			node = n[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n) {
				node = nil
				break
			}
			node = n[i]
		}
	}
	obj, _ := node.(map[string]any)
	not, _ := obj["not"].(map[string]any)
	switch {
	case not != nil && len(not) == 0:
		return "must be absent"
	case not != nil && not["enum"] != nil:
		vals, _ := not["enum"].([]any)
		var quoted []string
		for _, val := range vals {
			quoted = append(quoted, fmt.Sprintf("%q", fmt.Sprint(val)))
		}
		return "must not be " + strings.Join(quoted, " or ")
	}
	return "has a value not allowed here"
}

// because explains a rule that applies only when another property is present.
func because(e *jsonschema.ValidationError) string {
	m := dependencyRE.FindAllStringSubmatch(e.SchemaURL, -1)
	if len(m) == 0 {
		return ""
	}
	return fmt.Sprintf(" (as %s is present)", m[len(m)-1][1])
}

func fieldPath(prefix, loc []string) string {
	var sb strings.Builder
	for _, tok := range append(append([]string(nil), prefix...), loc...) {
		if isIndex(tok) {
			sb.WriteString("[" + tok + "]")
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(tok)
	}
	return sb.String()
}

func isIndex(tok string) bool {
	if tok == "" {
		return false
	}
	for _, r := range tok {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// quoteShort quotes a value in a message, cut to a length that identifies it without
// copying a record's data into the logs.
func quoteShort(v string) string {
	const max = 40
	if len(v) > max {
		cut := max
		for cut > 0 && !isRuneStart(v[cut]) {
			cut--
		}
		v = v[:cut] + "…"
	}
	return strconv.Quote(v)
}

// shorten keeps messages that quote a value (a pattern mismatch on a megabyte of base64, say)
// readable and out of the logs.
func shorten(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
