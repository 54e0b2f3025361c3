//go:build js && wasm

package main

import (
	"fmt"
	"syscall/js"

	"honnef.co/go/js/dom/v2"
)

var doc = dom.GetWindow().Document()

// attrs are attribute name/value pairs for el.
type attrs map[string]string

// el builds an element: each argument after the tag is an attrs map, a
// string (text), a dom.Node, or nil. Inputs and selects get
// autocomplete="off" unless the attrs say otherwise: the browser offers no
// remembered entries for them. (That does not stop Chromium's Autofill from
// asking its server about a text <input>: the page has none, its text
// fields are contenteditable elements, see field.)
func el(tag string, parts ...any) dom.Element {
	e := doc.CreateElement(tag)
	if tag == "input" || tag == "select" {
		e.SetAttribute("autocomplete", "off")
	}
	add(e, parts...)
	return e
}

func add(e dom.Element, parts ...any) {
	for _, p := range parts {
		switch p := p.(type) {
		case nil:
		case attrs:
			for k, v := range p {
				e.SetAttribute(k, v)
			}
		case string:
			e.AppendChild(doc.CreateTextNode(p))
		case dom.Node:
			e.AppendChild(p)
		case []dom.Element:
			for _, c := range p {
				e.AppendChild(c)
			}
		default:
			panic(fmt.Sprintf("el: unexpected %T", p))
		}
	}
}

// clear removes every child of e.
func clear(e dom.Element) { e.SetInnerHTML("") }

func byID(id string) dom.Element { return doc.GetElementByID(id) }

// on adds an event listener; the handler runs in a new goroutine when async,
// so that it may block (await a promise, call a worker).
func on(e dom.Element, typ string, f func(ev dom.Event)) {
	e.AddEventListener(typ, false, f)
}

func prop(e dom.Element, name string) js.Value { return e.Underlying().Get(name) }

func setProp(e dom.Element, name string, v any) { e.Underlying().Set(name, v) }

func value(e dom.Element) string { return prop(e, "value").String() }

func setValue(e dom.Element, s string) { setProp(e, "value", s) }

// setDisabled disables (b) or enables a control: an input, select or
// button, or a text field (see field).
func setDisabled(e dom.Element, b bool) {
	if isField(e) {
		setFieldDisabled(e, b)
		return
	}
	setProp(e, "disabled", b)
}

func show(e dom.Element, b bool) { setProp(e, "hidden", !b) }
