// Package store keeps clausewatch's history in an embedded bbolt database:
// sources, every fetch attempt, content-addressed raw bodies and extracted
// documents, versions, changes and their triage state, and the
// tamper-evident capture log.
//
// Not built yet: this is the subject of the "History" issue.
package store
