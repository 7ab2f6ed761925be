package main

import (
	"strings"
	"testing"
)

func TestCountriesTSVUsesCommonNamesAndAddsKosovo(t *testing.T) {
	in := `{"3166-1":[
	 {"alpha_2":"KE","name":"Kenya"},
	 {"alpha_2":"BO","name":"Bolivia, Plurinational State of","common_name":"Bolivia"},
	 {"alpha_2":"CD","name":"Congo, The Democratic Republic of the"},
	 {"alpha_2":"VG","name":"Virgin Islands, British"},
	 {"alpha_2":"SH","name":"Saint Helena, Ascension and Tristan da Cunha"}]}`
	out, err := countriesTSV([]byte(in), "9.9")
	if err != nil {
		t.Fatal(err)
	}
	got := string(out)
	for _, want := range []string{
		"BO\tBolivia\n", "CD\tDemocratic Republic of the Congo\n", "KE\tKenya\n",
		"VG\tBritish Virgin Islands\n", "SH\tSaint Helena, Ascension and Tristan da Cunha\n",
		"XK\tKosovo\n", "iso-codes 9.9", "LGPL-2.1",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Index(got, "BO\t") > strings.Index(got, "KE\t") {
		t.Error("lines not sorted by code")
	}
}

func TestSubdivisionsTSVRefusesTabs(t *testing.T) {
	if _, err := subdivisionsTSV([]byte(`{"3166-2":[{"code":"KE-30","name":"Nairobi\tCity","type":"County"}]}`), "x"); err == nil {
		t.Fatal("want an error for a tab in a name")
	}
	out, err := subdivisionsTSV([]byte(`{"3166-2":[{"code":"KE-30","name":"Nairobi City","type":"County"}]}`), "x")
	if err != nil || !strings.Contains(string(out), "KE-30\tNairobi City\tCounty\n") {
		t.Fatalf("got %q, %v", out, err)
	}
}
