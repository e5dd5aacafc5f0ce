package watch

// BruteForceRuns lists a schedule's runs in (from, to] by walking every
// minute (schedule_test.go), for the scheduler tests outside the package.
var BruteForceRuns = bruteForce
