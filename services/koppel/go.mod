module github.com/koppel/koppel/services/koppel

go 1.26.0

require github.com/koppel/koppel/pkg v0.0.0-00010101000000-000000000000

replace github.com/koppel/koppel/pkg => ../../pkg
