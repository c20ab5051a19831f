// Command hello is a minimal handler used by lambdabuild's tests.
package main

import "fmt"

func main() { fmt.Println("hello") }
