package main

import (
	"errors"
	"fmt"

	"github.com/newshound/newshound/config"
	"github.com/newshound/newshound/filters"
)

// validateQueries is a config.Validator: it parses every subscription's
// query and every define, and reports problems at their file:line:col,
// with warnings for what probably does not mean what was meant (a
// lowercase "or" between words). It sets each subscription's QueryForm,
// by which config finds two subscriptions that are one.
func validateQueries(c *config.Config) []config.Problem {
	var problems []config.Problem
	for name, q := range c.Define {
		at := func(col int) config.Pos { return c.DefineQueryPos(name, col) }
		if _, err := filters.Parse(q, c.Define); err != nil {
			problems = append(problems, queryProblem(c, at, err))
			continue
		}
		for _, h := range filters.Hints(q) {
			problems = append(problems, hintProblem(c.Path, at(h.Pos), h))
		}
	}
	for i := range c.Subscriptions {
		s := &c.Subscriptions[i]
		if s.Query == "" {
			continue // config reports a missing query itself
		}
		set := filters.NewSet(c.Define)
		if err := set.Add(s.Name, s.Query); err != nil {
			problems = append(problems, queryProblem(c, s.QueryPos, err))
			continue
		}
		if q, err := filters.Parse(s.Query, c.Define); err == nil {
			s.QueryForm = q.Normal()
		}
		for _, h := range filters.Hints(s.Query) {
			problems = append(problems, hintProblem(c.Path, s.QueryPos(h.Pos), h))
		}
	}
	return problems
}

// hintProblem is a query hint as a warning at its place in the file.
func hintProblem(file string, at config.Pos, h filters.Hint) config.Problem {
	return config.Problem{File: file, Line: at.Line, Col: at.Col, Msg: h.Msg + "\n" + h.Caret(), Warning: true}
}

// queryProblem places a query error in the file through at, which maps
// a 1-based column of the query to the file (Subscription.QueryPos,
// Config.DefineQueryPos): at the offending character when the query
// stands verbatim on its line, else at the query's start (the caret
// picture below the message still points inside it). A cycle of defines
// names the file:line:col where each define names the next.
func queryProblem(c *config.Config, at func(col int) config.Pos, err error) config.Problem {
	file := c.Path
	pos := at(0)
	var pe *filters.ParseError
	if errors.As(err, &pe) {
		pos = at(pe.Pos)
	}
	p := config.Problem{File: file, Line: pos.Line, Col: pos.Col, Msg: err.Error(), Err: err}
	if pe != nil {
		p.Msg = pe.Placed(func(define string, col int) string {
			at := c.DefineQueryPos(define, col)
			return fmt.Sprintf("%s:%d:%d", file, at.Line, at.Col)
		}) + "\n" + pe.Caret()
	}
	return p
}

// loadConfig loads and validates a config file, queries included, and
// names this release in the default User-Agent.
func loadConfig(path string) (*config.Config, error) {
	cfg, err := config.LoadWith(path, validateQueries)
	if err != nil {
		return nil, err
	}
	cfg.WithVersion(userAgent())
	return cfg, nil
}
