package eventbus

import "testing"

// TestUnquotedJSON pins the unquoted form AWS gives an object or array value inserted as text.
// Recorded against AWS (LocalStack test_input_transformer_nested_keys_replacement, 13-12-2024):
// the first three rows. The rest apply the same rule — the value's JSON with every string
// written as is, without quotes or escapes — to what was not recorded (DECISIONS.md).
func TestUnquotedJSON(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"acc_id":"0a787ecb-4015","sf_id":"baz"}`, `{acc_id:0a787ecb-4015,sf_id:baz}`},
		{`["HIGH"]`, `[HIGH]`},
		{`["ACTIVE","INACTIVE"]`, `[ACTIVE,INACTIVE]`},
		{`{"a":{"b":[1,2.50,{"c":null}]},"d":true}`, `{a:{b:[1,2.50,{c:null}]},d:true}`},
		{`["x,y","say \"hi\"","tab\there"]`, "[x,y,say \"hi\",tab\there]"},
		{`[]`, `[]`},
		{`{}`, `{}`},
		{`[[],{}]`, `[[],{}]`},
	} {
		if got := string(unquotedJSON([]byte(tc.in))); got != tc.want {
			t.Errorf("unquotedJSON(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
