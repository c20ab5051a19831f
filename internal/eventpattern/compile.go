package eventpattern

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// builder accumulates one $or-free alternative while compiling.
type builder struct {
	leaves []leaf
	index  map[string]int // path -> position in leaves
}

func (b *builder) clone() *builder {
	c := &builder{leaves: append([]leaf(nil), b.leaves...), index: make(map[string]int, len(b.index))}
	for k, v := range b.index {
		c.index[k] = v
	}
	return c
}

// write records a leaf; a second write to the same path replaces the first, which is how
// EventBridge treats a path constrained twice (a repeated key, or inside and outside $or).
func (b *builder) write(l leaf) {
	if i, ok := b.index[l.path]; ok {
		b.leaves[i] = l
		return
	}
	b.index[l.path] = len(b.leaves)
	b.leaves = append(b.leaves, l)
}

func compileRoot(root *jnode, expandOr bool) ([]*builder, error) {
	bs := []*builder{{index: map[string]int{}}}
	if err := compileObject(&bs, "", "$", root, expandOr, 0); err != nil {
		return nil, err
	}
	return bs, nil
}

// orProduct is EventBridge's count of rule combinations: the product of the lengths of every
// $or array, nested ones included.
func orProduct(n *jnode, depth int) int {
	if n.kind != jObject || depth > maxDepth {
		return 1
	}
	p := 1
	for i, k := range n.keys {
		v := n.kids[i]
		switch {
		case k == "$or" && v.kind == jArray:
			p *= max(len(v.kids), 1)
			for _, m := range v.kids {
				p *= orProduct(m, depth+1)
				if p > maxOrCombinations {
					return p
				}
			}
		case v.kind == jObject:
			p *= orProduct(v, depth+1)
		}
		if p > maxOrCombinations {
			return p
		}
	}
	return p
}

func compileObject(bs *[]*builder, prefix, jp string, n *jnode, expandOr bool, depth int) error {
	if len(n.keys) == 0 {
		return &Error{Path: jp, Reason: "Empty objects are not allowed"}
	}
	for i, k := range n.keys {
		v := n.kids[i]
		kp := jsonPath(jp, k)
		if k == "$or" && expandOr {
			if err := compileOr(bs, prefix, kp, v, depth); err != nil {
				return err
			}
			continue
		}
		switch v.kind {
		case jObject:
			if err := compileObject(bs, joinPath(prefix, k), kp, v, expandOr, depth+1); err != nil {
				return err
			}
		case jArray:
			ms, err := compileValues(kp, v)
			if err != nil {
				return err
			}
			l := leaf{path: joinPath(prefix, k), matchers: ms}
			for _, b := range *bs {
				b.write(l)
			}
		default:
			return &Error{Path: kp, Reason: fmt.Sprintf("%q must be an object or an array", k)}
		}
	}
	return nil
}

func compileOr(bs *[]*builder, prefix, jp string, v *jnode, depth int) error {
	if v.kind != jArray {
		return &Error{Path: jp, Reason: "It must be an Array followed with $or.", orRelated: true}
	}
	for i, m := range v.kids {
		if m.kind != jObject {
			return &Error{Path: indexPath(jp, i), Reason: "Only JSON object is allowed in array of $or relationship.", orRelated: true}
		}
	}
	if len(v.kids) < 2 {
		return &Error{Path: jp, Reason: "There must have at least 2 Objects in $or relationship.", orRelated: true}
	}
	base := *bs
	var out []*builder
	for i, m := range v.kids {
		forked := make([]*builder, len(base))
		for j, b := range base {
			forked[j] = b.clone()
		}
		if err := compileObject(&forked, prefix, indexPath(jp, i), m, true, depth+1); err != nil {
			return err
		}
		out = append(out, forked...)
		if len(out) > maxOrCombinations {
			return &Error{Path: jp, Reason: fmt.Sprintf("Event pattern contains more than %d rule combinations", maxOrCombinations)}
		}
	}
	*bs = out
	return nil
}

