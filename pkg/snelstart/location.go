package snelstart

import (
	"time"
	_ "time/tzdata" // Amsterdam works on machines without a time zone database
)

// amsterdam is loaded once; with time/tzdata embedded it cannot fail.
var amsterdam = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		panic("snelstart: embedded time zone data lacks Europe/Amsterdam: " + err.Error())
	}
	return loc
}()

// Amsterdam returns Europe/Amsterdam, the time zone in which a Dutch
// administration's naive dates (LocalTime) are meant.
func Amsterdam() *time.Location { return amsterdam }
