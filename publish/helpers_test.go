package publish_test

import "github.com/tocsin-network/tocsin/federation"

func fedNote(text string) federation.NoteInput {
	return federation.NoteInput{Content: "<p>" + text + "</p>", Language: "en", Audience: federation.Audience{Public: true}}
}
