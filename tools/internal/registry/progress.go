package registry

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// IsTerminal reports whether w is a character device (a terminal), the
// only place where progress lines with carriage returns belong.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// showProgress drains go-containerregistry's updates (its sends block, so
// they must be read until the push returns) and redraws one line at most
// every 100ms. stop must be called once the push returned.
func showProgress(w io.Writer, what string) (chan v1.Update, func()) {
	updates := make(chan v1.Update, 16)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var last time.Time
		var u v1.Update
		draw := func() {
			fmt.Fprintf(w, "\rpushing %s: %s / %s   ", what, mb(u.Complete), mb(u.Total))
		}
		for {
			select {
			case u = <-updates:
				if time.Since(last) > 100*time.Millisecond {
					draw()
					last = time.Now()
				}
			case <-done:
				if !last.IsZero() {
					draw()
					fmt.Fprintln(w)
				}
				return
			}
		}
	}()
	var once sync.Once
	return updates, func() {
		once.Do(func() {
			close(done)
			wg.Wait()
		})
	}
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
