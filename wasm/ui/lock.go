//go:build js && wasm

package main

// lockInputs disables (b) or enables every control of the files section
// (candidates, their names, accuracies and file pickers, the demo and CSV
// buttons) while a run reads them: what the run scores is what the page
// shows. Drops are refused meanwhile too (fileList.add).
func (a *app) lockInputs(b bool) {
	for _, e := range byID("inputs").QuerySelectorAll("input, button, select, .field") {
		setDisabled(e, b)
	}
}
