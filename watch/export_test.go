package watch

import (
	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/fetch"
)

// BruteForceRuns lists a schedule's runs in (from, to] by walking every
// minute (schedule_test.go), for the scheduler tests outside the package.
var BruteForceRuns = bruteForce

// Junk is junk under the default policy, for the corpus sweep.
func Junk(capture *fetch.Capture, doc *extract.Document) string {
	return junk(capture, doc, wordCount(doc), (&Checker{}).policy())
}

// EffectivePolicy is c's policy with its defaults, for tests.
func (c *Checker) EffectivePolicy() Policy { return c.policy() }
