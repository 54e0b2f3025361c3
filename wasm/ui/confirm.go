//go:build js && wasm

package main

import (
	"honnef.co/go/js/dom/v2"
)

// confirmView is the page's one question before it discards work: a modal
// <dialog> (the browser keeps the focus in it and Escape answers no) with
// the question, a button that goes ahead and one that keeps things as they
// are.
type confirmView struct {
	root, text, yes, no dom.Element
	onYes               func()
}

func newConfirmView() *confirmView {
	c := &confirmView{}
	c.text = el("p", attrs{"id": "confirm-text"})
	c.yes = el("button", attrs{"type": "button", "id": "confirm-yes", "class": "primary"}, "Go ahead")
	c.no = el("button", attrs{"type": "button", "id": "confirm-no"}, "Keep my files")
	c.root = el("dialog", attrs{"id": "confirm", "aria-labelledby": "confirm-text"},
		c.text, el("div", attrs{"class": "row"}, c.yes, c.no))
	on(c.yes, "click", func(dom.Event) {
		f := c.onYes
		c.close()
		if f != nil {
			f()
		}
	})
	on(c.no, "click", func(dom.Event) { c.close() })
	// Escape closes the dialog without a click: no. The close event comes
	// a task later, so a question asked again in between (No, then remove
	// again at once) must keep its answer: only a closed dialog forgets.
	on(c.root, "close", func(dom.Event) {
		if !prop(c.root, "open").Bool() {
			c.onYes = nil
		}
	})
	return c
}

// ask shows the question; yes runs when the user goes ahead. The safe
// answer has the focus.
func (c *confirmView) ask(question, yes string, f func()) {
	c.text.SetTextContent(question)
	c.yes.SetTextContent(yes)
	c.onYes = f
	if !prop(c.root, "open").Bool() {
		c.root.Underlying().Call("showModal")
	}
	c.no.Underlying().Call("focus")
}

func (c *confirmView) close() {
	c.onYes = nil
	if prop(c.root, "open").Bool() {
		c.root.Underlying().Call("close")
	}
}
