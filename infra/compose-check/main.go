// compose-check validates Compose files with the Compose Specification's reference loader
// (the library `docker compose config` is built on), so CI can check them without a Docker
// engine: schema, interpolation, and references between services, networks and volumes.
//
// Usage: compose-check FILE...   exits 1 naming each file that does not load, 2 on bad usage.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] == "--help" || os.Args[1] == "-h" {
		fmt.Fprintln(os.Stderr, "usage: compose-check FILE...  (validates each Compose file like `docker compose config --quiet`)")
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	failed := 0
	for _, file := range os.Args[1:] {
		images, err := check(file)
		if err != nil {
			failed++
			fmt.Printf("FAIL %s: %v\n", file, err)
			continue
		}
		fmt.Printf("ok   %s (%s)\n", file, strings.Join(images, ", "))
	}
	fmt.Printf("%d of %d compose files valid\n", len(os.Args)-1-failed, len(os.Args)-1)
	if failed > 0 {
		os.Exit(1)
	}
}

// check loads one file as its own project, from its own folder, and returns its images.
func check(file string) ([]string, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	options, err := cli.NewProjectOptions(
		[]string{abs},
		cli.WithWorkingDirectory(filepath.Dir(abs)),
		cli.WithOsEnv,
		cli.WithDotEnv,
		cli.WithConsistency(true),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		return nil, err
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		return nil, err
	}
	images := make([]string, 0, len(project.Services))
	for name, service := range project.Services {
		if service.Image == "" && service.Build == nil {
			return nil, fmt.Errorf("service %q has neither image nor build", name)
		}
		images = append(images, name+"="+service.Image)
	}
	sort.Strings(images)
	return images, nil
}
