package eventpattern

import "testing"

func TestSmoke(t *testing.T) {
	p, err := Compile([]byte(`{"source":["hydrant"],"detail":{"streamArn":[{"prefix":"arn:aws:kinesis:"}],"n":[{"numeric":[">",0,"<=",5]}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	ok, err := p.MatchJSON([]byte(`{"source":"hydrant","detail":{"streamArn":"arn:aws:kinesis:eu-west-1:1:stream/x","n":5.0}}`))
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	ok, _ = p.MatchJSON([]byte(`{"source":"hydrant","detail":{"streamArn":"arn:aws:kinesis:eu-west-1:1:stream/x","n":6}}`))
	if ok {
		t.Fatal("matched")
	}
}
