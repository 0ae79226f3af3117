package config

import "testing"

// TestBareEnvReferenceWarns: only ${NAME} reads the environment, so a
// secret written $NAME (as a shell or docker compose would take it) is
// used as those letters, a token Discord refuses or a password the server
// does: check says so at its line. A "$" inside a word, before a digit or
// in a key that holds no secret is no reference.
func TestBareEnvReferenceWarns(t *testing.T) {
	const mail = "destinations:\n  - name: mail\n    type: email\n    smtp_host: smtp.example.org\n    from: a@example.org\n    to: b@example.org\n    username: u\n"
	const feed = "feeds:\n  - name: f\n    url: https://f.example.org/rss\n"
	tests := []struct{ name, text, want string }{
		{"token", "discord: {token: $DISCORD_TOKEN}\n",
			`r.yaml:1:18: warning: token: "$DISCORD_TOKEN" is taken as written: only ${DISCORD_TOKEN} reads the environment variable`},
		{"password", mail + "    password: $SMTP_PASSWORD\n",
			`r.yaml:8:15: warning: password: "$SMTP_PASSWORD" is taken as written: only ${SMTP_PASSWORD} reads the environment variable`},
		{"header", feed + "    headers: {X-Api-Key: $API_KEY}\n",
			`r.yaml:4:26: warning: headers: X-Api-Key: "$API_KEY" is taken as written: only ${API_KEY} reads the environment variable`},
		{"header after a word", feed + "    headers: {Authorization: Bearer $API_KEY}\n",
			`r.yaml:4:30: warning: headers: Authorization: "$API_KEY" is taken as written: only ${API_KEY} reads the environment variable`},
		{"dsn", "store: {driver: postgres, dsn: $DATABASE_URL}\n",
			`r.yaml:1:32: warning: dsn: "$DATABASE_URL" is taken as written: only ${DATABASE_URL} reads the environment variable`},
		{"braces", "discord: {token: \"${NEWSHOUND_TEST_USER}\"}\n", ""},
		{"inside a word", mail + "    password: pa$word\n", ""},
		{"before a digit", mail + "    password: $100bills\n", ""},
		{"no secret", feed + "subscriptions:\n  - {name: s, query: \"$ALEPPO\"}\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := warningsOf(t, "r.yaml", tc.text); got != tc.want {
				t.Errorf("Warnings:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}
