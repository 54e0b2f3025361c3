//go:build race

package arrays

func init() { raceEnabled = true }
