package vetting

import "time"

// ReminderDay is the day of an update window (day 0 being the
// notification) on which the programme office is reminded that the
// update is still missing: day 7 of 10 leaves three days to chase it.
const ReminderDay = 7

// RubricReminderDays is how many days before a rubric re-vet falls due
// its reminder is sent: two weeks to book the review.
const RubricReminderDays = 14

// ReminderDate is the day a deadline's reminder is due, in the
// supplier's calendar: a renewal's notice date (NoticeDays before it),
// day ReminderDay of an update window, or RubricReminderDays before a
// rubric re-vet's last day. ok is false for an update with no window.
func ReminderDate(it Item) (day Date, ok bool) {
	switch it.Kind {
	case "renewal":
		return NoticeDate(it.Date), true
	case "update":
		if it.Status == nil {
			return Date{}, false
		}
		return it.Status.Window.Notified.AddDays(ReminderDay), true
	case "rubric":
		return it.Date.AddDays(-RubricReminderDays), true
	}
	return Date{}, false
}

// Remind reports whether a reminder of it is due at now: from its
// reminder date (in the supplier's zone) up to the deadline's own day,
// while the deadline is still open. A daemon that was down on the day
// sends it late rather than never; the caller sends each one once.
func Remind(it Item, now time.Time) bool {
	day, ok := ReminderDate(it)
	if !ok {
		return false
	}
	switch it.State {
	case StateOpen, StateUpcoming, StateDue:
	default:
		return false // met, missed, overdue, withdrawn: too late or not needed
	}
	loc, err := time.LoadLocation(it.Zone)
	if err != nil {
		loc = time.UTC
	}
	today := DateOf(now, loc)
	return !today.Before(day) && !it.Date.Before(today)
}
