package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// LoadFeeds reads only the feeds: section of the config file at path, for
// `feeds export`: each feed's name, title and URL, their ${ENV}
// references expanded. The rest of the file is not decoded, so the
// secrets of destinations, the store and Discord need not be set, nor
// those of a feed's headers or user_agent, which are not exported. A
// problem with what is exported (a bad URL, an unset variable in a url,
// name or title) is an Errors, as Load's, at its file:line:col: a URL is
// never exported without the part an unset variable would give it.
func LoadFeeds(path string) ([]Feed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, Errors{{File: path, Msg: fmt.Sprintf("cannot read config: %v", err), Err: err}}
	}
	return parseFeeds(path, data, os.LookupEnv)
}

// exportedKeys are the keys of a feed LoadFeeds needs.
var exportedKeys = map[string]bool{"name": true, "title": true, "url": true}

func parseFeeds(path string, data []byte, env func(string) (string, bool)) ([]Feed, error) {
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, Errors{{File: path, Msg: fmt.Sprintf("cannot locate config folder: %v", err), Err: err}}
	}
	d := &decoder{file: path, dir: dir, env: env, lines: strings.Split(string(data), "\n"),
		needless: func(key string) bool { return !exportedKeys[key] }}
	var list []Feed
	if root := d.document(data); root != nil {
		if v := d.sections(root)["feeds"]; v != nil {
			d.list("feeds", v, func(_ int, el *yaml.Node) {
				f, _, _ := d.feed(el, Defaults{})
				list = append(list, f)
			})
		}
	}
	d.problems.sortByPosition()
	if d.problems.ErrorCount() > 0 {
		return nil, d.problems
	}
	return list, nil
}