// compileValues compiles a leaf's array of candidate values.
func compileValues(jp string, arr *jnode) ([]matcher, error) {
	if len(arr.kids) == 0 {
		return nil, &Error{Path: jp, Reason: "Empty arrays are not allowed"}
	}
	ms := make([]matcher, 0, len(arr.kids))
	for i, el := range arr.kids {
		ep := indexPath(jp, i)
		switch el.kind {
		case jNull:
			ms = append(ms, matcher{op: opExactNull})
		case jBool:
			ms = append(ms, matcher{op: opExactBool, b: el.b})
		case jString:
			ms = append(ms, matcher{op: opExactString, s: el.s})
		case jNumber:
			f, err := strconv.ParseFloat(el.s, 64)
			if err != nil || math.IsInf(f, 0) {
				return nil, &Error{Path: ep, Reason: "Cannot compare number : " + el.s}
			}
			ms = append(ms, matcher{op: opExactNumber, n: f, s: el.s, b: bigInteger(el.s)})
		case jArray:
			return nil, &Error{Path: ep, Reason: "Match value must be String, number, true, false, or null"}
		case jObject:
			m, err := compileExpression(ep, el)
			if err != nil {
				return nil, err
			}
			ms = append(ms, m)
		}
	}
	return ms, nil
}

// compileExpression compiles a match expression such as {"prefix": "us-"}.
func compileExpression(jp string, obj *jnode) (matcher, error) {
	if len(obj.keys) == 0 {
		return matcher{}, &Error{Path: jp, Reason: "Match expression name not found"}
	}
	op, operand := obj.keys[0], obj.kids[0]
	opPath := jsonPath(jp, op)
	var (
		m   matcher
		err error
	)
	// The operand is checked before the number of keys: EventBridge's parser reads the first
	// operator's operand before it sees a second key.
	switch op {
	case "prefix", "suffix":
		m, err = compileAffix(opPath, op, operand)
	case "equals-ignore-case":
		if operand.kind != jString {
			return m, &Error{Path: opPath, Reason: "equals-ignore-case match pattern must be a string"}
		}
		m = matcher{op: opEqualsFold, s: operand.s}
	case "wildcard":
		var w wildcard
		if w, err = compileWildcard(opPath, operand); err == nil {
			m = matcher{op: opWildcard, wcs: []wildcard{w}}
		}
	case "cidr":
		var p netip.Prefix
		if p, err = compileCIDR(opPath, operand); err == nil {
			m = matcher{op: opCIDR, prefix: p}
		}
	case "numeric":
		m, err = compileNumeric(opPath, operand)
	case "exists":
		if operand.kind != jBool {
			return m, &Error{Path: opPath, Reason: "exists match pattern must be either true or false."}
		}
		m = matcher{op: opExists, b: operand.b}
	case "anything-but":
		m, err = compileAnythingBut(opPath, operand)
	default:
		return m, &Error{Path: opPath, Reason: "Unrecognized match type " + op}
	}
	if err != nil {
		return matcher{}, err
	}
	if len(obj.keys) > 1 {
		if op == "numeric" || op == "anything-but" {
			return matcher{}, &Error{Path: jsonPath(jp, obj.keys[1]), Reason: "Too many elements in numeric expression"}
		}
		return matcher{}, &Error{Path: jsonPath(jp, obj.keys[1]), Reason: "Only one key allowed in match expression"}
	}
	return m, nil
}

