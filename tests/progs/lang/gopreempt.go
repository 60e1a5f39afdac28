// gopreempt: a goroutine that never blocks, calling a function with a stack check in its
// prologue, while another goroutine needs the only P. Run with GOMAXPROCS=1 and
// GODEBUG=asyncpreemptoff=1, the scheduler can only preempt the busy goroutine at such a
// prologue, which it then restarts from the function's entry: the same call, made once.
package main

import (
	"fmt"
	"time"
)

//go:noinline
func leaf(n int) int { return n & 7 }

//go:noinline
func step(n int) int {
	var pad [64]byte // a frame big enough for a stack check
	pad[n&63] = byte(n)
	return leaf(n) + int(pad[n&63]&1)
}

func main() {
	n := 4000
	done := make(chan int)
	ticks := 0
	go func() {
		for {
			select {
			case <-done:
				return
			default:
				ticks++
				time.Sleep(time.Millisecond)
			}
		}
	}()
	s := 0
	for i := 0; i < n; i++ {
		s += step(i)
	}
	close(done)
	fmt.Println("sum", s)
}
