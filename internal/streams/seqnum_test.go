package streams

import (
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
)

// parseSequenceNumber parses digits into a seqNumber's words: it must give SetString's value
// for every length (beyond the words too) and with leading zeros.
func TestParseSequenceNumberIsSetString(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cases := []string{"0", "00", "1", "9", "10", "18446744073709551615", "18446744073709551616", "9999999999999999999", "10000000000000000000",
		"49656110238473859283742908321478920718632199047364018226", strings.Repeat("9", 77), strings.Repeat("9", 78), strings.Repeat("0", 60) + "7"}
	for n := 1; n <= 100; n++ {
		for range 20 {
			var b strings.Builder
			for range n {
				b.WriteByte(byte('0' + r.IntN(10)))
			}
			cases = append(cases, b.String())
		}
	}
	for _, s := range cases {
		got, err := parseSequenceNumber(s)
		want, _ := new(big.Int).SetString(s, 10)
		if err != nil || got.Cmp(want) != 0 || got.String() != want.String() {
			t.Fatalf("parseSequenceNumber(%s) = %v, %v; want %v", s, got, err, want)
		}
	}
}

func TestParseSequenceNumberAllocatesOnce(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() {
		if _, err := parseSequenceNumber("49656110238473859283742908321478920718632199047364018226"); err != nil {
			t.Fatal(err)
		}
	}); n != 1 {
		t.Errorf("parseSequenceNumber allocates %v times, want 1", n)
	}
}
