package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/newshound/newshound/internal/caret"
)

// Validator checks what config cannot check alone, such as query syntax,
// which belongs to the filters package. It runs even when config found
// problems, so every problem is reported at once: it must tolerate empty
// fields (a Subscription with QueryLine 0 has no query). Problems without a
// File get the config's path. It may set each Subscription's QueryForm,
// which the check for twin subscriptions, after the validators, reads.
type Validator func(c *Config) []Problem

// Load reads the config file at path, expands ${ENV} references from the
// process environment and validates it. The error, if any, is an Errors.
func Load(path string) (*Config, error) {
	return LoadWith(path)
}

// LoadWith is Load with extra validators; their problems are merged with
// config's own, in file order. A validator's warnings (Problem.Warning) do
// not fail the load: with no other problem they end up in Config.Warnings.
func LoadWith(path string, validators ...Validator) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, Errors{{File: path, Msg: fmt.Sprintf("cannot read config: %v", err), Err: err}}
	}
	return parse(path, data, os.LookupEnv, validators)
}

// Parse is Load on data already in memory, with env in place of the
// process environment (tests pass a map's lookup). path names the file in
// messages, and its folder anchors relative file:// feed URLs.
func Parse(path string, data []byte, env func(string) (string, bool)) (*Config, error) {
	return parse(path, data, env, nil)
}

func parse(path string, data []byte, env func(string) (string, bool), validators []Validator) (*Config, error) {
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, Errors{{File: path, Msg: fmt.Sprintf("cannot locate config folder: %v", err), Err: err}}
	}
	d := &decoder{file: path, dir: dir, env: env, lines: strings.Split(string(data), "\n")}
	c, at := d.decode(data)
	for _, validate := range validators {
		for _, p := range validate(c) {
			if p.File == "" {
				p.File = path
			}
			d.problems = append(d.problems, p)
		}
	}
	d.repeatedSubscriptions(c.Subscriptions, at.subAt)
	d.problems.sortByPosition()
	if d.problems.ErrorCount() > 0 {
		return nil, d.problems
	}
	c.Warnings = d.problems
	return c, nil
}

// decode builds the Config from the file's text, recording problems, and
// returns where its parts were written.
func (d *decoder) decode(data []byte) (*Config, *spots) {
	c := defaultConfig(d.file)
	at := &spots{}
	if root := d.document(data); root != nil {
		d.root(root, c, at)
	}
	d.checkReferences(c, at)
	return c, at
}

// document parses the YAML text and returns its top-level mapping, or nil
// for an empty file or a syntax error (reported).
func (d *decoder) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if !errors.Is(err, io.EOF) {
			d.syntaxError(err)
		}
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.errorf(&extra, "only one YAML document is allowed (remove the second ---)")
	}
	if len(doc.Content) == 0 {
		return nil
	}
	root := resolve(doc.Content[0])
	if isNull(root) {
		return nil
	}
	return root
}

var yamlErrorLine = regexp.MustCompile(`^yaml: line ([0-9]+): (.*)$`)

// syntaxError reports a file the YAML library refused. Its line is where
// its parser gave up, often the start of the enclosing block, and its words
// are a parser's; so the raw lines are read for a known mistake first, and
// the library's message is the fallback.
func (d *decoder) syntaxError(err error) {
	msg := err.Error()
	if strings.Contains(msg, "UTF-8") && d.notUTF8() {
		return
	}
	if m, ok := findYAMLMistake(d.lines, msg); ok {
		line := strings.TrimSuffix(d.lines[m.line-1], "\r")
		col := column(line, m.off)
		d.problemAt(m.line, col, "%s\n%s\nhint: %s", m.msg, caret.Under(line, col), m.hint)
		return
	}
	if m := yamlErrorLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		d.problemAt(line, 0, "YAML syntax: %s (in the YAML parser's words; the mistake is on this line or one below it)", m[2])
		return
	}
	d.problemAt(0, 0, "YAML syntax: %s", strings.TrimPrefix(msg, "yaml: "))
}

// notUTF8 reports, as a problem at its line and column, the first line
// that is not UTF-8, which the YAML library refuses without a line: a
// file an editor saved in Latin-1 or Windows-1252, where an accented
// letter is one byte. It returns whether there was one, so that the
// library's message is not reported too.
func (d *decoder) notUTF8() bool {
	for i, line := range d.lines {
		line = strings.TrimSuffix(line, "\r")
		if utf8.ValidString(line) {
			continue
		}
		off := 0
		for off < len(line) {
			r, size := utf8.DecodeRuneInString(line[off:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			off += size
		}
		col := column(line, off)
		d.problemAt(i+1, col, "this line is not UTF-8 (byte 0x%02X)\n%s\nhint: save the file as UTF-8 (an editor that wrote this byte for a letter saved it as Latin-1 or Windows-1252)", line[off], caret.Under(line, col))
		return true
	}
	return false
}
