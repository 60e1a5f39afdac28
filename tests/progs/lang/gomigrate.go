// gomigrate: goroutines busy in a call long enough for the scheduler to preempt them there, more
// goroutines than threads can run: a preempted one often resumes, and returns, on another
// thread. Each calls spin from the same place, so its calls share a stack pointer and a return
// address, like the restarts of a call that fntrace must count once.
package main

import "fmt"

//go:noinline
func spin(n int) int {
	s := 0
	for i := 0; i < n; i++ {
		s += i ^ (s >> 3)
	}
	return s & 1
}

//go:noinline
func work(n int) int {
	s := 0
	for i := 0; i < n; i++ {
		s += spin(12000000) + 1
	}
	return s
}

func main() {
	done := make(chan int)
	for g := 0; g < 8; g++ {
		go func() { done <- work(6) }()
	}
	t := 0
	for g := 0; g < 8; g++ {
		t += <-done
	}
	fmt.Println("total", t)
}
