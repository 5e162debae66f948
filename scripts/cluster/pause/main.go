// Command pause is the pod sandbox's first process: it holds the pod's
// namespaces and does nothing until SIGINT or SIGTERM. Built here because
// registry.k8s.io/pause cannot be pulled on these machines.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	// Children re-parented to the sandbox (shared PID namespace) are reaped
	// so they do not linger as zombies.
	reap := make(chan os.Signal, 1)
	signal.Notify(reap, syscall.SIGCHLD)
	for {
		select {
		case <-stop:
			return
		case <-reap:
			for {
				pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
				if pid <= 0 || err != nil {
					break
				}
			}
		}
	}
}
