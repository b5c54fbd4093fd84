package main

import (
	"context"
	"errors"
	"io"
)

// snelstartSandboxCmd starts the SnelStart sandbox.
func snelstartSandboxCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("sandbox snelstart: not built yet")
}
