package integrity

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/mr-tron/base58"
)

// Cryptosuites, contexts and fixed proof values.
const (
	// Cryptosuite is what we sign with: W3C Data Integrity EdDSA
	// Cryptosuites v1.0, eddsa-jcs-2022.
	Cryptosuite = "eddsa-jcs-2022"
	// DraftCryptosuite is the name earlier drafts (and the FEP-8b32 test
	// vector) used; its proof options are hashed without @context.
	DraftCryptosuite = "jcs-eddsa-2022"
	ProofType        = "DataIntegrityProof"
	ProofPurpose     = "assertionMethod"

	ActivityStreamsContext = "https://www.w3.org/ns/activitystreams"
	// DataIntegrityContext is what we add: v1, because Fedify (and
	// other JSON-LD processors without network access) preload v1 only and
	// refuse documents naming v2.
	DataIntegrityContext = "https://w3id.org/security/data-integrity/v1"
	// DataIntegrityContextV2 (Mitra's) already defines the proof terms.
	DataIntegrityContextV2 = "https://w3id.org/security/data-integrity/v2"
	MultikeyContext        = "https://w3id.org/security/multikey/v1"
	// CredentialsContext defines the data-integrity terms too.
	CredentialsContext = "https://www.w3.org/ns/credentials/v2"
)

// Key is an actor's Ed25519 signing key.
type Key struct {
	// ID is the verificationMethod IRI, the actor's IRI + "#ed25519-key".
	ID string
	// Controller is the actor the key belongs to.
	Controller string
	Private    ed25519.PrivateKey
}

// Proof is a verified proof.
type Proof struct {
	Type, Cryptosuite, VerificationMethod, ProofPurpose string
	Created                                             time.Time
	// Controller is the actor the verification method belongs to, as the
	// key lookup said.
	Controller string
	// Draft is true when the signature verified with the draft hashing
	// (proof options without @context) rather than the W3C recommendation's.
	Draft bool
}

// Sign returns raw, a JSON object, with a proof member added: a
// DataIntegrityProof of cryptosuite eddsa-jcs-2022 and purpose
// assertionMethod made with key at created (seconds precision). The
// data-integrity context is added to @context if missing, and the document
// comes back in its RFC 8785 form with the proof in place (the same JSON,
// members sorted, no insignificant whitespace). raw must not
// already carry a proof, and its actor (or attributedTo) must be key's
// controller.
func Sign(raw []byte, key Key, created time.Time) ([]byte, error) {
	return SignSuite(raw, key, created, Cryptosuite)
}

