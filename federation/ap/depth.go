package ap

// CheckDepth refuses JSON nested deeper than MaxDepth without decoding it:
// the inbox calls it before anything else reads the body.
func CheckDepth(b []byte) error { return checkDepth(b, MaxDepth) }
