//go:build js && wasm

package main

import (
	"strconv"
	"strings"
	"syscall/js"

	"honnef.co/go/js/dom/v2"
)

// The page's text fields are not <input> elements. Chromium's Autofill asks
// Google's server (content-autofill.googleapis.com) about every text,
// number or search <input> and every <textarea> of a page, in a <form> or
// not, autocomplete="off" or not; measured (Chromium 156, e2e
// TestBrowser/NoOtherOrigin), it does not for selects, checkboxes, file
// pickers, range sliders or contenteditable elements. A page that says that
// nothing leaves the machine must not make a person watching its network
// see that traffic, so a text field here is a one-line contenteditable
// element (role textbox) that behaves as an input does for the user and
// for the code:
//
//   - its value property is its text (value, setValue read and write it,
//     as an input's); setDisabled turns its editing off and takes it out of
//     the tab order (lockInputs, lockSettings);
//   - Enter inserts no line break (it commits the value, as in an input),
//     a paste or a drop inserts plain text on one line;
//   - input events come from typing, as an input's; a change event when
//     the value changed between focus and blur, or on Enter;
//   - it is labelled with aria-labelledby (a <label for> does not label it:
//     linkLabel) or aria-label, and a click on its label focuses it.

// valueProp makes a field's value property its text: the getter and
// setter are the DOM's own of textContent (Node.prototype's), so that code
// reading or writing value, the page's (value, setValue) and a test's
// alike, reads or writes the text, and no Go function is called from
// JavaScript for it.
var valueProp = func() js.Value {
	tc := js.Global().Get("Object").Call("getOwnPropertyDescriptor", js.Global().Get("Node").Get("prototype"), "textContent")
	return js.ValueOf(map[string]any{"get": tc.Get("get"), "set": tc.Get("set"), "configurable": true})
}()

// isField reports whether e is a text field made by field.
func isField(e dom.Element) bool { return e.Class().Contains("field") }

// setFieldDisabled turns the field e's editing off (b) or on: it leaves
// the tab order and says aria-disabled, as a disabled input does.
func setFieldDisabled(e dom.Element, b bool) {
	if b {
		e.SetAttribute("contenteditable", "false")
		e.SetAttribute("aria-disabled", "true")
		e.SetAttribute("tabindex", "-1")
	} else {
		e.SetAttribute("contenteditable", editable)
		e.RemoveAttribute("aria-disabled")
		e.SetAttribute("tabindex", "0")
	}
}

// editable is the contenteditable value of an enabled field:
// "plaintext-only" (no markup from a paste or a drop), or "true" in a
// browser that does not know it (Firefox before 136), where the paste
// handler and the one-line rule below keep it plain.
var editable = func() string {
	d := doc.CreateElement("span")
	d.SetAttribute("contenteditable", "plaintext-only")
	if prop(d, "contentEditable").String() == "plaintext-only" {
		return "plaintext-only"
	}
	return "true"
}()

// oneLine is s with every line break and tab a space: a field holds one
// line.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n\t\v\f\u2028\u2029") {
		return s
	}
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r == '\r' || r == '\n' || r == '\t' || r == '\v' || r == '\f' || r == '\u2028' || r == '\u2029'
	}), " ")
}

// insertText inserts s at the caret of the focused field, replacing the
// selection, as typing does (the browser's editing command: undo works, an
// input event follows).
func insertText(s string) {
	js.Global().Get("document").Call("execCommand", "insertText", false, s)
}

// field builds a one-line text field holding text. The attrs (an id,
// aria-label, inputmode, placeholder ...) are its own; size is its width in
// characters, as an input's.
func field(text string, size int, a attrs) dom.Element {
	e := el("span", attrs{
		"class":           "field",
		"role":            "textbox",
		"aria-multiline":  "false",
		"contenteditable": editable,
		"tabindex":        "0",
		"spellcheck":      "false",
		"autocapitalize":  "off",
		"autocorrect":     "off",
		"translate":       "no",
	}, a)
	// (CSSOM: the page's CSP refuses style attributes.)
	e.Underlying().Get("style").Call("setProperty", "--size", strconv.Itoa(max(size, 1)))
	if p := e.GetAttribute("placeholder"); p != "" {
		e.RemoveAttribute("placeholder")
		e.SetAttribute("data-placeholder", p)
		e.SetAttribute("aria-placeholder", p)
	}
	js.Global().Get("Object").Call("defineProperty", e.Underlying(), "value", valueProp)
	setValue(e, oneLine(text))

	var atFocus string
	commit := func() {
		if v := value(e); v != atFocus {
			atFocus = v
			e.Underlying().Call("dispatchEvent", js.Global().Get("Event").New("change", map[string]any{"bubbles": true}))
		}
	}
	on(e, "focus", func(dom.Event) { atFocus = value(e) })
	on(e, "blur", func(dom.Event) { commit() })
	on(e, "keydown", func(ev dom.Event) {
		if ev.Underlying().Get("key").String() == "Enter" {
			ev.PreventDefault()
			commit()
		}
	})
	on(e, "beforeinput", func(ev dom.Event) {
		switch ev.Underlying().Get("inputType").String() {
		case "insertParagraph", "insertLineBreak":
			ev.PreventDefault()
		}
	})
	// A paste: its plain text, on one line.
	paste := func(dt js.Value, ev dom.Event) {
		ev.PreventDefault()
		if !dt.Truthy() || e.HasAttribute("aria-disabled") {
			return
		}
		insertText(oneLine(dt.Call("getData", "text/plain").String()))
	}
	on(e, "paste", func(ev dom.Event) { paste(ev.Underlying().Get("clipboardData"), ev) })
	// Whatever else made more than one line of text or markup (a drop, an
	// editing command of a browser without plaintext-only): one line of
	// text again.
	on(e, "input", func(dom.Event) {
		if c := e.Underlying().Get("childNodes"); c.Length() > 1 || (c.Length() == 1 && c.Index(0).Get("nodeType").Int() != 3) || strings.ContainsAny(value(e), "\r\n") {
			setValue(e, oneLine(value(e)))
		}
	})
	return e
}

// linkLabel makes label the accessible name of the field f (a <label for>
// names only inputs, selects and textareas): it gets an id, f an
// aria-labelledby, and a click on it focuses f.
func linkLabel(label, f dom.Element) dom.Element {
	if label.ID() == "" {
		label.SetID(f.ID() + "-label")
	}
	f.SetAttribute("aria-labelledby", label.ID())
	on(label, "click", func(ev dom.Event) {
		if !f.Underlying().Call("contains", ev.Target().Underlying()).Bool() {
			f.Underlying().Call("focus")
		}
	})
	return label
}