// SignSuite is Sign with the cryptosuite named: Cryptosuite, or
// DraftCryptosuite to produce what the FEP-8b32 test vector and peers
// implementing the draft expect (proof options hashed without @context,
// @context left as it is).
func SignSuite(raw []byte, key Key, created time.Time, suite string) ([]byte, error) {
	if suite != Cryptosuite && suite != DraftCryptosuite {
		return nil, fail(Unsupported, key.ID, "cannot sign with cryptosuite "+suite, nil)
	}
	if len(key.Private) != ed25519.PrivateKeySize || key.ID == "" {
		return nil, fail(Malformed, key.ID, "signing key needs an id and an Ed25519 private key", nil)
	}
	canon, err := canonicalize(raw)
	if err != nil {
		return nil, fail(Malformed, key.ID, "", err)
	}
	ms, err := topMembers(canon)
	if err != nil {
		return nil, fail(Malformed, key.ID, "", err)
	}
	if find(ms, "proof") >= 0 {
		return nil, fail(Malformed, key.ID, "the document already carries a proof", nil)
	}
	if owner := ownerOf(canon, ms); owner != "" && key.Controller != "" && owner != key.Controller {
		return nil, fail(ControllerMismatch, key.ID, fmt.Sprintf("the document belongs to %s, the key to %s", owner, key.Controller), nil)
	}
	var ctx []byte
	if i := find(ms, "@context"); i >= 0 {
		ctx = canon[ms[i].vstart:ms[i].end]
	}
	if suite == Cryptosuite {
		nctx, changed, err := withDataIntegrityContext(ctx)
		if err != nil {
			return nil, fail(Malformed, key.ID, "@context", err)
		}
		if changed {
			if i := find(ms, "@context"); i >= 0 {
				// Same member, canonical value: still canonical, and the
				// members after it only move.
				delta := len(nctx) - (ms[i].end - ms[i].vstart)
				canon = replaced(canon, ms[i], nctx)
				ms[i].end += delta
				for j := i + 1; j < len(ms); j++ {
					ms[j].start, ms[j].vstart, ms[j].end = ms[j].start+delta, ms[j].vstart+delta, ms[j].end+delta
				}
			} else {
				doc, err := withMember(canon, "@context", nctx)
				if err == nil {
					canon, err = canonicalize(doc) // the new member may sit out of order
				}
				if err == nil {
					ms, err = topMembers(canon)
				}
				if err != nil {
					return nil, fail(Malformed, key.ID, "", err)
				}
			}
			ctx = nctx
		}
	}
	opts := proofOptions{
		Type: ProofType, Cryptosuite: suite, VerificationMethod: key.ID, ProofPurpose: ProofPurpose,
		Created: created.UTC().Truncate(time.Second).Format(time.RFC3339),
	}
	if suite == Cryptosuite && ctx != nil {
		opts.Context = json.RawMessage(ctx)
	}
	config, err := opts.canonical()
	if err != nil {
		return nil, fail(Malformed, key.ID, "proof options", err)
	}
	sig := ed25519.Sign(key.Private, hashData(config, canon))
	opts.ProofValue = "z" + base58.Encode(sig)
	proof, err := opts.canonical()
	if err != nil {
		return nil, fail(Malformed, key.ID, "proof", err)
	}
	// The signed document is the canonical one with the proof in canonical
	// order: canonical too, so verifiers skip rebuilding it.
	return withMemberSorted(canon, ms, "proof", proof), nil
}

// proofOptions is a proof as written. The attached proof keeps the
// @context it was hashed with, as the FEP-8b32 examples show, so verifiers
// of the recommendation and of the drafts compute the same hash.
type proofOptions struct {
	Context            json.RawMessage `json:"@context,omitempty"`
	Type               string          `json:"type"`
	Cryptosuite        string          `json:"cryptosuite"`
	VerificationMethod string          `json:"verificationMethod"`
	ProofPurpose       string          `json:"proofPurpose"`
	Created            string          `json:"created,omitempty"`
	ProofValue         string          `json:"proofValue,omitempty"`
}

// canonical returns the RFC 8785 form of the options: without proofValue,
// the proof configuration that is hashed; with it, the proof as attached.
func (o proofOptions) canonical() ([]byte, error) {
	m := make(map[string]json.RawMessage, 6)
	if o.Context != nil {
		m["@context"] = o.Context // canonical: cut from the canonical document
	}
	for k, v := range map[string]string{"type": o.Type, "cryptosuite": o.Cryptosuite,
		"verificationMethod": o.VerificationMethod, "proofPurpose": o.ProofPurpose, "created": o.Created,
		"proofValue": o.ProofValue} {
		if v == "" && (k == "created" || k == "proofValue") {
			continue
		}
		s, err := canonicalString(v)
		if err != nil {
			return nil, err
		}
		m[k] = s
	}
	return canonicalObject(m)
}

// hashData is what Ed25519 signs: SHA-256 of the canonical proof
// configuration, then SHA-256 of the canonical document without its proof.
func hashData(config, doc []byte) []byte {
	a, b := sha256.Sum256(config), sha256.Sum256(doc)
	return append(a[:], b[:]...)
}

// withDataIntegrityContext returns the canonical @context with the
// data-integrity context added after the last remote (string) context, as
// Mitra writes it, and whether it had to be added. No @context at all
// becomes ActivityStreams plus data integrity.
func withDataIntegrityContext(ctx []byte) ([]byte, bool, error) {
	di := json.RawMessage(`"` + DataIntegrityContext + `"`)
	if ctx == nil {
		return canonicalArray([]json.RawMessage{json.RawMessage(`"` + ActivityStreamsContext + `"`), di}), true, nil
	}
	l, err := contextList(ctx)
	if err != nil {
		return nil, false, err
	}
	last := -1
	for i, e := range l {
		if len(e) == 0 || e[0] != '"' {
			continue
		}
		var s string
		if json.Unmarshal(e, &s) != nil {
			continue
		}
		if s == DataIntegrityContext || s == DataIntegrityContextV2 || s == CredentialsContext {
			return ctx, false, nil
		}
		last = i
	}
	out := make([]json.RawMessage, 0, len(l)+1)
	out = append(out, l[:last+1]...)
	out = append(out, di)
	out = append(out, l[last+1:]...)
	return canonicalArray(out), true, nil
}

