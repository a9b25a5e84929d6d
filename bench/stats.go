package bench

import (
	"slices"
	"time"
)

// median of durations or floats.
func median[T ~int64 | ~float64](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// percentile p (0-100) of sorted-on-demand durations.
func percentile(xs []time.Duration, p float64) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// speedup is floor time / our time; rate ratios are ours / floor.
func speedup(ours, floor float64) float64 {
	if ours == 0 {
		return 0
	}
	return floor / ours
}

func ratio(ours, floor float64) float64 {
	if floor == 0 {
		return 0
	}
	return ours / floor
}