func compileAffix(jp, op string, operand *jnode) (matcher, error) {
	fold, plain := opPrefixFold, opPrefix
	if op == "suffix" {
		fold, plain = opSuffixFold, opSuffix
	}
	switch operand.kind {
	case jString:
		// An empty affix is accepted by EventBridge and matches every string value.
		return matcher{op: plain, s: operand.s}, nil
	case jObject:
		if len(operand.keys) == 0 {
			return matcher{}, &Error{Path: jp, Reason: strings.ToUpper(op[:1]) + op[1:] + " expression name not found"}
		}
		inner := operand.keys[0]
		ip := jsonPath(jp, inner)
		if inner != "equals-ignore-case" {
			return matcher{}, &Error{Path: ip, Reason: "Unsupported " + op + " pattern: " + inner}
		}
		if operand.kids[0].kind != jString {
			return matcher{}, &Error{Path: ip, Reason: "equals-ignore-case match pattern must be a string"}
		}
		if len(operand.keys) > 1 {
			return matcher{}, &Error{Path: jsonPath(jp, operand.keys[1]), Reason: "Only one key allowed in match expression"}
		}
		return matcher{op: fold, s: operand.kids[0].s}, nil
	}
	return matcher{}, &Error{Path: jp, Reason: op + " match pattern must be a string"}
}

