package profile

import "testing"

func TestOrdersImports(t *testing.T) {
	tests := []struct {
		name     string
		statuses []string
		status   string
		want     bool
	}{
		{"empty list imports every status", nil, "pending", true},
		{"empty list imports an empty status", nil, "", true},
		{"exact", []string{"processing"}, "processing", true},
		{"config in another case", []string{"Processing"}, "processing", true},
		{"shop in another case", []string{"processing"}, "PROCESSING", true},
		{"wc- prefix in the shop", []string{"processing"}, "wc-processing", true},
		{"wc- prefix in the config", []string{"wc-Completed"}, "completed", true},
		{"surrounding space", []string{" processing "}, "processing", true},
		{"one of several", []string{"processing", "completed"}, "completed", true},
		{"not listed", []string{"processing", "completed"}, "pending", false},
		{"empty status not listed", []string{"processing"}, "", false},
		{"prefix only at the start", []string{"processing"}, "x-wc-processing", false},
		{"no partial match", []string{"process"}, "processing", false},
		{"magento state", []string{"complete"}, "Complete", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Orders{ImportStatuses: tt.statuses}).Imports(tt.status); got != tt.want {
				t.Errorf("Orders{ImportStatuses: %q}.Imports(%q) = %v, want %v", tt.statuses, tt.status, got, tt.want)
			}
		})
	}
}
