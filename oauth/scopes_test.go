package oauth

import (
	"slices"
	"testing"
)

func TestParseScopes(t *testing.T) {
	tests := []struct {
		in      string
		want    Scopes
		wantErr bool
	}{
		{"", Scopes{"read"}, false},
		{"  ", Scopes{"read"}, false},
		{"read write follow push", Scopes{"read", "write", "follow", "push"}, false},
		{"read  read\nwrite:statuses", Scopes{"read", "write:statuses"}, false},
		{"admin:read:accounts profile", Scopes{"admin:read:accounts", "profile"}, false},
		{"read crypto", nil, true},
		{"admin", nil, true},
		{"READ", nil, true},
	}
	for _, tt := range tests {
		got, err := ParseScopes(tt.in)
		if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
			t.Errorf("ParseScopes(%q) = %v, %v; want %v (error: %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestScopeHierarchy(t *testing.T) {
	tests := []struct {
		granted  Scopes
		required string
		want     bool
	}{
		{Scopes{"read"}, "read", true},
		{Scopes{"read"}, "read:statuses", true},
		{Scopes{"read"}, "write:statuses", false},
		{Scopes{"read:statuses"}, "read", false},
		{Scopes{"read:statuses"}, "read:accounts", false},
		{Scopes{"write"}, "write:media", true},
		{Scopes{"follow"}, "read:follows", true},
		{Scopes{"follow"}, "write:blocks", true},
		{Scopes{"follow"}, "write:mutes", true},
		{Scopes{"follow"}, "read:statuses", false},
		{Scopes{"admin:read"}, "admin:read:accounts", true},
		{Scopes{"admin:read"}, "admin:write:accounts", false},
		{Scopes{"read"}, "admin:read:accounts", false},
		{Scopes{"profile"}, "read:accounts", false},
		{Scopes{"read"}, "profile", false},
	}
	for _, tt := range tests {
		if got := tt.granted.Allows(tt.required); got != tt.want {
			t.Errorf("%v.Allows(%q) = %v, want %v", tt.granted, tt.required, got, tt.want)
		}
	}
	if !(Scopes{"read:statuses"}).AllowsAny("read", "read:statuses") {
		t.Error("AllowsAny does not accept any one of the listed scopes")
	}
	if !(Scopes{"push"}).AllowsAny() {
		t.Error("AllowsAny() with no scopes listed refuses")
	}
	if !(Scopes{"read:statuses", "write"}).Within(Scopes{"read", "write", "push"}) {
		t.Error("narrower scopes are not within broader ones")
	}
	if (Scopes{"read", "write"}).Within(Scopes{"read"}) {
		t.Error("write is within read")
	}
	if got := (Scopes{"read", "admin:read", "admin:write:reports"}).withoutAdmin(); !slices.Equal(got, Scopes{"read"}) {
		t.Errorf("withoutAdmin = %v", got)
	}
}
