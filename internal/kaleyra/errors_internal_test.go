package kaleyra

import (
	"strings"
	"testing"
)

func TestSnippet(t *testing.T) {
	if got := NewRedactor("").Snippet([]byte("<html>\x00</html>"), 200); got != `"<html>\x00</html>"` {
		t.Errorf("Snippet = %s", got)
	}
	long := strings.Repeat("é", 200)
	got := NewRedactor("").Snippet([]byte(long), 201)
	if !strings.HasSuffix(got, "…") || strings.Contains(got, `\x`) {
		t.Errorf("Snippet cut a rune in half: %s", got)
	}
}

func TestSnippetMasksNumbers(t *testing.T) {
	body := []byte(`{"code":"CNT196","data":[{"mobile":"+919876543210","channel_type":"3"},{"mobile":"919876543211"}],"n":123456}`)
	want := `"{\"code\":\"CNT196\",\"data\":[{\"mobile\":\"+############\",\"channel_type\":\"3\"},{\"mobile\":\"############\"}],\"n\":123456}"`
	if got := NewRedactor("").Snippet(body, 200); got != want {
		t.Errorf("Snippet =\n %s\nwant\n %s", got, want)
	}
	// A number cut by the snippet's end is masked as a whole: no digit of
	// it shows.
	cut := []byte(`{"mobile":"+919876543210"}`)
	if got := NewRedactor("").Snippet(cut, 14); got != `"{\"mobile\":\"+##"…` {
		t.Errorf("Snippet of a number across the cut = %s", got)
	}
	if string(body) != `{"code":"CNT196","data":[{"mobile":"+919876543210","channel_type":"3"},{"mobile":"919876543211"}],"n":123456}` {
		t.Error("Snippet changed the body it was given")
	}
}