// compileWildcard splits a wildcard operand into literal segments around unescaped '*'.
// Only \* and \\ are escapes; positions in messages are 1-based UTF-8 byte offsets, as AWS
// reports them.
func compileWildcard(jp string, operand *jnode) (wildcard, error) {
	if operand.kind != jString {
		return wildcard{}, &Error{Path: jp, Reason: "wildcard match pattern must be a string"}
	}
	s := operand.s
	var (
		segs []string
		cur  strings.Builder
	)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 >= len(s) || (s[i+1] != '*' && s[i+1] != '\\') {
				return wildcard{}, &Error{Path: jp, Reason: fmt.Sprintf("Invalid escape character at pos %d", i+1)}
			}
			cur.WriteByte(s[i+1])
			i++
		case '*':
			if i+1 < len(s) && s[i+1] == '*' {
				return wildcard{}, &Error{Path: jp, Reason: fmt.Sprintf("Consecutive wildcard characters at pos %d", i+1)}
			}
			segs = append(segs, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	segs = append(segs, cur.String())
	return wildcard{segs: segs}, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func compileCIDR(jp string, operand *jnode) (netip.Prefix, error) {
	if operand.kind != jString {
		// AWS's own wording for a non-string cidr operand names prefix.
		return netip.Prefix{}, &Error{Path: jp, Reason: "prefix match pattern must be a string"}
	}
	addr, mask, found := strings.Cut(operand.s, "/")
	if !found || mask == "" || strings.Contains(mask, "/") {
		return netip.Prefix{}, &Error{Path: jp, Reason: "Malformed CIDR, one '/' required"}
	}
	digits := strings.TrimLeft(mask, "+-")
	if len(mask)-len(digits) > 1 || !isDigits(digits) {
		return netip.Prefix{}, &Error{Path: jp, Reason: "Malformed CIDR, mask bits must be an integer"}
	}
	bits64, err := strconv.ParseInt(mask, 10, 32)
	if err != nil {
		return netip.Prefix{}, &Error{Path: jp, Reason: "Malformed CIDR, mask bits must be an integer"}
	}
	bits := int(bits64)
	if bits < 0 {
		return netip.Prefix{}, &Error{Path: jp, Reason: "Malformed CIDR, mask bits must not be negative"}
	}
	var ip netip.Addr
	parts := strings.Split(addr, ".")
	switch {
	case len(parts) == 4 && isDigits(parts[0]) && isDigits(parts[1]) && isDigits(parts[2]) && isDigits(parts[3]):
		// Octets are decimal even with leading zeros (0177 is 177), as AWS reads them.
		var b [4]byte
		for i, p := range parts {
			v, err := strconv.Atoi(p)
			if err != nil || v > 255 {
				return netip.Prefix{}, &Error{Path: jp, Reason: "Invalid IP address: " + addr}
			}
			b[i] = byte(v)
		}
		ip = netip.AddrFrom4(b)
		if bits > 31 {
			return netip.Prefix{}, &Error{Path: jp, Reason: "IPv4 mask bits must be < 32"}
		}
	case strings.Contains(addr, ":") && strings.Trim(addr, "0123456789abcdefABCDEF:") == "":
		ip, err = netip.ParseAddr(addr)
		if err != nil {
			return netip.Prefix{}, &Error{Path: jp, Reason: "Invalid IP address: " + addr}
		}
		if bits > 127 {
			return netip.Prefix{}, &Error{Path: jp, Reason: "IPv6 mask bits must be < 128"}
		}
	default:
		return netip.Prefix{}, &Error{Path: jp, Reason: "Nonstandard IP address: " + addr}
	}
	return netip.PrefixFrom(ip, bits).Masked(), nil
}

var numericNames = map[string]string{"=": "equals", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

// threshold validates a number used by numeric or anything-but: finite, and (for an integer
// literal) exactly representable as the double EventBridge compares with.
func threshold(jp, name string, n *jnode) (float64, error) {
	if n.kind != jNumber {
		return 0, &Error{Path: jp, Reason: "Value of " + name + " must be numeric"}
	}
	f, err := strconv.ParseFloat(n.s, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, &Error{Path: jp, Reason: "Cannot compare number : " + n.s}
	}
	if !strings.ContainsAny(n.s, ".eE") {
		i, err := strconv.ParseInt(n.s, 10, 64)
		if err != nil || float64(i) != f || int64(f) != i {
			return 0, &Error{Path: jp, Reason: "Cannot compare number : " + n.s}
		}
	}
	return f, nil
}

func compileNumeric(jp string, operand *jnode) (matcher, error) {
	if operand.kind != jArray {
		return matcher{}, &Error{Path: jp, Reason: "Value of numeric must be an array."}
	}
	el := operand.kids
	if len(el) == 0 {
		return matcher{}, &Error{Path: jp, Reason: "Invalid member in numeric match: ]"}
	}
	if el[0].kind != jString {
		return matcher{}, &Error{Path: indexPath(jp, 0), Reason: "Invalid member in numeric match: " + el[0].text()}
	}
	first := el[0].s
	name, ok := numericNames[first]
	if !ok {
		return matcher{}, &Error{Path: indexPath(jp, 0), Reason: "Unrecognized numeric range operator: " + first}
	}
	if len(el) < 2 {
		return matcher{}, &Error{Path: jp, Reason: "Value of " + name + " must be numeric"}
	}
	bottom, err := threshold(indexPath(jp, 1), name, el[1])
	if err != nil {
		return matcher{}, err
	}
	m := matcher{op: opNumeric, ncmps: 1}
	m.cmps[0] = comparison{op: first, v: bottom}
	if len(el) == 2 {
		return m, nil
	}
	if first != ">" && first != ">=" {
		return matcher{}, &Error{Path: indexPath(jp, 2), Reason: "Too many elements in numeric expression"}
	}
	if len(el) > 4 {
		return matcher{}, &Error{Path: indexPath(jp, 4), Reason: "Too many terms in numeric range expression"}
	}
	if el[2].kind != jString {
		return matcher{}, &Error{Path: indexPath(jp, 2), Reason: "Bad value in numeric range: " + el[2].text()}
	}
	second := el[2].s
	if second != "<" && second != "<=" {
		return matcher{}, &Error{Path: indexPath(jp, 2), Reason: "Bad numeric range operator: " + second}
	}
	if len(el) < 4 {
		return matcher{}, &Error{Path: jp, Reason: "Value of " + second + " must be numeric"}
	}
	top, err := threshold(indexPath(jp, 3), second, el[3])
	if err != nil {
		return matcher{}, err
	}
	if !(bottom < top) {
		return matcher{}, &Error{Path: jp, Reason: "Bottom must be less than top"}
	}
	m.cmps[1] = comparison{op: second, v: top}
	m.ncmps = 2
	return m, nil
}

func compileAnythingBut(jp string, operand *jnode) (matcher, error) {
	switch operand.kind {
	case jString:
		return matcher{op: opButStrings, strs: []string{operand.s}}, nil
	case jNumber:
		f, err := threshold(jp, "anything-but", operand)
		if err != nil {
			return matcher{}, err
		}
		return matcher{op: opButNumbers, nums: []float64{f}}, nil
	case jArray:
		var hasNum, hasStr bool
		for i, v := range operand.kids {
			switch v.kind {
			case jNumber:
				hasNum = true
			case jString:
				hasStr = true
			default:
				return matcher{}, &Error{Path: indexPath(jp, i), Reason: "Inside anything but list, start|null|boolean is not supported."}
			}
		}
		if len(operand.kids) == 0 {
			return matcher{}, &Error{Path: jp, Reason: "Empty arrays are not allowed"}
		}
		if hasNum && hasStr {
			return matcher{}, &Error{Path: jp, Reason: "Inside anything but list, either all values are number or string, mixed type is not supported"}
		}
		if hasStr {
			m := matcher{op: opButStrings}
			for _, v := range operand.kids {
				m.strs = append(m.strs, v.s)
			}
			return m, nil
		}
		m := matcher{op: opButNumbers}
		for i, v := range operand.kids {
			f, err := threshold(indexPath(jp, i), "anything-but", v)
			if err != nil {
				return matcher{}, err
			}
			m.nums = append(m.nums, f)
		}
		return m, nil
	case jObject:
		return compileAnythingButNested(jp, operand)
	}
	return matcher{}, &Error{Path: jp, Reason: "Value of anything-but must be an array or single string/number value."}
}

// compileAnythingButNested compiles anything-but's prefix, suffix, equals-ignore-case and
// wildcard forms, each with one string or a list of them.
func compileAnythingButNested(jp string, operand *jnode) (matcher, error) {
	if len(operand.keys) == 0 {
		return matcher{}, &Error{Path: jp, Reason: "Anything-But expression name not found"}
	}
	inner, val := operand.keys[0], operand.kids[0]
	ip := jsonPath(jp, inner)
	var op opcode
	switch inner {
	case "prefix":
		op = opButPrefix
	case "suffix":
		op = opButSuffix
	case "equals-ignore-case":
		op = opButFold
	case "wildcard":
		op = opButWildcard
	default:
		return matcher{}, &Error{Path: ip, Reason: "Unsupported anything-but pattern: " + inner}
	}
	if len(operand.keys) > 1 {
		return matcher{}, &Error{Path: jsonPath(jp, operand.keys[1]), Reason: "Only one key allowed in match expression"}
	}
	cands := []*jnode{val}
	candPath := func(int) string { return ip }
	if val.kind == jArray {
		cands = val.kids
		candPath = func(i int) string { return indexPath(ip, i) }
		if len(cands) == 0 {
			return matcher{}, &Error{Path: ip, Reason: "Empty arrays are not allowed"}
		}
	}
	m := matcher{op: op}
	for i, c := range cands {
		cp := candPath(i)
		if c.kind == jBool || c.kind == jNull || c.kind == jObject || (c.kind == jArray && val.kind == jArray) {
			return matcher{}, &Error{Path: cp, Reason: "Value of anything-but must be an array or single string/number value."}
		}
		switch op {
		case opButPrefix, opButSuffix:
			if c.kind != jString {
				return matcher{}, &Error{Path: cp, Reason: "prefix/suffix match pattern must be a string"}
			}
			if c.s == "" {
				return matcher{}, &Error{Path: cp, Reason: "Null prefix/suffix not allowed"}
			}
			m.strs = append(m.strs, c.s)
		case opButFold:
			if c.kind != jString {
				return matcher{}, &Error{Path: cp, Reason: "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."}
			}
			m.strs = append(m.strs, c.s)
		case opButWildcard:
			w, err := compileWildcard(cp, c)
			if err != nil {
				return matcher{}, err
			}
			m.wcs = append(m.wcs, w)
		}
	}
	return m, nil
}
