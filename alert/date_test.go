package alert

import (
	"encoding/json"
	"testing"
	"time"
)

func TestDate(t *testing.T) {
	d, err := ParseDate("2027-08-09")
	if err != nil || d != (Date{2027, time.August, 9}) || d.String() != "2027-08-09" || !d.Valid() {
		t.Fatalf("ParseDate = %+v, %v", d, err)
	}
	for _, in := range []string{"2027-02-30", "2027-8-9", "09/08/2027", "2027-08-09T00:00:00Z", ""} {
		if _, err := ParseDate(in); err == nil {
			t.Errorf("ParseDate(%q): want error", in)
		}
	}
	if (Date{2027, time.February, 29}).Valid() || (Date{0, 1, 1}).Valid() || (Date{}).Valid() {
		t.Error("invalid dates reported valid")
	}
	var e Election
	if err := json.Unmarshal([]byte(`{"name":"x","date":"2027-08-09"}`), &e); err != nil || e.Date.Day != 9 {
		t.Fatalf("Unmarshal = %+v, %v", e, err)
	}
	b, _ := json.Marshal(Election{Name: "x"})
	if string(b) != `{"name":"x"}` {
		t.Errorf("zero date encoded: %s", b)
	}
	if _, err := json.Marshal(Election{Date: Date{2027, 2, 30}}); err == nil {
		t.Error("marshal of an impossible date: want error")
	}
}