// canonicalArray joins canonical values into a canonical array.
func canonicalArray(l []json.RawMessage) []byte {
	out := []byte{'['}
	for i, e := range l {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, e...)
	}
	return append(out, ']')
}

// ownerOf returns who a canonical document says it belongs to: its actor
// (an activity), else its attributedTo (an object); "" when neither.
func ownerOf(canon []byte, ms []member) string {
	for _, key := range []string{"actor", "attributedTo"} {
		if i := find(ms, key); i >= 0 {
			return idOf(canon[ms[i].vstart:ms[i].end])
		}
	}
	return ""
}

// idOf reads an IRI given as a string, an object with an id, or an array
// of those (the first).
func idOf(v []byte) string {
	if len(v) > 1 && v[0] == '"' && bytes.IndexByte(v[1:len(v)-1], '\\') < 0 {
		return string(v[1 : len(v)-1]) // a plain string (the usual case)
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var o struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(v, &o) == nil && o.ID != "" {
		return o.ID
	}
	var l []json.RawMessage
	if json.Unmarshal(v, &l) == nil && len(l) > 0 {
		return idOf(l[0])
	}
	return ""
}

// Verify checks the proof of raw, a JSON object. lookup resolves the
// proof's verificationMethod to its Ed25519 public key and the actor that
// controls it; that actor must be the document's actor (or attributedTo)
// when it names one. The returned error is an *Error: see Ignorable for
// which ones mean "could not check" rather than "forged".
//
// eddsa-jcs-2022 proofs are accepted hashed either way peers make them:
// with the document's @context in the proof configuration (the W3C
// recommendation) or without (earlier drafts, still deployed). A proof
// that carries its own @context is hashed with it, which the document's
// @context must start with.
func Verify(raw []byte, lookup func(verificationMethod string) (ed25519.PublicKey, string, error)) (*Proof, error) {
	canon, err := canonicalize(raw)
	if err != nil {
		return nil, fail(Malformed, "", "", err)
	}
	ms, err := topMembers(canon)
	if err != nil {
		return nil, fail(Malformed, "", "", err)
	}
	pi := find(ms, "proof")
	if pi < 0 {
		return nil, ErrNoProof
	}
	proofRaw := canon[ms[pi].vstart:ms[pi].end]
	if proofRaw[0] == '[' {
		var l []json.RawMessage
		if err := json.Unmarshal(proofRaw, &l); err != nil || len(l) != 1 {
			return nil, fail(Unsupported, "", "several proofs (FEP-8b32: objects carry one)", nil)
		}
		proofRaw = l[0]
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(proofRaw, &fields); err != nil {
		return nil, fail(Malformed, "", "proof is not an object", err)
	}
	str := func(k string) string {
		var s string
		_ = json.Unmarshal(fields[k], &s)
		return s
	}
	p := &Proof{Type: str("type"), Cryptosuite: str("cryptosuite"), VerificationMethod: str("verificationMethod"), ProofPurpose: str("proofPurpose")}
	vm := p.VerificationMethod
	switch {
	case p.Type != ProofType:
		return nil, fail(Unsupported, vm, fmt.Sprintf("proof type %q", p.Type), nil)
	case p.Cryptosuite != Cryptosuite && p.Cryptosuite != DraftCryptosuite:
		return nil, fail(Unsupported, vm, fmt.Sprintf("cryptosuite %q", p.Cryptosuite), nil)
	case p.ProofPurpose != ProofPurpose:
		return nil, fail(Unsupported, vm, fmt.Sprintf("proof purpose %q (FEP-8b32 requires %s)", p.ProofPurpose, ProofPurpose), nil)
	case vm == "":
		return nil, fail(Malformed, "", "proof has no verificationMethod", nil)
	}
	if c := str("created"); c != "" {
		if p.Created, err = time.Parse(time.RFC3339, c); err != nil {
			return nil, fail(Malformed, vm, "created is not an RFC 3339 date", err)
		}
	}
	if e := str("expires"); e != "" {
		exp, err := time.Parse(time.RFC3339, e)
		if err != nil {
			return nil, fail(Malformed, vm, "expires is not an RFC 3339 date", err)
		}
		if time.Now().After(exp) {
			return nil, fail(Unsupported, vm, "proof expired at "+e, nil)
		}
	}
	pv := str("proofValue")
	if len(pv) < 2 || pv[0] != 'z' {
		return nil, fail(Malformed, vm, "proofValue is not multibase base58btc", nil)
	}
	sig, err := base58.Decode(pv[1:])
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, fail(Malformed, vm, "proofValue is not an Ed25519 signature", err)
	}

	doc := without(canon, ms, pi)
	var docCtx []byte
	if i := find(ms, "@context"); i >= 0 {
		docCtx = canon[ms[i].vstart:ms[i].end]
	}
	delete(fields, "proofValue")
	var configs []map[string]json.RawMessage
	switch proofCtx, ok := fields["@context"]; {
	case ok:
		// The proof names the context it was made under; the document's
		// must start with it (contexts may be appended after signing).
		if !contextPrefix(docCtx, proofCtx) {
			return nil, fail(BadSignature, vm, "the document's @context does not start with the proof's", nil)
		}
		if !bytes.Equal(docCtx, proofCtx) {
			dms, err := topMembers(doc)
			if err != nil {
				return nil, fail(Malformed, vm, "", err)
			}
			doc = replaced(doc, dms[find(dms, "@context")], proofCtx)
		}
		configs = append(configs, fields)
	case p.Cryptosuite == Cryptosuite && docCtx != nil:
		withCtx := make(map[string]json.RawMessage, len(fields)+1)
		for k, v := range fields {
			withCtx[k] = v
		}
		withCtx["@context"] = docCtx
		configs = append(configs, withCtx, fields)
	default:
		configs = append(configs, fields)
	}

	pub, controller, err := lookup(vm)
	if err != nil {
		return nil, fail(KeyUnavailable, vm, "", err)
	}
	if len(pub) != ed25519.PublicKeySize {
		return nil, fail(KeyUnavailable, vm, "not an Ed25519 public key", nil)
	}
	p.Controller = controller
	if owner := ownerOf(canon, ms); owner != "" && owner != controller {
		return nil, fail(ControllerMismatch, vm, fmt.Sprintf("the key is %s's, the document %s's", controller, owner), nil)
	}
	docHashes := [][32]byte{sha256.Sum256(doc)}
	// A Linked Data Signature (RsaSignature2017) is added after the proof
	// by senders that make both (Fedify), and detached before checking
	// proofs: so is it here when the document as sent does not verify.
	if dms, err := topMembers(doc); err == nil {
		if si := find(dms, "signature"); si >= 0 {
			docHashes = append(docHashes, sha256.Sum256(without(doc, dms, si)))
		}
	}
	for i, c := range configs {
		config, err := canonicalObject(c) // values cut from canonical text
		if err != nil {
			return nil, fail(Malformed, vm, "proof options", err)
		}
		ch := sha256.Sum256(config)
		for _, dh := range docHashes {
			if ed25519.Verify(pub, append(ch[:], dh[:]...), sig) {
				p.Draft = i > 0 || (p.Cryptosuite == DraftCryptosuite)
				return p, nil
			}
		}
	}
	return nil, fail(BadSignature, vm, "the document is not what was signed", nil)
}

// contextPrefix reports whether the @context doc starts with the entries
// of proof, in order.
func contextPrefix(doc, proof []byte) bool {
	d, err1 := contextList(doc)
	p, err2 := contextList(proof)
	if err1 != nil || err2 != nil || len(p) > len(d) {
		return false
	}
	for i := range p {
		if !bytes.Equal(d[i], p[i]) {
			return false
		}
	}
	return true
}

// ErrNoKey is what a lookup returns for a verification method it does not
// know; Verify reports it as KeyUnavailable.
var ErrNoKey = errors.New("no such verification method")
