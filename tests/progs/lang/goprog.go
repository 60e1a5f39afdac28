// goprog: goroutines calling plain functions, for tracing a Go program (gc toolchain).
package main

import "fmt"

//go:noinline
func add(a, b int) int { return a + b }

//go:noinline
func work(n int) int {
	s := 0
	for i := 0; i < n; i++ {
		s = add(s, i)
	}
	return s
}

func main() {
	done := make(chan int)
	for g := 0; g < 4; g++ {
		go func(g int) { done <- work(1000 * (g + 1)) }(g)
	}
	t := 0
	for g := 0; g < 4; g++ {
		t += <-done
	}
	fmt.Println("total", t)
}
