package kaleyra

import (
	"strings"
	"testing"
)

func TestSnippet(t *testing.T) {
	if got := Snippet([]byte("<html>\x00</html>"), 200); got != `"<html>\x00</html>"` {
		t.Errorf("Snippet = %s", got)
	}
	long := strings.Repeat("é", 200)
	got := Snippet([]byte(long), 201)
	if !strings.HasSuffix(got, "…") || strings.Contains(got, `\x`) {
		t.Errorf("Snippet cut a rune in half: %s", got)
	}
}
